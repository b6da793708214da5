//! The per-person facts every rule can read, as SQL views over the validated contract tables.
//!
//! They are the engine's vocabulary (README, "Facts"): rule files select from them instead of
//! repeating the contract's definitions (what counts as a month with stønad, which vedtak is
//! in force, what the KVP state is). Every view has one row per scan date and person
//! (`skanningsdato`, `person_id`), so one session can evaluate many scan dates in one pass:
//! a scan has one date, an audit every Monday of its period.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Date32Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::Result;
use rayon::prelude::*;

use crate::contract::load::days_since_epoch;

/// How far back `stonadsmaneder` reaches, in months including the scan month.
pub const HORIZON_MONTHS: i64 = 120;

/// The scan dates, visible to rules: `skanningsdato`, `maned_nr` (its month index), `aar`,
/// `mmdd` (month * 100 + day).
pub const DATES: &str = "skanningsdatoer";
/// Internal: for each scan date, the months `stonadsmaneder` covers and how far back each is.
pub const DATE_MONTHS: &str = "_skanningsmaneder";

/// Livelihood benefits as an SQL list.
fn livsopphold_list() -> String {
    crate::contract::LIVSOPPHOLDSYTELSER
        .iter()
        .map(|y| format!("'{y}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Month index (year * 12 + month - 1) of a date.
pub fn month_index(d: NaiveDate) -> i64 {
    d.year() as i64 * 12 + d.month0() as i64
}

/// The `skanningsdatoer` table for a set of dates.
pub fn dates_batch(dates: &[NaiveDate]) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("skanningsdato", DataType::Date32, false),
        Field::new("maned_nr", DataType::Int64, false),
        Field::new("aar", DataType::Int64, false),
        Field::new("mmdd", DataType::Int64, false),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Date32Array::from_iter_values(
                dates.iter().map(|d| days_since_epoch(*d)),
            )),
            Arc::new(Int64Array::from_iter_values(
                dates.iter().map(|d| month_index(*d)),
            )),
            Arc::new(Int64Array::from_iter_values(
                dates.iter().map(|d| d.year() as i64),
            )),
            Arc::new(Int64Array::from_iter_values(
                dates.iter().map(|d| (d.month() * 100 + d.day()) as i64),
            )),
        ],
    )?)
}

/// The `_skanningsmaneder` table: (skanningsdato, maned_nr, maneder_siden) for the
/// `HORIZON_MONTHS` months up to each date's month. A rule's `maneder_siden < n` filter is
/// pushed into this small table, so a 12-month rule joins 12 months per date, not 120.
pub fn date_months_batch(dates: &[NaiveDate]) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("skanningsdato", DataType::Date32, false),
        Field::new("maned_nr", DataType::Int64, false),
        Field::new("maneder_siden", DataType::Int64, false),
    ]));
    let rows: Vec<(i32, i64, i64)> = dates
        .iter()
        .flat_map(|d| {
            let mi = month_index(*d);
            (0..HORIZON_MONTHS).map(move |back| (days_since_epoch(*d), mi - back, back))
        })
        .collect();
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.2))),
        ],
    )?)
}

/// The `person` fact for the dates in `dates`: a join onto `personer p` whose alias `s` has the
/// columns of `skanningsdatoer` (`skanningsdato`, `aar`, `mmdd`).
pub fn person_sql(dates: &str) -> String {
    format!(
        "SELECT s.skanningsdato, p.person_id, p.fodselsdato, p.kjonn, p.kommune_nr, p.bydel_nr,
           p.nav_kontor, p.veileder, p.adressebeskyttelse,
           CAST(s.aar - date_part('year', p.fodselsdato)
                - CASE WHEN date_part('month', p.fodselsdato) * 100 + date_part('day', p.fodselsdato) > s.mmdd
                       THEN 1 ELSE 0 END AS BIGINT) AS alder
         FROM personer p {dates}"
    )
}

/// Internal: each month with stønad per person and the first day it was known.
pub const STONAD_KJENT: &str = "_stonad_kjent";

/// Month index of a day number (days since 1970-01-01), by Hinnant's civil-from-days.
pub fn month_index_of_days(days: i32) -> i64 {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // 1..=12
    let y = yoe + era * 400 + i64::from(m <= 2);
    y * 12 + m - 1
}

