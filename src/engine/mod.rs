//! The DataFusion engine: a session over the validated tables with the fact views (this file:
//! the session, its read-only queries and options), planning the rules on it (plan.rs),
//! rendering their rows (render.rs), evaluating them into verdicts and dated statuses
//! (evaluate.rs, verdict.rs); with many scan dates `stonadsmaneder` is a table of its own
//! (dated_months.rs). Commands open it through session.rs.

pub mod check;
pub mod dated_months;
pub mod evaluate;
pub mod facts;
pub mod parallel;
pub mod plan;
pub mod render;
pub mod session;
pub mod values;
pub mod verdict;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{Months, NaiveDate};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int64Type};
use datafusion::common::ParamValues;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionImplementation, Volatility, create_udf,
};
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext, col};
use datafusion::scalar::ScalarValue;
use futures::StreamExt;
use thiserror::Error;
use tracing::{debug, info};

use crate::contract::Lang;
use crate::contract::load::{Dataset, date_from_days, days_since_epoch};
use crate::rules::{Kind, Outcome, Rule, RuleSet, Status, template};

pub use evaluate::Persons;
pub use parallel::{Graveyard, Stage};
pub use plan::PlannedRule;
use render::RuleRows;
pub use verdict::{
    DatedStatus, DatedStatuses, EvalStats, Explanation, Ids, KravCheck, NearMiss, PersonFacts,
    Short, Verdict, status_of,
};

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("{}", crate::tr!("feil i spørremotoren", "query engine error"))]
    DataFusion(#[from] DataFusionError),
    #[error("{}", crate::tr!("regel `{rule}`: SQL-en kan ikke planlegges", "rule `{rule}`: cannot plan its SQL"))]
    Plan {
        rule: String,
        #[source]
        source: DataFusionError,
    },
    #[error("{}", crate::tr!(
        "regel `{rule}`: SQL-en må returnere kolonnen `person_id` som tekst",
        "rule `{rule}`: its SQL must return a `person_id` column of type string"
    ))]
    NoPersonId { rule: String },
    #[error("{}", crate::tr!(
        "regel `{rule}`: SQL-en må returnere kolonnen `skanningsdato` fra faktaene den leser (en dato)",
        "rule `{rule}`: its SQL must return the `skanningsdato` column of the facts it reads (a date)"
    ))]
    NoScanDate { rule: String },
    #[error("{}", crate::tr!(
        "regel `{rule}`: ga samme person mer enn én gang for en skanningsdato; grupper etter skanningsdato, person_id",
        "rule `{rule}`: returned the same person more than once for a scan date; group by skanningsdato, person_id"
    ))]
    DuplicatePerson { rule: String },
    #[error("{}", crate::tr!(
        "regel `{rule}`: kan ikke lage begrunnelsen på {lang:?}: {message}",
        "rule `{rule}`: cannot render its {lang:?} explanation: {message}"
    ))]
    Template {
        rule: String,
        lang: Lang,
        message: String,
    },
    #[error("{}", crate::tr!(
        "intern feil: spørring etter at tabellenes rader er sluppet",
        "internal error: a query after the tables' rows were let go"
    ))]
    Released,
}

/// Session settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub target_partitions: usize,
    /// Memory pool size in bytes; operators spill to disk beyond it.
    pub memory_limit: Option<usize>,
    /// Render the rule files' short decisive facts (`kort_forklaring`) beside the sentences:
    /// only the printed worklist (`weekly`) shows them, so other commands do not pay for them.
    pub short_forms: bool,
    /// Render the explanations at all. A command that shows no sentence (`report` counts
    /// statuses and rules) turns this off: the rules' rows are still read (which rules fired,
    /// which conditions failed), their texts are left empty.
    pub explanations: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            target_partitions: crate::engine::parallel::threads(),
            memory_limit: None,
            short_forms: false,
            explanations: true,
        }
    }
}

