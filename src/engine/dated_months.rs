//! `stonadsmaneder` for many scan dates as a table of its own: each person's months with stønad
//! put beside the scan dates in Rust, streamed in (person, date) order.
//!
//! The fact is a join of `_skanningsmaneder` (each date's months) and `_stonad_kjent` (each
//! person's months with stønad and the first day each was known) on the month (`facts::views`).
//! With the 53 Mondays of an audit every month of a person matches about 50 dates: the join
//! pairs each month with every date whose window holds it, checks each pair against the day
//! the month was known, and gathers the columns of the ~49 million rows a 12-month window keeps
//! over the national data. This table gives the same rows without the join: `_stonad_kjent` is
//! in person order ([`facts::in_person_order`]) with each person's months ascending, so for each
//! person a window slides over its months date by date. The rows come person by person, and the
//! table says so, as `_stonad_kjent` does: the group-bys over (date, person) above it count each
//! person's rows as they stream past.
//!
//! Rules read it as they read the view: same columns, same rows (the order within one person and
//! date aside, which SQL does not define). A filter `maneder_siden < n` (or `<=`) is applied
//! here, exactly, so a 12-month rule makes 12 months per date, not 120; any other filter is
//! left to DataFusion above the scan.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Date32Array, Int64Array, RecordBatch, UInt32Array};
use datafusion::arrow::compute::SortOptions;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{
    BinaryExpr, Expr, Operator, TableProviderFilterPushDown, TableType,
};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{LexOrdering, PhysicalSortExpr};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::scalar::ScalarValue;

use super::facts::{self, HORIZON_MONTHS};
use crate::contract::stonad::{self, IdForm, first_day_of_month};

/// The columns, in the view's order (a column's index here is its number in [`Rows::made`]).
/// The schema itself is the view's (taken when the table is made), so types and nullability
/// are the view's too.
const COLUMNS: [&str; 5] = [
    "skanningsdato",
    "person_id",
    "maned_nr",
    "maneder_siden",
    "maned",
];

/// The column filters may bound.
const BACK: &str = "maneder_siden";

/// `stonadsmaneder` over `_stonad_kjent` in person order, for a set of scan dates.
#[derive(Debug)]
pub struct DatedMonths {
    schema: SchemaRef,
    /// `_stonad_kjent`: read at each scan, so letting its rows go lets this table's go too.
    known: Arc<MemTable>,
    /// The scan dates as (days since 1970-01-01, month index), ascending.
    dates: Arc<[(i32, i64)]>,
}

impl DatedMonths {
    /// The table for `days` (the session's scan dates) over `known`, whose partitions must each
    /// be in person order with every person's months ascending ([`facts::in_person_order`]).
    /// `view` is the schema of the `stonadsmaneder` view it stands in for; `None` when the
    /// view's columns are not the ones this table makes (it then stays a view).
    pub fn new(view: &Schema, known: Arc<MemTable>, days: &[i32]) -> Option<DatedMonths> {
        let names: Vec<&str> = view.fields().iter().map(|f| f.name().as_str()).collect();
        // the months' columns with ids as string views, as the person order leaves them
        if *known.schema() != *stonad::schema(IdForm::View) {
            return None;
        }
        let types = [
            DataType::Date32,
            DataType::Utf8View,
            DataType::Int64,
            DataType::Int64,
            DataType::Date32,
        ];
        let same_types = view
            .fields()
            .iter()
            .zip(&types)
            .all(|(f, t)| f.data_type() == t);
        if names != COLUMNS || !same_types {
            return None;
        }
        let mut dates: Vec<(i32, i64)> = days
            .iter()
            .map(|d| {
                let date = crate::contract::load::date_from_days(*d);
                (*d, facts::month_index(date))
            })
            .collect();
        dates.sort_unstable();
        Some(DatedMonths {
            schema: Arc::new(view.clone()),
            known,
            dates: dates.into(),
        })
    }
}

/// The exclusive bound `n` a filter `maneder_siden < n` (or `<= n - 1`, `n > maneder_siden`,
/// `n - 1 >= maneder_siden`) puts on the months back; `None` for any other filter.
fn bound(filter: &Expr) -> Option<i64> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = filter else {
        return None;
    };
    let column = |e: &Expr| matches!(e, Expr::Column(c) if c.name == BACK);
    let number = |e: &Expr| match e {
        Expr::Literal(v, _) => match v {
            ScalarValue::Int64(Some(n)) => Some(*n),
            ScalarValue::Int32(Some(n)) => Some(i64::from(*n)),
            ScalarValue::Int16(Some(n)) => Some(i64::from(*n)),
            ScalarValue::Int8(Some(n)) => Some(i64::from(*n)),
            ScalarValue::UInt32(Some(n)) => Some(i64::from(*n)),
            ScalarValue::UInt16(Some(n)) => Some(i64::from(*n)),
            ScalarValue::UInt8(Some(n)) => Some(i64::from(*n)),
            _ => None,
        },
        _ => None,
    };
    match op {
        Operator::Lt if column(left) => number(right),
        Operator::LtEq if column(left) => number(right)?.checked_add(1),
        Operator::Gt if column(right) => number(left),
        Operator::GtEq if column(right) => number(left)?.checked_add(1),
        _ => None,
    }
}