/// `_stonad_kjent` in one pass over the validated payments: for each person and month with
/// stønad (data contract: `UTBETALT`, `belop > 0`; the months `fom..tom`, or the payment month
/// when `fom` is null, `tom` null meaning the `fom` month) within the `HORIZON_MONTHS` before the
/// dates, the first day it was known — the earliest `utbetalingsdato` among the payments covering
/// it. Payments after the latest date are not read. Columns: `person_id`, `maned_nr`,
/// `kjent_fra`; `stonadsmaneder` joins it onto the dates.
///
/// The payments are split into `threads` stretches of batches worked on at once, each giving
/// its own batch; a person whose payments cross a stretch's end is put together again.
pub fn stonad_kjent(
    payments: &[RecordBatch],
    dates: &[NaiveDate],
    threads: usize,
) -> Result<Vec<RecordBatch>> {
    let first = *dates.iter().min().expect("at least one scan date");
    let last = *dates.iter().max().expect("at least one scan date");
    let (lo, hi) = (month_index(first) - (HORIZON_MONTHS - 1), month_index(last));
    let dmax = days_since_epoch(last);
    let stretches = stretches(payments, threads.max(1));
    let t0 = std::time::Instant::now();
    let parts: Vec<_> = stretches
        .par_iter()
        .map(|b| known_clustered(b, lo, hi, dmax))
        .collect();
    tracing::debug!(
        elapsed_ms = t0.elapsed().as_millis() as u64,
        "months with stønad per stretch"
    );
    Ok(match stitch(parts) {
        Some(batches) => batches,
        None => {
            // in pieces, so the joins on it still run on every core
            pieces(
                &known_batch(known_any_order(payments, lo, hi, dmax)),
                threads,
            )
        }
    })
}

/// From how many scan dates `_stonad_kjent` is put in person order ([`in_person_order`]).
/// Measured on the national data: 53 and 27 dates gain time and memory, 14 break even, 12
/// (the report's month-ends) and 1 (the scan) lose 0.1–0.3 s.
pub const PERSON_ORDER_FROM_DATES: usize = 20;

/// `batch` in at most `n` consecutive slices of about equal rows (one, empty, for no rows).
fn pieces(batch: &RecordBatch, n: usize) -> Vec<RecordBatch> {
    let rows = batch.num_rows();
    let piece = rows.div_ceil(n.max(1)).max(1);
    (0..rows.max(1))
        .step_by(piece)
        .map(|start| batch.slice(start, piece.min(rows - start)))
        .collect()
}

/// `_stonad_kjent`'s rows in `person_id` order, in at most `parts` consecutive pieces: each piece
/// is in person order, which the table then declares ([`stonad_kjent_order`]). With many scan
/// dates every month is joined onto each date whose window holds it and counted per (date,
/// person); in person order DataFusion counts each person's rows as they stream past (a
/// partially sorted group-by) instead of holding every (date, person) in one hash table: the
/// national audit's peak memory fell by a third. Each person's rows come together (one run per
/// person, months in order), so the runs are sorted, not the rows.
pub fn in_person_order(known: Vec<RecordBatch>, parts: usize) -> Result<Vec<RecordBatch>> {
    use datafusion::arrow::array::{AsArray, UInt32Array};
    use datafusion::arrow::compute::{concat_batches, take_record_batch};
    let schema = known[0].schema();
    let all = concat_batches(&schema, &known)?;
    drop(known);
    let ids = all
        .column_by_name("person_id")
        .expect("a _stonad_kjent column")
        .as_string_view();
    // (first row, rows) of each run of one person
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for row in 0..all.num_rows() {
        match runs.last_mut() {
            Some((first, n)) if ids.value(*first as usize) == ids.value(row) => *n += 1,
            _ => runs.push((row as u32, 1)),
        }
    }
    runs.sort_by(|a, b| ids.value(a.0 as usize).cmp(ids.value(b.0 as usize)));
    let order: UInt32Array = runs
        .iter()
        .flat_map(|(first, n)| *first..*first + *n)
        .collect();
    let sorted = take_record_batch(&all, &order)?;
    Ok(pieces(&sorted, parts))
}

/// The order [`in_person_order`] gives, as the table declares it.
pub fn stonad_kjent_order() -> Vec<datafusion::logical_expr::SortExpr> {
    vec![datafusion::prelude::col("person_id").sort(true, false)]
}

/// The month index of every day from the first day of a month to a last day, looked up instead
/// of computed ([`month_index_of_days`] for days outside it).
struct MonthTable {
    first_day: i32,
    months: Vec<i64>,
}

impl MonthTable {
    /// Days from the first day of month `lo` to day `last` (none when `last` is before it).
    fn new(lo: i64, last: i32) -> Self {
        let first =
            NaiveDate::from_ymd_opt(lo.div_euclid(12) as i32, lo.rem_euclid(12) as u32 + 1, 1)
                .map(days_since_epoch)
                .unwrap_or(last + 1);
        let months = (first..=last).map(month_index_of_days).collect();
        MonthTable {
            first_day: first,
            months,
        }
    }

    fn of(&self, day: i32) -> i64 {
        usize::try_from(day.wrapping_sub(self.first_day))
            .ok()
            .and_then(|i| self.months.get(i).copied())
            .unwrap_or_else(|| month_index_of_days(day))
    }
}