pub struct Engine {
    ctx: SessionContext,
    /// The latest scan date: the parameters in force.
    as_of: NaiveDate,
    /// The scan dates the fact views hold (days since 1970-01-01).
    days: Vec<i32>,
    missing: Vec<&'static str>,
    ytelser_present: bool,
    /// Whether sentences get their short forms (see [`EngineOptions::short_forms`]).
    short_forms: bool,
    /// Whether sentences are rendered at all (see [`EngineOptions::explanations`]).
    explanations: bool,
    /// What a session that evaluates several rule sets (`compare`) keeps between them.
    memo: Option<std::sync::Mutex<Memory>>,
    /// Let every table's rows go once an evaluation has collected what it reads
    /// ([`Engine::releasing_rows`]); set once they are.
    release_rows: bool,
    released: std::sync::atomic::AtomicBool,
    /// Whether the fact views (all but the lazy ones) are computed once and kept in memory:
    /// with one scan date and rows to compute them from.
    facts_kept: bool,
}

/// Kept between evaluations of one session: a rule unchanged between two rule sets is not run
/// twice, and the persons' key facts (which no rule changes) are queried once.
#[derive(Default)]
struct Memory {
    /// Rendered rows per (rule fingerprint, language).
    rows: HashMap<(u64, Lang), RuleRows>,
    key_facts: Option<Vec<RecordBatch>>,
}

/// Rules and facts may only query: no DDL, no DML, no statements.
fn sql_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

impl Engine {
    /// Builds a session over a loaded dataset for one scan date, with the fact views registered.
    pub async fn new(
        data: &Dataset,
        as_of: NaiveDate,
        opts: &EngineOptions,
    ) -> Result<Engine, EngineError> {
        Engine::for_dates(data, &[as_of], opts).await
    }