#[async_trait]
impl TableProvider for DatedMonths {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match bound(f) {
                Some(_) => TableProviderFilterPushDown::Exact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // no bound below 0 (nothing is fewer than 0 months back), so no sum below overflows
        let back = filters
            .iter()
            .filter_map(bound)
            .fold(HORIZON_MONTHS, i64::min)
            .max(0);
        let columns: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let schema = Arc::new(self.schema.project(&columns)?);
        let batch_rows = state.config().batch_size().max(1);
        let mut partitions: Vec<Arc<dyn PartitionStream>> = Vec::new();
        for part in &self.known.batches {
            partitions.push(Arc::new(Part {
                schema: Arc::clone(&schema),
                columns: columns.clone(),
                batches: part.read().await.clone(),
                dates: Arc::clone(&self.dates),
                back,
                batch_rows,
            }));
        }
        // The rows come in person order (and each person's date by date). Only the person is
        // declared: the group-bys over (date, person) above are then partially sorted, as over
        // the view; declared fully sorted they were slower (the order-keeping merge above the
        // partial group-by compares two columns; benches/RESULTS.md, thirty-second session).
        let ordering = schema.index_of("person_id").ok().map(|i| {
            PhysicalSortExpr::new(
                Arc::new(Column::new("person_id", i)),
                SortOptions {
                    descending: false,
                    nulls_first: false,
                },
            )
        });
        let exec = StreamingTableExec::try_new(
            Arc::clone(&schema),
            partitions,
            None,
            LexOrdering::new(ordering),
            false,
            None,
        )?;
        Ok(Arc::new(exec))
    }
}

/// One partition: its persons' rows, made a batch at a time as they are read.
#[derive(Debug, Clone)]
struct Part {
    /// The projected schema.
    schema: SchemaRef,
    /// The projected columns, as indices into [`COLUMNS`].
    columns: Vec<usize>,
    batches: Vec<RecordBatch>,
    dates: Arc<[(i32, i64)]>,
    /// Months back are `< back`.
    back: i64,
    batch_rows: usize,
}

impl PartitionStream for Part {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let rows = Rows {
            part: self.clone(),
            batch: 0,
            row: 0,
            out: Out::for_batch(self.batch_rows, self.dates.len()),
        };
        Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            futures::stream::iter(rows),
        ))
    }
}

/// The rows of one partition being made: where in its batches the next person starts.
struct Rows {
    part: Part,
    batch: usize,
    row: usize,
    out: Out,
}

/// Rows made and not yet given out: the `_stonad_kjent` row, the scan date, the months back.
struct Out {
    known: Vec<u32>,
    days: Vec<i32>,
    back: Vec<i64>,
}

impl Out {
    /// Room for a batch of `rows` and one person's rows beyond it (a batch is given out once
    /// it holds `rows`, after the person whose rows passed that), so the vectors are not grown
    /// and copied as they fill.
    fn for_batch(rows: usize, dates: usize) -> Out {
        let room = rows + dates * HORIZON_MONTHS as usize;
        Out {
            known: Vec::with_capacity(room),
            days: Vec::with_capacity(room),
            back: Vec::with_capacity(room),
        }
    }
}

impl Iterator for Rows {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        while let Some(batch) = self.part.batches.get(self.batch) {
            let batch = batch.clone();
            let n = batch.num_rows();
            let (ids, months, known) = stonad::columns(&batch);
            while self.row < n && self.out.known.len() < self.part.batch_rows {
                let first = self.row;
                let mut end = first + 1;
                while end < n && ids.same(end, first) {
                    end += 1;
                }
                self.person(first..end, months, known);
                self.row = end;
            }
            if self.row >= n {
                self.batch += 1;
                self.row = 0;
            }
            if !self.out.known.is_empty() {
                return Some(self.made(&batch, months));
            }
        }
        None
    }
}