/// (person_id, first month, last month, payment day) of every payment that gives months with
/// stønad, its months clipped to `lo..=hi`.
fn payment_months(
    payments: &[RecordBatch],
    lo: i64,
    hi: i64,
    dmax: i32,
) -> impl Iterator<Item = (&str, i64, i64, i32)> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Date32Type, Int64Type};
    let months = Arc::new(MonthTable::new(lo, dmax));
    payments.iter().flat_map(move |b| {
        let months = Arc::clone(&months);
        let col = |name: &str| {
            b.column_by_name(name)
                .unwrap_or_else(|| panic!("validated payments have `{name}`"))
        };
        let ids = col("person_id").as_string::<i32>();
        let paid = col("utbetalingsdato").as_primitive::<Date32Type>();
        let fom = col("fom").as_primitive::<Date32Type>();
        let tom = col("tom").as_primitive::<Date32Type>();
        let belop = col("belop").as_primitive::<Int64Type>();
        let status = col("status").as_string::<i32>();
        (0..b.num_rows()).filter_map(move |i| {
            let month_of = |d: i32| months.of(d);
            if ids.is_null(i)
                || paid.is_null(i)
                || belop.is_null(i)
                || belop.value(i) <= 0
                || status.is_null(i)
                || status.value(i) != "UTBETALT"
                || paid.value(i) > dmax
            {
                return None;
            }
            let day = paid.value(i);
            let (fra, til) = if fom.is_null(i) {
                let m = month_of(day);
                (m, m)
            } else {
                let f = month_of(fom.value(i));
                let t = if tom.is_null(i) {
                    f
                } else {
                    month_of(tom.value(i))
                };
                (f, t)
            };
            let (fra, til) = (fra.max(lo), til.min(hi));
            (fra <= til).then(|| (ids.value(i), fra, til, day))
        })
    })
}

/// Internal: `oppfolgingsvedtak` with `_neste`, the date of the person's next vedtak.
pub const VEDTAK_NESTE: &str = "_oppfolgingsvedtak_neste";
/// Internal: `kvp_hendelser` with `_neste`, the date of the person's next event.
pub const HENDELSER_NESTE: &str = "_kvp_hendelser_neste";

/// The order of KVP events within one day: the process order of kvp-rules.md.
pub fn event_rank(hendelse: &str) -> u8 {
    match hendelse {
        "INFORMERT" => 1,
        "VURDERT" => 2,
        "SOKNAD" => 3,
        "INNVILGET" | "AVSLATT" => 4,
        "BEGYNT" => 5,
        "PERMISJON" => 6,
        "GJENOPPTATT" => 7,
        _ => 8,
    }
}

/// How the rows of one day are ordered: a string column and its rank.
pub type RankBy<'a> = (&'a str, fn(&str) -> u8);