    /// Builds a session whose fact views have one row per scan date and person, for evaluating
    /// many dates in one pass. The dataset must be loaded as of the latest date; each view
    /// keeps only the rows dated on or before its scan date. Parameters are those in force on
    /// the latest date (callers group dates by parameters).
    pub async fn for_dates(
        data: &Dataset,
        dates: &[NaiveDate],
        opts: &EngineOptions,
    ) -> Result<Engine, EngineError> {
        let as_of = *dates.iter().max().expect("at least one scan date");
        let ctx = new_context(opts)?;
        let n_parts = opts.target_partitions.max(1);
        for (name, table) in &data.tables {
            if *name == crate::contract::OKONOMISK_STONAD.name && data.stonad_maneder.is_some() {
                // only the payments' months were kept: nothing may read the payments
                continue;
            }
            let schema = table.spec.schema();
            let parts = split_partitions(&table.batches, n_parts);
            let mem = MemTable::try_new(schema, parts)?;
            ctx.register_table(*name, Arc::new(mem))?;
        }
        for (name, batch) in [
            (facts::DATES, facts::dates_batch(dates)?),
            (facts::DATE_MONTHS, facts::date_months_batch(dates)?),
        ] {
            let mem = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
            ctx.register_table(name, Arc::new(mem))?;
        }
        let known = spawn_months(data, dates, n_parts)?;
        register_ranked(&ctx, data, as_of, n_parts)?;
        let views = facts::views();
        let facts_kept = dates.len() == 1 && !data.tables.values().all(|t| t.batches.is_empty());
        register_eager_facts(&ctx, &views, facts_kept).await?;
        let months = known
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))??;
        let ordered = register_months(&ctx, months, dates.len(), n_parts)?;
        let days: Vec<i32> = dates.iter().map(|d| days_since_epoch(*d)).collect();
        for view in views.iter().filter(|v| v.lazy) {
            let df = ctx.sql_with_options(&view.sql, sql_options()).await?;
            // months in person order: `stonadsmaneder` made in Rust, in (person, date) order
            let table = match &ordered {
                Some(known) if view.name == facts::STONADSMANEDER => {
                    dated_months::DatedMonths::new(df.schema().as_arrow(), Arc::clone(known), &days)
                }
                _ => None,
            };
            match table {
                Some(t) => ctx.register_table(view.name, Arc::new(t))?,
                None => ctx.register_table(view.name, df.into_view())?,
            };
        }
        Ok(Engine {
            ctx,
            as_of,
            days: dates
                .iter()
                .map(|d| crate::contract::load::days_since_epoch(*d))
                .collect(),
            missing: data.missing_tables(),
            ytelser_present: data.tables["ytelser"].present,
            short_forms: opts.short_forms,
            explanations: opts.explanations,
            memo: None,
            release_rows: false,
            released: false.into(),
            facts_kept,
        })
    }

    /// Keeps every rule's rendered rows until the next evaluation in the session, which uses
    /// (and takes) the rows of each rule whose fingerprint is unchanged instead of running it;
    /// the persons' key facts are queried once for all evaluations.
    pub fn with_rule_memo(mut self) -> Engine {
        self.memo = Some(Default::default());
        self
    }

    /// For an engine that evaluates once and is then dropped (a scan): once the evaluation has
    /// collected the rules' rows and the persons' key facts, the rows of every table in the
    /// session (contract tables, months with stønad, kept facts) are let go, so explanations
    /// and verdicts are made in less memory. A query or evaluation after that is an error
    /// ([`EngineError::Released`]). The caller lets go of its own copies of the loaded rows
    /// ([`Dataset::drop_rows`](crate::contract::load::Dataset::drop_rows)).
    pub fn releasing_rows(mut self) -> Engine {
        self.release_rows = true;
        self
    }

    /// Lets go of every table's rows when [`Engine::releasing_rows`] asked for it: each
    /// in-memory table of the session is emptied (the plans that read it hold the table, not
    /// its rows).
    pub(crate) async fn release_if_asked(&self) -> Result<(), EngineError> {
        if !self.release_rows {
            return Ok(());
        }
        self.released
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let state = self.ctx.state();
        let names = &state.config().options().catalog;
        let Some(schema) = self
            .ctx
            .catalog(&names.default_catalog)
            .and_then(|c| c.schema(&names.default_schema))
        else {
            return Ok(());
        };
        let mut emptied = 0;
        for name in schema.table_names() {
            let Some(table) = schema.table(&name).await? else {
                continue;
            };
            if let Some(mem) = table.downcast_ref::<MemTable>() {
                for part in &mem.batches {
                    part.write().await.clear();
                }
                emptied += 1;
            }
        }
        debug!(tables = emptied, "tables' rows let go");
        Ok(())
    }

    /// An error once the tables' rows are let go ([`Engine::releasing_rows`]).
    pub(crate) fn check_not_released(&self) -> Result<(), EngineError> {
        if self.released.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(EngineError::Released);
        }
        Ok(())
    }

    /// The session itself, for the rule checks of this module.
    pub(crate) fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// A date as an SQL literal (`DATE 'YYYY-MM-DD'`), for the commands' read-only queries.
    pub fn sql_date(date: NaiveDate) -> String {
        format!("DATE '{}'", date.format("%Y-%m-%d"))
    }

    /// A read-only query over the tables and facts (no DDL, DML or statements, as for rules),
    /// streamed a batch at a time.
    pub async fn query(
        &self,
        sql: &str,
    ) -> Result<datafusion::physical_plan::SendableRecordBatchStream, EngineError> {
        self.check_not_released()?;
        let df = self.ctx.sql_with_options(sql, sql_options()).await?;
        Ok(df.execute_stream().await?)
    }

    /// A read-only query with `$name` parameters, collected.
    pub async fn query_with(
        &self,
        sql: &str,
        params: Vec<(&str, ScalarValue)>,
    ) -> Result<Vec<RecordBatch>, EngineError> {
        self.check_not_released()?;
        let df = self.ctx.sql_with_options(sql, sql_options()).await?;
        Ok(df
            .with_param_values(ParamValues::from(params))?
            .collect()
            .await?)
    }

    /// Makes a table of the caller's rows visible to its later queries under `name` (which
    /// must not be a contract table or fact).
    pub fn register_rows(&self, name: &str, batch: RecordBatch) -> Result<(), EngineError> {
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        self.ctx.register_table(name, Arc::new(table))?;
        Ok(())
    }

    /// Removes a table [`Engine::register_rows`] made.
    pub fn deregister_rows(&self, name: &str) -> Result<(), EngineError> {
        self.ctx.deregister_table(name)?;
        Ok(())
    }
}