impl Rows {
    /// One person's rows (`rows` of the batch, months `months`, first days known `known`):
    /// for each scan date, the months in its window known by then. The months are ascending,
    /// so the window slides forward as the dates do; if they are not, each date looks at all.
    fn person(&mut self, rows: std::ops::Range<usize>, months: &[i32], known: &[i32]) {
        let (start, end) = (rows.start, rows.end);
        let ascending = months[start..end].windows(2).all(|w| w[0] <= w[1]);
        let back = self.part.back;
        let (mut lo, mut hi) = (start, start);
        for &(day, month) in self.part.dates.iter() {
            let oldest = month - (back - 1);
            let (from, to) = if ascending {
                while lo < end && i64::from(months[lo]) < oldest {
                    lo += 1;
                }
                hi = hi.max(lo);
                while hi < end && i64::from(months[hi]) <= month {
                    hi += 1;
                }
                (lo, hi)
            } else {
                (start, end)
            };
            for i in from..to {
                let m = i64::from(months[i]);
                if m >= oldest && m <= month && known[i] <= day {
                    self.out.known.push(i as u32);
                    self.out.days.push(day);
                    self.out.back.push(month - m);
                }
            }
        }
    }

    /// The rows made so far as a batch of the projected columns (from `batch`, the
    /// `_stonad_kjent` batch they were made from).
    fn made(&mut self, batch: &RecordBatch, months: &[i32]) -> Result<RecordBatch> {
        let Out {
            known,
            mut days,
            mut back,
        } = std::mem::replace(
            &mut self.out,
            Out::for_batch(self.part.batch_rows, self.part.dates.len()),
        );
        let rows = UInt32Array::from(known);
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.part.columns.len());
        for c in &self.part.columns {
            let column: ArrayRef = match *c {
                0 => Arc::new(Date32Array::from(std::mem::take(&mut days))),
                1 => datafusion::arrow::compute::take(batch.column(0), &rows, None)?,
                2 => Arc::new(Int64Array::from_iter_values(
                    rows.values().iter().map(|r| i64::from(months[*r as usize])),
                )),
                3 => Arc::new(Int64Array::from(std::mem::take(&mut back))),
                _ => Arc::new(
                    rows.values()
                        .iter()
                        .map(|r| first_day_of_month(i64::from(months[*r as usize])))
                        .collect::<Date32Array>(),
                ),
            };
            columns.push(column);
        }
        let options =
            datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(rows.len()));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.part.schema),
            columns,
            &options,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use datafusion::arrow::array::{Int32Array, StringViewArray};
    use datafusion::arrow::compute::concat_batches;
    use datafusion::arrow::datatypes::Field;
    use datafusion::prelude::SessionContext;

    use crate::contract::load::days_since_epoch;

    fn day(y: i32, m: u32, d: u32) -> i32 {
        days_since_epoch(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    /// Person `p`'s id: `prefix` and "p000".., so ids sort as the persons do. A prefix of more
    /// than 8 bytes makes ids longer than a string view holds inline.
    fn id(prefix: &str, p: usize) -> String {
        format!("{prefix}p{p:03}")
    }

    /// `_stonad_kjent` rows (person, month index, day known) for persons 0.. in order, each
    /// with random months of 2024–2026 ascending, known from their month's first day up to
    /// three months later; person 1 has its months out of order (the slower path).
    fn known_rows(prefix: &str, persons: usize, seed: u64) -> Vec<(String, i32, i32)> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut rows = Vec::new();
        for p in 0..persons {
            let mut months: Vec<i32> = (0..rng.usize(0..20))
                .map(|_| rng.i32(2024 * 12..2026 * 12 + 11))
                .collect();
            months.sort_unstable();
            months.dedup();
            if p == 1 {
                months.reverse();
            }
            for m in months {
                let first = first_day_of_month(i64::from(m)).unwrap();
                rows.push((id(prefix, p), m, first + rng.i32(0..95)));
            }
        }
        rows
    }

    /// A session with `stonadsmaneder` both as the view (`som_visning`) and as this table
    /// (`som_tabell`) over the same months and dates, the months in two partitions.
    async fn session(rows: &[(String, i32, i32)], days: &[i32], prefix: &str) -> SessionContext {
        let ctx = super::super::new_context(&Default::default()).unwrap();
        let dates: Vec<NaiveDate> = days
            .iter()
            .map(|d| crate::contract::load::date_from_days(*d))
            .collect();
        let months = facts::date_months_batch(&dates).unwrap();
        let table = MemTable::try_new(months.schema(), vec![vec![months]]).unwrap();
        ctx.register_table(facts::DATE_MONTHS, Arc::new(table))
            .unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("person_id", DataType::Utf8View, false),
            Field::new("maned_nr", DataType::Int32, false),
            Field::new("kjent_fra", DataType::Date32, false),
        ]));
        let batch = |rows: &[(String, i32, i32)]| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringViewArray::from_iter_values(
                        rows.iter().map(|r| r.0.as_str()),
                    )),
                    Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.1))),
                    Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.2))),
                ],
            )
            .unwrap()
        };
        // a person's rows stay in one partition
        let cut = rows
            .iter()
            .position(|r| r.0 >= id(prefix, 20))
            .unwrap_or(rows.len());
        let known = Arc::new(
            MemTable::try_new(
                schema.clone(),
                vec![vec![batch(&rows[..cut])], vec![batch(&rows[cut..])]],
            )
            .unwrap(),
        );
        ctx.register_table(facts::STONAD_KJENT, known.clone())
            .unwrap();
        let view = facts::views()
            .into_iter()
            .find(|v| v.name == facts::STONADSMANEDER)
            .unwrap();
        let df = ctx.sql(&view.sql).await.unwrap();
        let months = DatedMonths::new(df.schema().as_arrow(), known, days).unwrap();
        ctx.register_table("som_visning", df.into_view()).unwrap();
        ctx.register_table("som_tabell", Arc::new(months)).unwrap();
        ctx
    }

    async fn rows_of(ctx: &SessionContext, sql: &str) -> RecordBatch {
        let df = ctx.sql(sql).await.unwrap();
        let schema = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await.unwrap();
        concat_batches(&schema, &batches).unwrap()
    }

    /// The table gives the view's rows (and its aggregates) for filters it applies itself,
    /// filters it leaves to DataFusion, and none; for dates given in any order; for ids held in
    /// a string view and ids longer than that (a person's rows are then told apart by value).
    #[tokio::test]
    async fn the_table_gives_the_views_rows() {
        for prefix in ["", "pseudonym-"] {
            the_table_gives_the_views_rows_for(prefix).await;
        }
    }

    async fn the_table_gives_the_views_rows_for(prefix: &str) {
        let rows = known_rows(prefix, 40, 7);
        let days = [
            day(2026, 11, 16),
            day(2025, 3, 3),
            day(2026, 1, 5),
            day(2026, 1, 12),
            day(2024, 12, 30),
        ];
        let ctx = session(&rows, &days, prefix).await;
        let (p1, p3) = (id(prefix, 1), id(prefix, 3));
        let filters = [
            String::new(),
            "WHERE maneder_siden < 12".to_string(),
            "WHERE maneder_siden <= 2".to_string(),
            "WHERE 3 > maneder_siden".to_string(),
            "WHERE 2 >= maneder_siden".to_string(),
            "WHERE maneder_siden < 0".to_string(),
            "WHERE maneder_siden < -9223372036854775807".to_string(),
            "WHERE maneder_siden < 6 AND maneder_siden < 4".to_string(),
            format!("WHERE maneder_siden < 12 AND person_id <> '{p3}'"),
            "WHERE maneder_siden > 1 AND maned >= DATE '2025-06-01'".to_string(),
            format!("WHERE maneder_siden < 12 OR person_id = '{p1}'"),
        ];
        let mut seen = 0;
        for filter in &filters {
            let sql = |t: &str| {
                format!(
                    "SELECT skanningsdato, person_id, maned_nr, maneder_siden, maned FROM {t}
                     {filter} ORDER BY 1, 2, 3"
                )
            };
            let view = rows_of(&ctx, &sql("som_visning")).await;
            let table = rows_of(&ctx, &sql("som_tabell")).await;
            assert_eq!(view.columns(), table.columns(), "{filter}");
            seen += table.num_rows();
        }
        assert!(seen > 1000, "too few rows to tell: {seen}");
        let counted = |t: &str| {
            format!(
                "SELECT skanningsdato, person_id, count(*) AS n, max(maned) AS siste,
                        min(maneder_siden) AS siden
                 FROM {t} WHERE maneder_siden < 12
                 GROUP BY skanningsdato, person_id ORDER BY 1, 2"
            )
        };
        let view = rows_of(&ctx, &counted("som_visning")).await;
        let table = rows_of(&ctx, &counted("som_tabell")).await;
        assert!(view.num_rows() > 50);
        assert_eq!(view.columns(), table.columns());
    }

    /// Which filters the table applies itself, and the bound each gives.
    #[test]
    fn bounds_of_filters() {
        use datafusion::prelude::{col, lit};
        let back = || col(BACK);
        let cases = [
            (back().lt(lit(12i64)), Some(12)),
            (back().lt_eq(lit(2i64)), Some(3)),
            (lit(3i32).gt(back()), Some(3)),
            (lit(3i64).gt_eq(back()), Some(4)),
            (back().gt(lit(3i64)), None),
            (back().lt(lit(i64::MAX)), Some(i64::MAX)),
            (back().lt_eq(lit(i64::MAX)), None),
            (col("maned_nr").lt(lit(12i64)), None),
            (back().lt(lit("12")), None),
            (back().lt(lit(12i64)).and(back().lt(lit(3i64))), None),
        ];
        for (filter, want) in cases {
            assert_eq!(bound(&filter), want, "{filter}");
        }
    }
}