/// A dated table's rows dated on or before `dmax`, each with `_neste`: the date of the same
/// person's next row in the order (date, rank, `_kilde`, `_rad`), null for the last; the rank
/// orders rows of one day by a string column (`rank_by`: the column and its ranking). A row is
/// in force from its date until `_neste` (the latest row on or before a date is the one in
/// force), computed once in one sort instead of a window per scan date.
pub fn with_next_date(
    schema: &Schema,
    batches: &[RecordBatch],
    date_col: &str,
    dmax: i32,
    rank_by: Option<RankBy>,
) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
    use datafusion::arrow::array::{Array, AsArray, BooleanArray};
    use datafusion::arrow::compute::filter_record_batch;
    use datafusion::arrow::datatypes::{Date32Type, Int32Type, Int64Type};
    // (person, date, rank, kilde, rad, batch, row) of every row kept
    let mut rows: Vec<(&str, i32, u8, i32, i64, u32, u32)> = Vec::new();
    let mut kept: Vec<Vec<bool>> = Vec::with_capacity(batches.len());
    for (bi, b) in batches.iter().enumerate() {
        let col = |name: &str| {
            b.column_by_name(name)
                .unwrap_or_else(|| panic!("validated table has `{name}`"))
        };
        let ids = col("person_id").as_string::<i32>();
        let dates = col(date_col).as_primitive::<Date32Type>();
        let kilde = col("_kilde").as_primitive::<Int32Type>();
        let rad = col("_rad").as_primitive::<Int64Type>();
        let ranked = rank_by.map(|(c, f)| (col(c).as_string::<i32>(), f));
        let rank = |i: usize| ranked.map_or(0, |(c, f)| f(c.value(i)));
        let mut keep = vec![false; b.num_rows()];
        for (i, k) in keep.iter_mut().enumerate() {
            if ids.is_null(i) || dates.is_null(i) || dates.value(i) > dmax {
                continue;
            }
            *k = true;
            rows.push((
                ids.value(i),
                dates.value(i),
                rank(i),
                kilde.value(i),
                rad.value(i),
                bi as u32,
                i as u32,
            ));
        }
        kept.push(keep);
    }
    rows.sort_unstable_by(|a, b| (a.0, a.1, a.2, a.3, a.4).cmp(&(b.0, b.1, b.2, b.3, b.4)));
    let mut next: Vec<Vec<Option<i32>>> =
        batches.iter().map(|b| vec![None; b.num_rows()]).collect();
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 {
            next[w[0].5 as usize][w[0].6 as usize] = Some(w[1].1);
        }
    }
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| (**f).clone()).collect();
    fields.push(Field::new("_neste", DataType::Date32, true));
    let out_schema = Arc::new(Schema::new(fields));
    let out = batches
        .iter()
        .zip(kept)
        .zip(next)
        .map(|((b, keep), next)| {
            let mut cols = b.columns().to_vec();
            cols.push(Arc::new(Date32Array::from(next)));
            let full = RecordBatch::try_new(out_schema.clone(), cols)?;
            Ok(filter_record_batch(&full, &BooleanArray::from(keep))?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((out_schema, out))
}

type Known<'a> = (Vec<&'a str>, Vec<i64>, Vec<i32>);

/// Batches split into at most `n` runs of about equal rows, in order.
fn stretches(batches: &[RecordBatch], n: usize) -> Vec<&[RecordBatch]> {
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    let target = total.div_ceil(n).max(1);
    let mut out = Vec::new();
    let (mut start, mut rows) = (0, 0);
    for (i, b) in batches.iter().enumerate() {
        rows += b.num_rows();
        if rows >= target && out.len() + 1 < n {
            out.push(&batches[start..=i]);
            (start, rows) = (i + 1, 0);
        }
    }
    if start < batches.len() || out.is_empty() {
        out.push(&batches[start..]);
    }
    out
}

/// The stretches' months as batches: each stretch's own rows, and one small batch for the
/// persons whose payments cross from one stretch into the next (their rows merged). None when
/// some person's payments are not all together (then [`known_any_order`] is needed).
fn stitch(parts: Vec<(Known<'_>, Vec<&str>)>) -> Option<Vec<RecordBatch>> {
    // Every person in one run, or one continued from the end of a stretch into the next.
    let mut seen: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    let mut last: Option<&str> = None;
    for (_, persons) in &parts {
        for (i, p) in persons.iter().enumerate() {
            let continued = i == 0 && last == Some(*p);
            if !continued && !seen.insert(*p) {
                return None;
            }
        }
        last = persons.last().copied().or(last);
    }
    // Each stretch's rows between the persons it shares with its neighbours.
    let mut bounds = Vec::with_capacity(parts.len());
    let mut merged: Known = (Vec::new(), Vec::new(), Vec::new());
    let mut open: Option<(&str, Vec<(i64, i32)>)> = None;
    for (j, ((ids, months, days), _)) in parts.iter().enumerate() {
        let mut start = 0;
        if let Some((x, pairs)) = &mut open {
            while ids.get(start) == Some(x) {
                pairs.push((months[start], days[start]));
                start += 1;
            }
            if start < ids.len()
                && let Some((x, mut pairs)) = open.take()
            {
                flush(x, &mut pairs, &mut merged);
            }
        }
        let mut end = ids.len();
        // the next stretch with rows (a stretch whose payments all give no month has none)
        let next_first = parts[j + 1..].iter().find_map(|(k, _)| k.0.first());
        if start < end && next_first.is_some() && next_first == ids.last() {
            let y = ids[end - 1];
            let mut pairs = Vec::new();
            while end > start && ids[end - 1] == y {
                end -= 1;
                pairs.push((months[end], days[end]));
            }
            open = Some((y, pairs));
        }
        bounds.push((start, end));
    }
    if let Some((x, mut pairs)) = open {
        flush(x, &mut pairs, &mut merged);
    }
    let mut batches: Vec<_> = parts
        .into_par_iter()
        .zip(bounds)
        .map(|((known, _), (start, end))| known_batch(known).slice(start, end - start))
        .collect();
    batches.push(known_batch(merged));
    Some(batches)
}

/// `_stonad_kjent` rows as a batch (the months and days taken over without a copy).
fn known_batch((ids, months, days): Known<'_>) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Utf8View, false),
        Field::new("maned_nr", DataType::Int64, false),
        Field::new("kjent_fra", DataType::Date32, false),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(datafusion::arrow::array::StringViewArray::from_iter_values(
                ids,
            )),
            Arc::new(Int64Array::from(months)),
            Arc::new(Date32Array::from(days)),
        ],
    )
    .expect("columns match the schema")
}

/// Appends one person's (month, day) pairs, the earliest day per month, in month order.
fn flush<'a>(id: &'a str, pairs: &mut Vec<(i64, i32)>, out: &mut Known<'a>) {
    pairs.sort_unstable();
    pairs.dedup_by_key(|(m, _)| *m);
    for (m, d) in pairs.drain(..) {
        out.0.push(id);
        out.1.push(m);
        out.2.push(d);
    }
}