/// Registers `_stonad_kjent` (in person order with many dates) and, with one date,
/// `_stonad_siste_12`. Returns `_stonad_kjent` when it is in person order.
fn register_months(
    ctx: &SessionContext,
    months: StonadMonths,
    n_dates: usize,
    n_parts: usize,
) -> Result<Option<Arc<MemTable>>, EngineError> {
    let StonadMonths {
        known,
        latest,
        took,
    } = months;
    debug!(
        fact = facts::STONAD_KJENT,
        rows = known.iter().map(|b| b.num_rows()).sum::<usize>(),
        elapsed_ms = took.as_millis() as u64,
        "fact computed"
    );
    if let Some(latest) = latest {
        let parts = facts::in_pieces(vec![latest], n_parts);
        let table = MemTable::try_new(parts[0].schema(), split_partitions(&parts, n_parts))?;
        ctx.register_table(facts::STONAD_SISTE_12, Arc::new(table))?;
    }
    let schema = known[0].schema();
    // few dates: the hash tables stay small and the sort (and the order-keeping
    // repartition) costs more than it saves (benches/RESULTS.md, "Tenth session")
    if n_dates < facts::PERSON_ORDER_FROM_DATES {
        let table = MemTable::try_new(schema, split_partitions(&known, n_parts))?;
        ctx.register_table(facts::STONAD_KJENT, Arc::new(table))?;
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let parts = facts::in_person_order(known, n_parts)?;
    debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "months with stønad sorted by person"
    );
    let table = Arc::new(
        MemTable::try_new(schema, split_partitions(&parts, n_parts))?
            .with_sort_order(vec![facts::stonad_kjent_order()]),
    );
    ctx.register_table(facts::STONAD_KJENT, table.clone())?;
    Ok(Some(table))
}

/// Months with stønad as the session holds them.
struct StonadMonths {
    /// `_stonad_kjent`, in pieces.
    known: Vec<RecordBatch>,
    /// `_stonad_siste_12`, with one scan date.
    latest: Option<RecordBatch>,
    took: std::time::Duration,
}

/// Months with stønad for `dates` (`_stonad_kjent`, and with one date `_stonad_siste_12`), in
/// `n_parts` pieces or more, on a thread of its own while the other facts are computed: kept by
/// the loader (for these dates, or a wider window they are taken from), or one pass over the
/// payments in Rust.
fn spawn_months(
    data: &Dataset,
    dates: &[NaiveDate],
    n_parts: usize,
) -> Result<tokio::task::JoinHandle<Result<StonadMonths, DataFusionError>>, EngineError> {
    let payments = data.tables["okonomisk_stonad"].batches.clone();
    let known_dates = dates.to_vec();
    let loaded = data.stonad_maneder.clone();
    let window = facts::months_window(dates);
    if let Some(m) = &loaded
        && !m.window.covers(&window)
    {
        return Err(DataFusionError::Internal(
            "the payments' months were kept for other scan dates".into(),
        )
        .into());
    }
    // the person order (many dates) sorts the ids as views
    let views = dates.len() >= facts::PERSON_ORDER_FROM_DATES;
    Ok(tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        match loaded {
            Some(m) if m.window == window && !views => Ok(facts::in_pieces(m.batches, n_parts)),
            Some(m) => crate::contract::stonad::within(&m.batches, m.window, window, views)
                .map(|b| facts::in_pieces(b, n_parts))
                .map_err(DataFusionError::from),
            None => facts::stonad_kjent(&payments, &known_dates, n_parts),
        }
        .and_then(|k| {
            // one scan date (a full evaluation): the key facts' months per person, here
            // beside the other facts rather than as a GROUP BY in the key-fact query
            let latest = match known_dates[..] {
                [date] => Some(facts::stonad_siste_12(&k, date)?),
                _ => None,
            };
            Ok(StonadMonths {
                known: k,
                latest,
                took: started.elapsed(),
            })
        })
    }))
}

/// Splits batches into `n` partitions for parallel scans.
pub(crate) fn split_partitions(batches: &[RecordBatch], n: usize) -> Vec<Vec<RecordBatch>> {
    let mut parts = vec![Vec::new(); n];
    for (i, b) in batches.iter().enumerate() {
        parts[i % n].push(b.clone());
    }
    parts
}