/// The fast path for exports that list each person's payments together: one person at a time,
/// no per-person storage. Also gives the persons in run order (a person whose payments come in
/// more than one run appears more than once: [`stitch`] then falls back).
fn known_clustered(
    payments: &[RecordBatch],
    lo: i64,
    hi: i64,
    dmax: i32,
) -> (Known<'_>, Vec<&str>) {
    // About one month per payment: reserve once instead of growing.
    let rows: usize = payments.iter().map(|b| b.num_rows()).sum();
    let mut out: Known = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    let mut runs: Vec<&str> = Vec::new();
    let mut pairs: Vec<(i64, i32)> = Vec::new();
    for (id, fra, til, day) in payment_months(payments, lo, hi, dmax) {
        if runs.last() != Some(&id) {
            if let Some(c) = runs.last() {
                flush(c, &mut pairs, &mut out);
            }
            runs.push(id);
        }
        pairs.extend((fra..=til).map(|m| (m, day)));
    }
    if let Some(c) = runs.last() {
        flush(c, &mut pairs, &mut out);
    }
    (out, runs)
}

/// Any row order: person ids interned, (month, day) pairs kept per person.
fn known_any_order(payments: &[RecordBatch], lo: i64, hi: i64, dmax: i32) -> Known<'_> {
    let mut index: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
    let mut ids_seen: Vec<&str> = Vec::new();
    let mut months: Vec<Vec<(i64, i32)>> = Vec::new();
    for (id, fra, til, day) in payment_months(payments, lo, hi, dmax) {
        let n = *index.entry(id).or_insert_with(|| {
            ids_seen.push(id);
            months.push(Vec::new());
            (ids_seen.len() - 1) as u32
        });
        months[n as usize].extend((fra..=til).map(|m| (m, day)));
    }
    let mut out: Known = (Vec::new(), Vec::new(), Vec::new());
    for (id, mut pairs) in ids_seen.into_iter().zip(months) {
        flush(id, &mut pairs, &mut out);
    }
    out
}

/// A fact view: its name, its SQL, and whether it is kept in memory. With one scan date every
/// view but the lazy ones is kept; with many dates none is (they grow with the dates).
pub struct View {
    pub name: &'static str,
    pub sql: String,
    /// Computed as read even for one date: a cheap join whose readers' filters (`maneder_siden
    /// < n`) are pushed into it, which a kept copy would not allow.
    pub lazy: bool,
}

/// The fact views in creation order, over the contract tables and `_stonad_kjent`
/// ([`stonad_kjent`]). `dates` must not be empty.
pub fn views() -> Vec<View> {
    // A row in force from its date until the next row's date: the latest on or before a date.
    let in_force = |c: &str| {
        format!("{c} <= s.skanningsdato AND (_neste IS NULL OR _neste > s.skanningsdato)")
    };
    vec![
        View {
            name: "person",
            sql: person_sql("CROSS JOIN skanningsdatoer s"),
            lazy: false,
        },
        View {
            name: "stonadsmaneder",
            sql: "SELECT s.skanningsdato, k.person_id, k.maned_nr, s.maneder_siden,
                   make_date(CAST(k.maned_nr / 12 AS INT), CAST(k.maned_nr % 12 + 1 AS INT), 1) AS maned
                 FROM _skanningsmaneder s JOIN _stonad_kjent k ON k.maned_nr = s.maned_nr
                 WHERE k.kjent_fra <= s.skanningsdato"
                .to_string(),
            lazy: true,
        },
        View {
            name: "innsatsgruppe_gjeldende",
            sql: format!(
                "SELECT s.skanningsdato, v.person_id, v.innsatsgruppe, v.innsatsgruppe_kilde, v.vedtak_dato, v.hovedmal
                 FROM {VEDTAK_NESTE} v JOIN skanningsdatoer s ON {}",
                in_force("v.vedtak_dato")
            ),
            lazy: false,
        },
        View {
            name: "ytelser_aktive",
            sql: format!(
                "SELECT s.skanningsdato, y.person_id, y.ytelse, y.fom, y.tom, y.ytelse IN ({liv}) AS livsopphold
                 FROM ytelser y JOIN skanningsdatoer s
                   ON y.fom <= s.skanningsdato AND (y.tom IS NULL OR y.tom >= s.skanningsdato)",
                liv = livsopphold_list()
            ),
            lazy: false,
        },
        View {
            name: "vilkar_aktive",
            sql: "SELECT s.skanningsdato, v.person_id, v.hjemmel, v.vilkar_kode, v.fom, v.tom
                 FROM vilkar v JOIN skanningsdatoer s
                   ON v.fom <= s.skanningsdato AND (v.tom IS NULL OR v.tom >= s.skanningsdato)
                 WHERE v.status = 'RELEVANT'"
                .to_string(),
            lazy: false,
        },
        View {
            name: "kvp_status",
            sql: format!(
                "SELECT s.skanningsdato, k.person_id, k.hendelse, k.dato,
                   CASE WHEN k.hendelse IN ('BEGYNT', 'GJENOPPTATT') THEN 'i_program'
                        WHEN k.hendelse = 'PERMISJON' THEN 'permisjon'
                        WHEN k.hendelse IN ('SOKNAD', 'INNVILGET') THEN 'soknad_under_behandling'
                        ELSE 'ikke_i_program' END AS tilstand
                 FROM {HENDELSER_NESTE} k JOIN skanningsdatoer s ON {}",
                in_force("k.dato")
            ),
            lazy: false,
        },
    ]
}

/// Declares the columns of [`KEY_FACTS`] once: an enum naming each column (its value is the
/// column's position) and the list of names in the same order, which `evaluate` checks each
/// batch against.
macro_rules! key_fact_columns {
    ($($col:ident => $name:literal),* $(,)?) => {
        /// A column of [`KEY_FACTS`], by name; `as usize` is its position.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum KeyFact {
            $($col),*
        }

        /// The columns of [`KEY_FACTS`], in order.
        pub const KEY_FACT_COLUMNS: &[&str] = &[$($name),*];
    };
}

key_fact_columns! {
    Skanningsdato => "skanningsdato",
    PersonId => "person_id",
    NavKontor => "nav_kontor",
    Veileder => "veileder",
    KommuneNr => "kommune_nr",
    Kjonn => "kjonn",
    Adressebeskyttelse => "adressebeskyttelse",
    Alder => "alder",
    StonadsmanederSiste12 => "stonadsmaneder_siste_12",
    SisteStonadsmaned => "siste_stonadsmaned",
    Innsatsgruppe => "innsatsgruppe",
    VedtakDato => "vedtak_dato",
    Livsoppholdsytelser => "livsoppholdsytelser",
    KvpTilstand => "kvp_tilstand",
    KvpSisteHendelse => "kvp_siste_hendelse",
    KvpSisteDato => "kvp_siste_dato",
}

/// One row per scan date and person with the key facts written to `vurderinger`, sorted for
/// output.
pub const KEY_FACTS: &str = "
SELECT p.skanningsdato, p.person_id, p.nav_kontor, p.veileder, p.kommune_nr, p.kjonn, p.adressebeskyttelse, p.alder,
       coalesce(s.maneder, 0) AS stonadsmaneder_siste_12, s.siste_maned AS siste_stonadsmaned,
       v.innsatsgruppe, v.vedtak_dato,
       y.livsoppholdsytelser,
       k.tilstand AS kvp_tilstand, k.hendelse AS kvp_siste_hendelse, k.dato AS kvp_siste_dato
FROM person p
LEFT JOIN (SELECT skanningsdato, person_id, count(*) AS maneder, max(maned) AS siste_maned
           FROM stonadsmaneder WHERE maneder_siden < 12 GROUP BY skanningsdato, person_id) s
       ON s.person_id = p.person_id AND s.skanningsdato = p.skanningsdato
LEFT JOIN innsatsgruppe_gjeldende v ON v.person_id = p.person_id AND v.skanningsdato = p.skanningsdato
LEFT JOIN (SELECT skanningsdato, person_id, array_sort(array_agg(DISTINCT ytelse)) AS livsoppholdsytelser
           FROM ytelser_aktive WHERE livsopphold GROUP BY skanningsdato, person_id) y
       ON y.person_id = p.person_id AND y.skanningsdato = p.skanningsdato
LEFT JOIN kvp_status k ON k.person_id = p.person_id AND k.skanningsdato = p.skanningsdato
";