/// `trekk_maneder(dato, n)`: the date `n` calendar months before `dato` (clamped to the
/// month's last day), for rules such as "within the last 6 months".
pub(crate) fn trekk_maneder_udf() -> datafusion::logical_expr::ScalarUDF {
    let fun: ScalarFunctionImplementation = Arc::new(
        |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
            let scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let dates = arrays[0].as_primitive::<Date32Type>();
            let n = datafusion::arrow::compute::cast(&arrays[1], &DataType::Int64)?;
            let n = n.as_primitive::<Int64Type>();
            let out: Date32Array = (0..dates.len())
                .map(|i| {
                    if dates.is_null(i) || n.is_null(i) {
                        return None;
                    }
                    let d = date_from_days(dates.value(i));
                    let m = n.value(i);
                    let r = if m >= 0 {
                        d.checked_sub_months(Months::new(m as u32))
                    } else {
                        d.checked_add_months(Months::new((-m) as u32))
                    };
                    r.map(days_since_epoch)
                })
                .collect();
            let out: ArrayRef = Arc::new(out);
            if scalar {
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
            } else {
                Ok(ColumnarValue::Array(out))
            }
        },
    );
    create_udf(
        "trekk_maneder",
        vec![DataType::Date32, DataType::Int64],
        DataType::Date32,
        Volatility::Immutable,
        fun,
    )
}

/// `_maned_start(maned_nr)`: the first day of a month index (`year * 12 + month - 1`, as
/// `_stonad_kjent` holds it), for the `maned` column of `stonadsmaneder`. One look-up per row
/// instead of `make_date` over three computed columns, which were ~1.3 % of a national scan's
/// CPU (benches/RESULTS.md, thirtieth session). A month no date has gives null.
pub(crate) fn maned_start_udf() -> datafusion::logical_expr::ScalarUDF {
    use datafusion::arrow::datatypes::Int32Type;
    let fun: ScalarFunctionImplementation = Arc::new(
        |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
            let first = |m: i32| crate::contract::stonad::first_day_of_month(i64::from(m));
            match args {
                [ColumnarValue::Array(a)] => {
                    let months = a.as_primitive::<Int32Type>();
                    let out: Date32Array = months.iter().map(|m| m.and_then(first)).collect();
                    Ok(ColumnarValue::Array(Arc::new(out)))
                }
                [ColumnarValue::Scalar(ScalarValue::Int32(m))] => Ok(ColumnarValue::Scalar(
                    ScalarValue::Date32(m.and_then(first)),
                )),
                _ => Err(DataFusionError::Internal(
                    "_maned_start takes one Int32 month index".into(),
                )),
            }
        },
    );
    create_udf(
        facts::MANED_START,
        vec![DataType::Int32],
        DataType::Date32,
        Volatility::Immutable,
        fun,
    )
}

/// A hash join whose build side is smaller than this (its estimated bytes, or else its rows) is
/// built once and probed from every partition instead of both sides being hash-partitioned:
/// at national scale (150 000 persons) all of a scan's joins are, at 10x all but the key facts'
/// person-sized one (DataFusion's defaults are 1 MB and 131 072 rows; benches/RESULTS.md,
/// "Twenty-first session").
const SINGLE_BUILD_BYTES: usize = 64 << 20;
const SINGLE_BUILD_ROWS: usize = 1_000_000;

/// A DataFusion session with the engine's settings: partitions, when a join is built once,
/// spans in SQL errors, the memory pool when limited, and the `trekk_maneder` and
/// `_maned_start` functions.
fn new_context(opts: &EngineOptions) -> Result<SessionContext, DataFusionError> {
    let config = SessionConfig::new()
        .with_target_partitions(opts.target_partitions.max(1))
        .with_information_schema(false)
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold",
            SINGLE_BUILD_BYTES,
        )
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold_rows",
            SINGLE_BUILD_ROWS,
        )
        .set_bool("datafusion.sql_parser.collect_spans", true)
        .set_bool("datafusion.sql_parser.enable_ident_normalization", true);
    let mut rt = RuntimeEnvBuilder::new();
    if let Some(limit) = opts.memory_limit {
        rt = rt.with_memory_pool(Arc::new(FairSpillPool::new(limit)));
    }
    let ctx = SessionContext::new_with_config_rt(config, rt.build_arc()?);
    ctx.register_udf(trekk_maneder_udf());
    ctx.register_udf(maned_start_udf());
    Ok(ctx)
}

/// Which vedtak and which KVP event is in force when: one sort each, in Rust.
fn register_ranked(
    ctx: &SessionContext,
    data: &Dataset,
    as_of: NaiveDate,
    parts: usize,
) -> Result<(), DataFusionError> {
    let dmax = days_since_epoch(as_of);
    let by_event: facts::RankBy = ("hendelse", facts::event_rank);
    let tables = [
        (
            facts::VEDTAK_NESTE,
            "oppfolgingsvedtak",
            "vedtak_dato",
            None,
        ),
        (
            facts::HENDELSER_NESTE,
            "kvp_hendelser",
            "dato",
            Some(by_event),
        ),
    ];
    // the two sorts side by side (each sorts on rayon's pool as well)
    use rayon::prelude::*;
    let ranked = tables
        .par_iter()
        .map(|(name, table, date_col, rank_by)| {
            let t = &data.tables[*table];
            facts::with_next_date(&t.spec.schema(), &t.batches, date_col, dmax, *rank_by)
                .map(|r| (*name, r))
        })
        .collect::<Result<Vec<_>, DataFusionError>>()?;
    for (name, (schema, batches)) in ranked {
        let parts = split_partitions(&batches, parts);
        ctx.register_table(name, Arc::new(MemTable::try_new(schema, parts)?))?;
    }
    Ok(())
}

/// The facts computed once and kept in memory: several rules read the same facts, and none of
/// them re-reads the contract tables to get them. With many dates they grow with the dates and
/// are computed as read (months with stønad are kept, in `for_dates`).
async fn register_eager_facts(
    ctx: &SessionContext,
    views: &[facts::View],
    keep: bool,
) -> Result<(), DataFusionError> {
    // Each fact is computed once and kept in memory (`keep`: one date): several rules read
    // the same facts, and none of them re-reads the contract tables to get them. With many
    // dates they grow with the dates and are computed as read (months with stønad are kept,
    // above).
    let eager = views.iter().filter(|v| !v.lazy);
    let computed = futures::future::try_join_all(eager.map(|view| {
        let ctx = &ctx;
        async move {
            let started = std::time::Instant::now();
            let df = ctx.sql_with_options(&view.sql, sql_options()).await?;
            let table = if keep {
                df.cache().await?.into_view()
            } else {
                df.into_view()
            };
            debug!(
                fact = view.name,
                kept = keep,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "fact computed"
            );
            Ok::<_, DataFusionError>((view.name, table))
        }
    }))
    .await?;
    for (name, table) in computed {
        ctx.register_table(name, table)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int32Array;
    use datafusion::arrow::datatypes::{Field, Schema};

    /// `_maned_start` gives the day `make_date` gives for every month index from 1900 to 2100
    /// (the expression it replaced in `stonadsmaneder`), and null for a null month.
    #[tokio::test]
    async fn maned_start_is_make_dates_first_day_of_the_month() {
        let months: Vec<Option<i32>> = (1900 * 12..2100 * 12).map(Some).chain([None]).collect();
        let schema = Arc::new(Schema::new(vec![Field::new("m", DataType::Int32, true)]));
        let batch =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int32Array::from(months))]).unwrap();
        let ctx = SessionContext::new();
        ctx.register_udf(maned_start_udf());
        let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        let sql = "SELECT m, _maned_start(m) AS ours,
                     make_date(CAST(m / 12 AS INT), CAST(m % 12 + 1 AS INT), 1) AS theirs
                   FROM t";
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let mut rows = 0;
        let mut november = None;
        for b in &batches {
            let m = b
                .column(0)
                .as_primitive::<datafusion::arrow::datatypes::Int32Type>();
            let ours = b.column(1).as_primitive::<Date32Type>();
            let theirs = b.column(2).as_primitive::<Date32Type>();
            for i in 0..b.num_rows() {
                assert_eq!(ours.is_null(i), m.is_null(i));
                if !ours.is_null(i) {
                    assert_eq!(ours.value(i), theirs.value(i), "month {}", m.value(i));
                    if m.value(i) == 2026 * 12 + 10 {
                        november = Some(date_from_days(ours.value(i)));
                    }
                }
                rows += 1;
            }
        }
        assert_eq!(rows, 200 * 12 + 1);
        assert_eq!(november, NaiveDate::from_ymd_opt(2026, 11, 1));
    }
}