/// The names rules may read: the scan dates and the fact views (besides the contract tables
/// and `regel_<id>` views).
pub fn fact_names() -> Vec<&'static str> {
    vec![
        DATES,
        "person",
        "stonadsmaneder",
        "innsatsgruppe_gjeldende",
        "ytelser_aktive",
        "vilkar_aktive",
        "kvp_status",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;

    #[test]
    fn month_index_counts_months_from_year_zero() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        assert_eq!(month_index(d), 2026 * 12 + 10);
        let jan = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let dec = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        assert_eq!(month_index(jan) - month_index(dec), 1);
    }

    #[test]
    fn the_month_table_gives_the_computed_month_inside_and_outside_its_days() {
        let last = days_since_epoch(NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
        let lo = month_index(NaiveDate::from_ymd_opt(2016, 12, 1).unwrap());
        let table = MonthTable::new(lo, last);
        assert_eq!(
            table.first_day,
            days_since_epoch(NaiveDate::from_ymd_opt(2016, 12, 1).unwrap())
        );
        assert_eq!(table.months.len() as i32, last - table.first_day + 1);
        for day in (table.first_day - 800..=last + 800).chain([i32::MIN, i32::MAX, -1, 0]) {
            assert_eq!(table.of(day), month_index_of_days(day), "day {day}");
        }
        // a last day before the first month: an empty table, every day computed
        let empty = MonthTable::new(lo, table.first_day - 1);
        assert!(empty.months.is_empty());
        assert_eq!(empty.of(last), month_index_of_days(last));
    }

    #[test]
    fn month_index_of_days_agrees_with_chrono() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for days in (-80_000..40_000)
            .step_by(7)
            .chain([-1, 0, 59, 60, 365, 366, 20_774])
        {
            let d = epoch + chrono::Duration::days(days as i64);
            assert_eq!(month_index_of_days(days), month_index(d), "{d}");
        }
    }

    /// Payments: (id, paid, fom, tom, belop, status).
    type PaymentRow = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        i64,
        Option<&'static str>,
    );

    const PAYMENTS: [PaymentRow; 7] = [
        ("a", "2026-03-05", None, None, 100, Some("UTBETALT")),
        (
            "a",
            "2026-02-20",
            Some("2026-03-01"),
            Some("2026-04-30"),
            100,
            Some("UTBETALT"),
        ),
        ("b", "2026-03-05", None, None, 0, Some("UTBETALT")),
        ("b", "2026-04-05", None, None, 100, Some("ANNULLERT")),
        ("b", "2026-05-05", None, None, 100, None),
        ("b", "2026-06-05", None, None, 100, Some("UTBETALT")),
        ("c", "2027-01-05", None, None, 100, Some("UTBETALT")),
    ];

    fn day(s: &str) -> i32 {
        days_since_epoch(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    /// [`PAYMENTS`] in the given order, as one batch of `okonomisk_stonad`.
    fn payments(order: &[usize]) -> RecordBatch {
        use datafusion::arrow::array::{Int64Array, StringArray};
        let schema = Arc::new(Schema::new(vec![
            Field::new("person_id", DataType::Utf8, false),
            Field::new("utbetalingsdato", DataType::Date32, false),
            Field::new("fom", DataType::Date32, true),
            Field::new("tom", DataType::Date32, true),
            Field::new("belop", DataType::Int64, false),
            Field::new("status", DataType::Utf8, true),
        ]));
        let r: Vec<_> = order.iter().map(|i| PAYMENTS[*i]).collect();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from_iter_values(r.iter().map(|x| x.0))),
                Arc::new(Date32Array::from_iter_values(r.iter().map(|x| day(x.1)))),
                Arc::new(r.iter().map(|x| x.2.map(day)).collect::<Date32Array>()),
                Arc::new(r.iter().map(|x| x.3.map(day)).collect::<Date32Array>()),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.4))),
                Arc::new(r.iter().map(|x| x.5).collect::<StringArray>()),
            ],
        )
        .unwrap()
    }

    /// The months known per person on 2026-11-16, worked on by `threads` threads, sorted.
    fn months_known(batches: &[RecordBatch], threads: usize) -> Vec<(String, i64, i32)> {
        let scan = [NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()];
        let t = stonad_kjent(batches, &scan, threads).unwrap();
        let t = datafusion::arrow::compute::concat_batches(&t[0].schema(), &t).unwrap();
        let ids = t.column(0).as_string_view();
        let m = t.column(1).as_primitive::<Int64Type>();
        let k = t
            .column(2)
            .as_primitive::<datafusion::arrow::datatypes::Date32Type>();
        let mut v: Vec<(String, i64, i32)> = (0..t.num_rows())
            .map(|i| (ids.value(i).to_string(), m.value(i), k.value(i)))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn months_known_are_the_same_in_any_row_order() {
        let sorted = |b: RecordBatch| months_known(&[b], 1);
        let together = sorted(payments(&[0, 1, 2, 3, 4, 5, 6]));
        let mar = month_index(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(
            together,
            vec![
                // March known from the earlier of the two payments covering it
                ("a".to_string(), mar, day("2026-02-20")),
                ("a".to_string(), mar + 1, day("2026-02-20")),
                ("b".to_string(), mar + 3, day("2026-06-05")),
            ]
        );
        // a's payments in two stretches take the other path and give the same rows
        assert_eq!(sorted(payments(&[0, 2, 1, 3, 4, 5, 6])), together);
        // one row per batch, worked on by several threads: a person cut between two threads'
        // stretches is put together (a), and one found in two stretches apart falls back (b)
        let one_each = |order: &[usize]| -> Vec<RecordBatch> {
            let b = payments(order);
            (0..b.num_rows()).map(|i| b.slice(i, 1)).collect()
        };
        let orders: [&[usize]; 4] = [
            &[0, 1, 2, 3, 4, 5, 6],
            &[2, 3, 0, 1, 4, 5, 6],
            &[2, 0, 1, 3, 4, 5, 6],
            &[5, 0, 2, 3, 4, 1, 6],
        ];
        for threads in [2, 3, 7] {
            for order in orders {
                assert_eq!(
                    months_known(&one_each(order), threads),
                    together,
                    "{order:?}"
                );
            }
        }
    }

    #[test]
    fn next_date_is_the_persons_next_row_in_date_rank_and_row_order() {
        use datafusion::arrow::array::{Array, Int32Array, StringArray};
        use datafusion::arrow::datatypes::Date32Type;
        let schema = Arc::new(Schema::new(vec![
            Field::new("person_id", DataType::Utf8, false),
            Field::new("dato", DataType::Date32, false),
            Field::new("hendelse", DataType::Utf8, false),
            Field::new("_kilde", DataType::Int32, false),
            Field::new("_rad", DataType::Int64, false),
        ]));
        // (person, day, event, row): b's rows out of order, a same-day pair in process order
        // (VURDERT before BEGYNT), one row after dmax (dropped)
        let rows = [
            ("b", 30, "VURDERT", 1),
            ("a", 10, "BEGYNT", 2),
            ("b", 20, "VURDERT", 3),
            ("a", 10, "VURDERT", 4),
            ("a", 40, "VURDERT", 5),
            ("a", 99, "VURDERT", 6),
        ];
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
                Arc::new(Int32Array::from(vec![0; rows.len()])),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.3))),
            ],
        )
        .unwrap();
        let schema = batch.schema();
        let (_, out) = with_next_date(
            &schema,
            &[batch],
            "dato",
            50,
            Some(("hendelse", event_rank)),
        )
        .unwrap();
        let b = &out[0];
        let rad = b.column(4).as_primitive::<Int64Type>();
        let next = b.column(5).as_primitive::<Date32Type>();
        let got: Vec<(i64, Option<i32>)> = (0..b.num_rows())
            .map(|i| (rad.value(i), (!next.is_null(i)).then(|| next.value(i))))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, None),     // b's last
                (2, Some(40)), // a's BEGYNT at day 10: next is day 40
                (3, Some(30)), // b at day 20: next is day 30
                (4, Some(10)), // a's VURDERT at day 10: next is BEGYNT the same day
                (5, None),     // a's last on or before dmax
            ]
        );
    }

    #[test]
    fn months_in_person_order_keep_every_row_and_each_persons_months_in_order() {
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::{Date32Type, Int64Type};
        // as `stonad_kjent` gives them: one run per person, the stitched persons last
        let batches = vec![
            known_batch((vec!["c", "c", "a"], vec![5, 6, 1], vec![50, 60, 10])),
            known_batch((vec!["d", "b", "b"], vec![7, 2, 3], vec![70, 20, 30])),
            known_batch((vec!["aa"], vec![4], vec![40])),
        ];
        for parts in 1..5 {
            let out = in_person_order(batches.clone(), parts).unwrap();
            assert!(!out.is_empty() && out.len() <= parts);
            let rows: Vec<(String, i64, i32)> = out
                .iter()
                .flat_map(|b| {
                    let ids = b.column(0).as_string_view();
                    let m = b.column(1).as_primitive::<Int64Type>();
                    let d = b.column(2).as_primitive::<Date32Type>();
                    (0..b.num_rows())
                        .map(|i| (ids.value(i).to_string(), m.value(i), d.value(i)))
                        .collect::<Vec<_>>()
                })
                .collect();
            let want = [
                ("a", 1, 10),
                ("aa", 4, 40),
                ("b", 2, 20),
                ("b", 3, 30),
                ("c", 5, 50),
                ("c", 6, 60),
                ("d", 7, 70),
            ]
            .map(|(p, m, d)| (p.to_string(), m, d));
            assert_eq!(rows, want, "{parts} parts");
        }
    }

    #[test]
    fn stretches_cover_the_batches_in_order() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let b = |n: i64| {
            RecordBatch::try_new(
                schema.clone(),
                vec![Arc::new(Int64Array::from_iter_values(0..n))],
            )
            .unwrap()
        };
        let batches = vec![b(5), b(1), b(1), b(5), b(2)];
        for n in 1..8 {
            let s = stretches(&batches, n);
            assert!(s.len() <= n && !s.is_empty());
            let flat: Vec<usize> = s
                .iter()
                .flat_map(|x| x.iter().map(|b| b.num_rows()))
                .collect();
            assert_eq!(flat, vec![5, 1, 1, 5, 2], "{n} threads");
        }
        assert_eq!(stretches(&batches, 2).len(), 2);
        assert_eq!(stretches(&[], 2).len(), 1);
    }

    #[test]
    fn date_months_reach_back_the_horizon_for_each_date() {
        let a = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let b = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let t = date_months_batch(&[a, b]).unwrap();
        assert_eq!(t.num_rows(), 2 * HORIZON_MONTHS as usize);
        let m = t.column(1).as_primitive::<Int64Type>();
        let back = t.column(2).as_primitive::<Int64Type>();
        assert_eq!(m.value(0), month_index(a));
        assert_eq!(back.value(0), 0);
        let last = HORIZON_MONTHS as usize - 1;
        assert_eq!(m.value(last), month_index(a) - last as i64);
        assert_eq!(back.value(last), last as i64);
        let d = dates_batch(&[a]).unwrap();
        assert_eq!(d.column(3).as_primitive::<Int64Type>().value(0), 1116);
    }
}
