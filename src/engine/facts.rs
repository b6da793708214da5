//! The per-person facts every rule can read, as SQL views over the validated contract tables.
//!
//! They are the engine's vocabulary (README, "Facts"): rule files select from them instead of
//! repeating the contract's definitions (what counts as a month with stønad, which vedtak is
//! in force, what the KVP state is). Every view has one row per scan date and person
//! (`skanningsdato`, `person_id`), so one session can evaluate many scan dates in one pass:
//! a scan has one date, an audit every Monday of its period.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Date32Array, Int32Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::Result;
use rayon::prelude::*;

use crate::contract::load::days_since_epoch;
use crate::contract::stonad;

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
        Field::new("maned_nr", DataType::Int32, false),
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
            Arc::new(Int32Array::from_iter_values(
                rows.iter().map(|r| r.1 as i32),
            )),
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

/// Each month with stønad per scan date and person, with how many months back it is.
pub const STONADSMANEDER: &str = "stonadsmaneder";

/// Internal: the function giving a month index's first day (`stonadsmaneder.maned`).
pub const MANED_START: &str = "_maned_start";

/// Internal: each month with stønad per person and the first day it was known.
pub const STONAD_KJENT: &str = "_stonad_kjent";

/// The months `_stonad_kjent` holds for `dates`: the `HORIZON_MONTHS` up to the latest date's
/// month, from payments paid on or before it.
pub fn months_window(dates: &[NaiveDate]) -> stonad::Window {
    let first = *dates.iter().min().expect("at least one scan date");
    let last = *dates.iter().max().expect("at least one scan date");
    stonad::Window {
        lo: month_index(first) - (HORIZON_MONTHS - 1),
        hi: month_index(last),
        dmax: days_since_epoch(last),
    }
}

/// `_stonad_kjent` in one pass over the validated payments: each month with stønad per person
/// ([`stonad`]) in the window of `dates` ([`months_window`]), with the first day it was known.
/// Columns: `person_id`, `maned_nr`, `kjent_fra`; `stonadsmaneder` joins it onto the dates.
///
/// The payments are split into `threads` stretches of batches worked on at once, each giving
/// its own batch; a person whose payments cross a stretch's end is put together again.
pub fn stonad_kjent(
    payments: &[RecordBatch],
    dates: &[NaiveDate],
    threads: usize,
) -> Result<Vec<RecordBatch>> {
    let window = months_window(dates);
    let t0 = std::time::Instant::now();
    let parts: Vec<_> = stretches(payments, threads.max(1))
        .par_iter()
        .map(|b| stonad::stretch_months(b, window, stonad::IdForm::View))
        .collect();
    tracing::debug!(
        elapsed_ms = t0.elapsed().as_millis() as u64,
        "months with stønad per stretch"
    );
    Ok(in_pieces(stonad::put_together(parts), threads))
}

/// Internal: per person with stønad in the 12 months up to the scan month (one scan date),
/// how many of those months (`maneder`) and the latest (`siste_maned`, its first day): the key
/// facts' stønad columns, counted from `_stonad_kjent`'s runs in Rust instead of a `GROUP BY`
/// over every month (at 10x, ~15 million months and a third of the key facts' time).
pub const STONAD_SISTE_12: &str = "_stonad_siste_12";

/// The `_stonad_siste_12` table for scan date `date` from the months `_stonad_kjent` holds
/// (each person's rows together, as [`stonad_kjent`] and the loader leave them). Columns:
/// `skanningsdato`, `person_id`, `maneder`, `siste_maned`.
pub fn stonad_siste_12(known: &[RecordBatch], date: NaiveDate) -> Result<RecordBatch> {
    use datafusion::arrow::array::StringViewArray;
    let month = month_index(date);
    let want = stonad::Window {
        lo: month - 11,
        hi: month,
        dmax: days_since_epoch(date),
    };
    let rows = stonad::months_per_person(known, want);
    let schema = Arc::new(Schema::new(vec![
        Field::new("skanningsdato", DataType::Date32, false),
        Field::new("person_id", DataType::Utf8View, false),
        Field::new("maneder", DataType::Int64, false),
        Field::new("siste_maned", DataType::Date32, true),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Date32Array::from_iter_values(
                rows.iter().map(|_| want.dmax),
            )),
            Arc::new(StringViewArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(
                rows.iter()
                    .map(|r| stonad::first_day_of_month(i64::from(r.2)))
                    .collect::<Date32Array>(),
            ),
        ],
    )?)
}

/// Months put together, with one batch (payments not listed person by person) cut in
/// `threads` pieces, so the joins on it still run on every core.
pub fn in_pieces(known: Vec<RecordBatch>, threads: usize) -> Vec<RecordBatch> {
    match &known[..] {
        [one] => pieces(one, threads),
        _ => known,
    }
}

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

/// Persons per block [`in_person_order`] deals out to its pieces in turn.
const PERSONS_PER_BLOCK: usize = 32;

/// `_stonad_kjent`'s rows in `person_id` order, in at most `parts` pieces: each piece is in
/// person order, which the table then declares ([`stonad_kjent_order`]), and the persons are
/// dealt out to the pieces in blocks of [`PERSONS_PER_BLOCK`] in turn. Consecutive pieces
/// (the first half of the persons, then the second) ran one after the other: the
/// order-keeping merge above them takes every row of the first before any of the second, so
/// the second piece's work waited. With many scan
/// dates every month is joined onto each date whose window holds it and counted per (date,
/// person); in person order DataFusion counts each person's rows as they stream past (a
/// partially sorted group-by) instead of holding every (date, person) in one hash table: the
/// national audit's peak memory fell by a third. Each person's rows come together (one run per
/// person, months in order), so the runs are sorted, not the rows.
pub fn in_person_order(known: Vec<RecordBatch>, parts: usize) -> Result<Vec<RecordBatch>> {
    dealt_in_person_order(known, parts, PERSONS_PER_BLOCK)
}

/// [`in_person_order`] with `block` persons per block dealt out.
fn dealt_in_person_order(
    known: Vec<RecordBatch>,
    parts: usize,
    block: usize,
) -> Result<Vec<RecordBatch>> {
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
    let parts = parts.max(1);
    (0..parts)
        .map(|k| {
            let order: UInt32Array = runs
                .chunks(block.max(1))
                .skip(k)
                .step_by(parts)
                .flatten()
                .flat_map(|(first, n)| *first..*first + *n)
                .collect();
            take_record_batch(&all, &order)
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(Into::into)
}

/// The order [`in_person_order`] gives, as the table declares it.
pub fn stonad_kjent_order() -> Vec<datafusion::logical_expr::SortExpr> {
    vec![datafusion::prelude::col("person_id").sort(true, false)]
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
    // sized once: grown by doubling it was copied and its new pages touched again each time
    let mut rows: Vec<(IdKey<'_>, i32, u8, i32, i64, u32, u32)> =
        Vec::with_capacity(batches.iter().map(|b| b.num_rows()).sum());
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
                IdKey::of(ids.value(i)),
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
    // each person's rows together, in (date, rank, kilde, rad) order: which person comes first
    // does not matter, only the row after each
    rows.par_sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| (a.1, a.2, a.3, a.4).cmp(&(b.1, b.2, b.3, b.4)))
    });
    let mut next: Vec<Vec<Option<i32>>> =
        batches.iter().map(|b| vec![None; b.num_rows()]).collect();
    for w in rows.windows(2) {
        if w[0].0.cmp(&w[1].0).is_eq() {
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

/// A person id as a sort key that mostly needs no pointer followed: its first 16 bytes inline
/// (zero-padded) and its length; the id itself is compared only
/// when both are longer than 16 bytes and agree so far. Orders ids consistently (not as
/// strings): enough to bring each person's rows together.
#[derive(Clone, Copy)]
struct IdKey<'a> {
    head: u128,
    len: usize,
    id: &'a str,
}

impl<'a> IdKey<'a> {
    fn of(id: &'a str) -> Self {
        let mut head = [0u8; 16];
        let n = id.len().min(16);
        head[..n].copy_from_slice(&id.as_bytes()[..n]);
        IdKey {
            head: u128::from_be_bytes(head),
            len: id.len(),
            id,
        }
    }

    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.head
            .cmp(&other.head)
            .then(self.len.cmp(&other.len))
            .then_with(|| {
                if self.len > 16 {
                    self.id.cmp(other.id)
                } else {
                    std::cmp::Ordering::Equal
                }
            })
    }
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
            name: STONADSMANEDER,
            sql: format!(
                "SELECT s.skanningsdato, CAST(k.person_id AS VARCHAR) AS person_id, CAST(k.maned_nr AS BIGINT) AS maned_nr, s.maneder_siden,
                   {MANED_START}(k.maned_nr) AS maned
                 FROM _skanningsmaneder s JOIN _stonad_kjent k ON k.maned_nr = s.maned_nr
                 WHERE k.kjent_fra <= s.skanningsdato"
            ),
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

/// One row per scan date and person with the key facts written to `vurderinger` (put in the
/// outputs' order by [`in_output_order`]).
pub const KEY_FACTS: &str = "
SELECT p.skanningsdato, p.person_id, p.nav_kontor, p.veileder, p.kommune_nr, p.kjonn, p.adressebeskyttelse, p.alder,
       coalesce(s.maneder, 0) AS stonadsmaneder_siste_12, s.siste_maned AS siste_stonadsmaned,
       v.innsatsgruppe, v.vedtak_dato,
       y.livsoppholdsytelser,
       k.tilstand AS kvp_tilstand, k.hendelse AS kvp_siste_hendelse, k.dato AS kvp_siste_dato
FROM person p
LEFT JOIN _stonad_siste_12 s
       ON s.person_id = p.person_id AND s.skanningsdato = p.skanningsdato
LEFT JOIN innsatsgruppe_gjeldende v ON v.person_id = p.person_id AND v.skanningsdato = p.skanningsdato
LEFT JOIN (SELECT skanningsdato, person_id, array_sort(array_agg(DISTINCT ytelse)) AS livsoppholdsytelser
           FROM ytelser_aktive WHERE livsopphold GROUP BY skanningsdato, person_id) y
       ON y.person_id = p.person_id AND y.skanningsdato = p.skanningsdato
LEFT JOIN kvp_status k ON k.person_id = p.person_id AND k.skanningsdato = p.skanningsdato
";

/// The person side of [`KEY_FACTS`] (its columns but the three facts [`KEY_FACTS_SMALL`]
/// adds): `person` with the livsopphold aggregate.
pub const KEY_FACTS_BASE: &str = "
SELECT p.skanningsdato, p.person_id, p.nav_kontor, p.veileder, p.kommune_nr, p.kjonn, p.adressebeskyttelse, p.alder,
       y.livsoppholdsytelser
FROM person p
LEFT JOIN (SELECT skanningsdato, person_id, array_sort(array_agg(DISTINCT ytelse)) AS livsoppholdsytelser
           FROM ytelser_aktive WHERE livsopphold GROUP BY skanningsdato, person_id) y
       ON y.person_id = p.person_id AND y.skanningsdato = p.skanningsdato
";

/// The three facts [`KEY_FACTS`] joins onto each person (one scan date: at most one row per
/// person each), their `person_id` first: months with stønad, the vedtak and the KVP state.
pub const KEY_FACTS_SMALL: [&str; 3] = [
    "SELECT person_id, maneder, siste_maned FROM _stonad_siste_12",
    "SELECT person_id, innsatsgruppe, vedtak_dato FROM innsatsgruppe_gjeldende",
    "SELECT person_id, tilstand, hendelse, dato FROM kvp_status",
];

/// Column `c` of `b` as person ids, whichever string type it has.
pub(crate) fn person_ids(b: &RecordBatch, c: usize) -> Result<Vec<Option<&str>>> {
    use datafusion::arrow::array::AsArray;
    let c = b.column(c);
    Ok(match c.data_type() {
        DataType::Utf8View => c.as_string_view().iter().collect(),
        DataType::LargeUtf8 => c.as_string::<i64>().iter().collect(),
        DataType::Utf8 => c.as_string::<i32>().iter().collect(),
        other => {
            return Err(datafusion::error::DataFusionError::Internal(format!(
                "person ids of type {other} in the key facts"
            )));
        }
    })
}

/// The rows of [`KEY_FACTS`] made from [`KEY_FACTS_BASE`]'s batches and [`KEY_FACTS_SMALL`]'s
/// results, in the outputs' order ([`in_output_order`]) in batches of `batch_rows`: each
/// person's row of each small fact looked up by id once, and every column gathered once, in
/// that order (the query's outer joins gathered every column carried so far, once per join,
/// and the order's gather once more). `None` when a small fact has an id twice (the joins
/// would repeat the person): the caller runs [`KEY_FACTS`] instead.
pub(crate) fn key_facts_joined(
    base: Vec<RecordBatch>,
    small: [(datafusion::arrow::datatypes::SchemaRef, Vec<RecordBatch>); 3],
    batch_rows: usize,
) -> Result<Option<Vec<RecordBatch>>> {
    use datafusion::arrow::array::{ArrayRef, AsArray, UInt32Array};
    use datafusion::arrow::compute::{concat_batches, take};
    let Some(first) = base.first() else {
        return Ok(Some(base));
    };
    let base_schema = first.schema();
    let mut tables = Vec::with_capacity(3);
    for (schema, batches) in small {
        tables.push(concat_batches(&schema, &batches)?);
    }
    let mut maps = Vec::with_capacity(3);
    for t in &tables {
        let mut m: rustc_hash::FxHashMap<&str, u32> = Default::default();
        m.reserve(t.num_rows());
        for (i, id) in person_ids(t, 0)?.into_iter().enumerate() {
            if let Some(id) = id
                && m.insert(id, i as u32).is_some()
            {
                return Ok(None);
            }
        }
        maps.push(m);
    }
    let mut fields: Vec<Field> = Vec::with_capacity(KEY_FACT_COLUMNS.len());
    fields.extend(base_schema.fields()[..8].iter().map(|f| f.as_ref().clone()));
    let nullable =
        |t: &RecordBatch, c: usize| t.schema().field(c).as_ref().clone().with_nullable(true);
    fields.push(Field::new(
        "stonadsmaneder_siste_12",
        DataType::Int64,
        false,
    ));
    fields.push(nullable(&tables[0], 2).with_name("siste_stonadsmaned"));
    fields.push(nullable(&tables[1], 1));
    fields.push(nullable(&tables[1], 2));
    fields.push(base_schema.field(8).as_ref().clone());
    fields.push(nullable(&tables[2], 1).with_name("kvp_tilstand"));
    fields.push(nullable(&tables[2], 2).with_name("kvp_siste_hendelse"));
    fields.push(nullable(&tables[2], 3).with_name("kvp_siste_dato"));
    let schema = Arc::new(Schema::new(fields));
    in_output_batches(base, batch_rows, |b| {
        let persons = person_ids(&b, 1)?;
        let at: Vec<UInt32Array> = maps
            .iter()
            .map(|m| {
                persons
                    .iter()
                    .map(|id| id.and_then(|id| m.get(id).copied()))
                    .collect()
            })
            .collect();
        let pick = |t: usize, c: usize| -> Result<ArrayRef> {
            Ok(take(tables[t].column(c).as_ref(), &at[t], None)?)
        };
        let months = pick(0, 1)?;
        let months: Int64Array = months
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .iter()
            .map(|m| Some(m.unwrap_or(0)))
            .collect();
        let mut cols: Vec<ArrayRef> = b.columns()[..8].to_vec();
        cols.push(Arc::new(months));
        cols.push(pick(0, 2)?);
        cols.push(pick(1, 1)?);
        cols.push(pick(1, 2)?);
        cols.push(b.column(8).clone());
        cols.push(pick(2, 1)?);
        cols.push(pick(2, 2)?);
        cols.push(pick(2, 3)?);
        Ok(RecordBatch::try_new(schema.clone(), cols)?)
    })
    .map(Some)
}

/// The key facts (the rows of [`KEY_FACTS`] for one scan date) in the outputs' order: by
/// office, caseworker (none last) and person, as `ORDER BY nav_kontor, veileder NULLS LAST,
/// person_id` gives them (ids are unique, so the order is total), in batches of `batch_rows`.
/// Sorted here rather than by the query: the three columns in Arrow's row format, compared as
/// bytes, and every column gathered once, each output batch on any core (the query's sort
/// compared the columns through a comparator per column, and gathered every column twice: in
/// each partition's sort and in the merge of the partitions). The batches are put together
/// first and each output batch taken from the one batch: gathering from the query's many
/// small batches (`interleave`) cost more than the copy.
pub(crate) fn in_output_order(
    batches: Vec<RecordBatch>,
    batch_rows: usize,
) -> Result<Vec<RecordBatch>> {
    in_output_batches(batches, batch_rows, Ok)
}

/// `batches` in the outputs' order ([`in_output_order`]) in batches of `batch_rows`, each
/// output batch gathered once and then made into what `then` makes of it, on any core.
fn in_output_batches(
    batches: Vec<RecordBatch>,
    batch_rows: usize,
    then: impl Fn(RecordBatch) -> Result<RecordBatch> + Sync,
) -> Result<Vec<RecordBatch>> {
    use datafusion::arrow::array::UInt32Array;
    use datafusion::arrow::compute::take_record_batch;
    let Some((all, order)) = output_order(batches)? else {
        return Ok(Vec::new());
    };
    order
        .par_chunks(batch_rows.max(1))
        .map(|chunk| then(take_record_batch(&all, &UInt32Array::from(chunk.to_vec()))?))
        .collect()
}

/// `batches` (key facts, or at least their first columns up to `person_id`, `nav_kontor` and
/// `veileder`) put together as one batch, and its rows' numbers in the outputs' order
/// ([`in_output_order`]); none for no batches.
fn output_order(batches: Vec<RecordBatch>) -> Result<Option<(RecordBatch, Vec<u32>)>> {
    use datafusion::arrow::compute::SortOptions;
    use datafusion::arrow::row::{RowConverter, SortField};
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let by = [KeyFact::NavKontor, KeyFact::Veileder, KeyFact::PersonId];
    let options = SortOptions {
        descending: false,
        nulls_first: false,
    };
    let converter = RowConverter::new(
        by.iter()
            .map(|k| {
                let t = first.column(*k as usize).data_type().clone();
                SortField::new_with_options(t, options)
            })
            .collect(),
    )?;
    // every row's sort key, by its number
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    let n32 = u32::try_from(n).map_err(|_| {
        datafusion::error::DataFusionError::Internal("over 4 billion persons".into())
    })?;
    let mut keys = converter.empty_rows(n, n * 32);
    for b in &batches {
        converter.append(&mut keys, &by.map(|k| b.column(k as usize).clone()))?;
    }
    // each key's bytes beside its number (no lookup per comparison); ties, which unique ids
    // do not have, in the order read
    let mut order: Vec<(&[u8], u32)> = (0..n32).map(|g| (keys.row(g as usize).data(), g)).collect();
    order.par_sort_unstable();
    let order: Vec<u32> = order.into_iter().map(|(_, g)| g).collect();
    // the batches as one (each column on any core)
    let schema = first.schema();
    let columns = (0..schema.fields().len())
        .into_par_iter()
        .map(|c| {
            let parts: Vec<&dyn datafusion::arrow::array::Array> =
                batches.iter().map(|b| b.column(c).as_ref()).collect();
            datafusion::arrow::compute::concat(&parts)
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Some((RecordBatch::try_new(schema, columns)?, order)))
}

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
        stonad::sorted_rows(&stonad_kjent(batches, &scan, threads).unwrap())
    }

    #[test]
    fn months_kept_for_a_wider_window_give_those_of_a_narrower_one() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let batch = payments(&[0, 1, 2, 3, 4, 5, 6]);
        let (mid, late) = (d("2026-05-15"), d("2026-11-16"));
        let wide = months_window(&[mid, late]);
        let want = months_window(&[mid]);
        assert!(wide.covers(&want) && !want.covers(&wide));
        let kept = stonad::put_together(vec![stonad::stretch_months(
            std::slice::from_ref(&batch),
            wide,
            stonad::IdForm::Keyed,
        )]);
        let rows = stonad::sorted_rows;
        let direct = rows(&stonad_kjent(&[batch], &[mid], 1).unwrap());
        // a's March and April (known from February), b's May (a null status is UTBETALT);
        // not b's June, paid after mid-May
        assert_eq!(direct.len(), 3);
        for views in [false, true] {
            let taken = stonad::within(&kept, wide, want, views).unwrap();
            assert_eq!(rows(&taken), direct);
            let keyed = matches!(taken[0].column(0).data_type(), DataType::Dictionary(..));
            assert_eq!(keyed, !views, "views on request");
        }
        assert!(rows(&kept).len() > direct.len());
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
                // b: not March (0 kr) nor April (annulled); May (a null status is UTBETALT)
                ("b".to_string(), mar + 2, day("2026-05-05")),
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
        // short ids, ids longer than the sort key's 16 inline bytes that agree in them, and
        // ids that differ only in length
        for (a, b) in [
            ("a", "b"),
            ("pseudonym-0000000000-a", "pseudonym-0000000000-b"),
            ("0101901234", "01019012345"),
        ] {
            next_dates_for(a, b);
        }
    }

    fn next_dates_for(id_a: &str, id_b: &str) {
        let (a, b) = (id_a, id_b);
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
            (b, 30, "VURDERT", 1),
            (a, 10, "BEGYNT", 2),
            (b, 20, "VURDERT", 3),
            (a, 10, "VURDERT", 4),
            (a, 40, "VURDERT", 5),
            (a, 99, "VURDERT", 6),
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
            ],
            "ids {id_a} and {id_b}"
        );
    }

    /// The key facts put together from the person side and the three small facts: each
    /// person gets its own row of each (none: nulls, and 0 months), in `KEY_FACTS`'s columns,
    /// in the outputs' order (caseworker none last) in batches of the size asked for; a small
    /// fact naming a person twice gives `None` (the query is run instead).
    #[test]
    fn key_facts_are_joined_by_person_and_a_repeated_id_is_refused() {
        use datafusion::arrow::array::{Array, AsArray, ListArray, StringArray, StringViewArray};
        use datafusion::arrow::datatypes::{Date32Type, SchemaRef};
        let text = |v: &[Option<&str>]| Arc::new(StringArray::from(v.to_vec())) as _;
        let base = {
            let item = Arc::new(Field::new("item", DataType::Utf8, true));
            let mut fields: Vec<Field> = KEY_FACT_COLUMNS[..8]
                .iter()
                .map(|n| Field::new(*n, DataType::Utf8, true))
                .collect();
            fields[0] = Field::new("skanningsdato", DataType::Date32, false);
            fields[7] = Field::new("alder", DataType::Int64, true);
            fields.push(Field::new(
                "livsoppholdsytelser",
                DataType::List(item.clone()),
                true,
            ));
            let some = |s: &'static str| vec![Some(s); 3];
            let cols: Vec<datafusion::arrow::array::ArrayRef> = vec![
                Arc::new(Date32Array::from(vec![20_000; 3])),
                text(&[Some("a"), Some("b"), Some("c")]),
                text(&some("0301")),
                text(&[Some("V1"), None, Some("V2")]),
                text(&some("0301")),
                text(&some("K")),
                text(&[None, None, None]),
                Arc::new(Int64Array::from(vec![30, 40, 50])),
                Arc::new(ListArray::new_null(item, 3)),
            ];
            RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap()
        };
        let small =
            |names: &[&str], ids: &[&str], cols: Vec<datafusion::arrow::array::ArrayRef>| {
                let mut fields = vec![Field::new("person_id", DataType::Utf8View, false)];
                fields.extend(
                    cols.iter()
                        .zip(names)
                        .map(|(c, n)| Field::new(*n, c.data_type().clone(), true)),
                );
                let schema: SchemaRef = Arc::new(Schema::new(fields));
                let mut all = vec![Arc::new(StringViewArray::from_iter_values(ids)) as _];
                all.extend(cols);
                let batch = RecordBatch::try_new(schema.clone(), all).unwrap();
                (schema, vec![batch])
            };
        let months = || {
            small(
                &["maneder", "siste_maned"],
                &["b"],
                vec![
                    Arc::new(Int64Array::from(vec![4])),
                    Arc::new(Date32Array::from(vec![20_390])),
                ],
            )
        };
        let vedtak = |ids: &[&str]| {
            let n = ids.len();
            small(
                &["innsatsgruppe", "vedtak_dato"],
                ids,
                vec![
                    text(&vec![Some("VARIG"); n]),
                    Arc::new(Date32Array::from(vec![19_000; n])),
                ],
            )
        };
        let kvp = || {
            small(
                &["tilstand", "hendelse", "dato"],
                &["c"],
                vec![
                    text(&[Some("i_program")]),
                    text(&[Some("BEGYNT")]),
                    Arc::new(Date32Array::from(vec![19_500])),
                ],
            )
        };
        let small = [months(), vedtak(&["c", "a"]), kvp()];
        let joined = key_facts_joined(vec![base.clone()], small, 2)
            .unwrap()
            .expect("no id twice");
        assert_eq!(
            joined.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
            [2, 1]
        );
        let b = &datafusion::arrow::compute::concat_batches(&joined[0].schema(), &joined).unwrap();
        let names: Vec<&str> = b
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(names, KEY_FACT_COLUMNS);
        let col = |k: KeyFact| b.column(k as usize);
        let counts: Vec<i64> = col(KeyFact::StonadsmanederSiste12)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .values()
            .to_vec();
        // a (V1), c (V2), then b (no caseworker)
        let ids = col(KeyFact::PersonId).as_string::<i32>();
        assert_eq!(
            ids.iter().collect::<Vec<_>>(),
            [Some("a"), Some("c"), Some("b")]
        );
        assert_eq!(counts, [0, 0, 4]);
        let latest = col(KeyFact::SisteStonadsmaned).as_primitive::<Date32Type>();
        assert_eq!((latest.is_null(0), latest.value(2)), (true, 20_390));
        let group = col(KeyFact::Innsatsgruppe).as_string::<i32>();
        assert_eq!(
            group.iter().collect::<Vec<_>>(),
            [Some("VARIG"), Some("VARIG"), None]
        );
        let state = col(KeyFact::KvpTilstand).as_string::<i32>();
        assert_eq!(
            state.iter().collect::<Vec<_>>(),
            [None, Some("i_program"), None]
        );
        let caseworkers = col(KeyFact::Veileder).as_string::<i32>();
        assert_eq!(
            caseworkers.iter().collect::<Vec<_>>(),
            [Some("V1"), Some("V2"), None]
        );
        let small = [months(), vedtak(&["a", "a"]), kvp()];
        let twice = key_facts_joined(vec![base], small, 2).unwrap();
        assert!(
            twice.is_none(),
            "a person with two vedtak rows is left to the query"
        );
    }

    /// `_stonad_kjent` rows as a batch.
    fn known(ids: &[&str], months: &[i32], days: &[i32]) -> RecordBatch {
        use datafusion::arrow::array::StringViewArray;
        RecordBatch::try_new(
            stonad::schema(stonad::IdForm::View),
            vec![
                Arc::new(StringViewArray::from_iter_values(ids)),
                Arc::new(Int32Array::from(months.to_vec())),
                Arc::new(Date32Array::from(days.to_vec())),
            ],
        )
        .unwrap()
    }

    #[test]
    fn months_in_person_order_keep_every_row_and_each_persons_months_in_order() {
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::{Date32Type, Int32Type};
        // as `stonad_kjent` gives them: one run per person, the stitched persons last
        let batches = vec![
            known(&["c", "c", "a"], &[5, 6, 1], &[50, 60, 10]),
            known(&["d", "b", "b"], &[7, 2, 3], &[70, 20, 30]),
            known(&["aa"], &[4], &[40]),
        ];
        let rows_of = |b: &RecordBatch| -> Vec<(String, i32, i32)> {
            let ids = b.column(0).as_string_view();
            let m = b.column(1).as_primitive::<Int32Type>();
            let d = b.column(2).as_primitive::<Date32Type>();
            (0..b.num_rows())
                .map(|i| (ids.value(i).to_string(), m.value(i), d.value(i)))
                .collect()
        };
        for (parts, block) in (1..5).flat_map(|p| [(p, 1), (p, 2), (p, PERSONS_PER_BLOCK)]) {
            let out = dealt_in_person_order(batches.clone(), parts, block).unwrap();
            assert_eq!(out.len(), parts);
            // each piece in person order, each person's months in order, each person in one
            let pieces: Vec<Vec<(String, i32, i32)>> = out.iter().map(rows_of).collect();
            for p in &pieces {
                assert!(p.is_sorted(), "{parts} parts of {block}: {p:?}");
            }
            let persons = |p: &[(String, i32, i32)]| {
                let mut v: Vec<String> = p.iter().map(|r| r.0.clone()).collect();
                v.dedup();
                v
            };
            let mut all: Vec<String> = pieces.iter().flat_map(|p| persons(p)).collect();
            all.sort();
            assert_eq!(all, ["a", "aa", "b", "c", "d"]);
            // one person at a time in turn: the pieces take part alike
            if (parts, block) == (2, 1) {
                assert_eq!(persons(&pieces[0]), ["a", "b", "d"]);
                assert_eq!(persons(&pieces[1]), ["aa", "c"]);
            }
            let mut rows: Vec<(String, i32, i32)> = pieces.concat();
            rows.sort();
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
        let m = t
            .column(1)
            .as_primitive::<datafusion::arrow::datatypes::Int32Type>();
        let back = t.column(2).as_primitive::<Int64Type>();
        assert_eq!(i64::from(m.value(0)), month_index(a));
        assert_eq!(back.value(0), 0);
        let last = HORIZON_MONTHS as usize - 1;
        assert_eq!(i64::from(m.value(last)), month_index(a) - last as i64);
        assert_eq!(back.value(last), last as i64);
        let d = dates_batch(&[a]).unwrap();
        assert_eq!(d.column(3).as_primitive::<Int64Type>().value(0), 1116);
    }

    /// Rows of (person, office, caseworker) drawn from few values, so that offices and
    /// caseworkers tie, some strings are prefixes of others, not ASCII or hold a NUL, some ids
    /// are longer than 16 bytes and alike in their first 16, and caseworkers are missing or
    /// empty.
    fn key_rows() -> impl proptest::strategy::Strategy<Value = Vec<(String, String, Option<String>)>>
    {
        use proptest::prelude::*;
        let piece = prop::sample::select(vec![
            "", "a", "ab", "B", "0312", "1201", "Å", "æ", "z", "\0",
        ]);
        let text = prop::collection::vec(piece, 1..3).prop_map(|p| p.concat());
        prop::collection::vec((text.clone(), prop::option::weighted(0.8, text)), 1..60).prop_map(
            |rows| {
                rows.into_iter()
                    .enumerate()
                    // ids unique, as in personer; some of digits, some not
                    .map(|(i, (kontor, veileder))| {
                        // long ones alike in their first 16 bytes, one with a NUL after them
                        let id = match i % 5 {
                            0 | 3 => format!("{i:011}"),
                            1 => format!("{:016}{i}", 7),
                            2 if i % 10 == 2 => format!("{:016}\0{i}", 7),
                            _ => format!("x{i}"),
                        };
                        (id, kontor, veileder)
                    })
                    .collect()
            },
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// `in_output_order` gives the rows in the order the query's `ORDER BY` gave them
        /// (every column carried with its row), in batches of at most the size asked for.
        #[test]
        fn key_facts_come_in_the_order_by_order(
            rows in key_rows(),
            cuts in proptest::collection::vec(1usize..20, 1..5),
            batch_rows in 1usize..25,
        ) {
            use datafusion::arrow::array::{AsArray, StringArray};
            use datafusion::prelude::SessionContext;
            let schema = Arc::new(Schema::new(vec![
                Field::new("skanningsdato", DataType::Date32, false),
                Field::new("person_id", DataType::Utf8, false),
                Field::new("nav_kontor", DataType::Utf8, false),
                Field::new("veileder", DataType::Utf8, true),
                Field::new("alder", DataType::Int64, false),
            ]));
            let batch = |rows: &[(String, String, Option<String>)], first: usize| {
                RecordBatch::try_new(
                    schema.clone(),
                    vec![
                        Arc::new(Date32Array::from(vec![20_000; rows.len()])),
                        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.0))),
                        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.1))),
                        Arc::new(rows.iter().map(|r| r.2.as_deref()).collect::<StringArray>()),
                        Arc::new(Int64Array::from_iter_values(
                            (first..first + rows.len()).map(|i| i as i64),
                        )),
                    ],
                )
                .unwrap()
            };
            // the rows in batches cut at the drawn sizes
            let mut batches = Vec::new();
            let mut at = 0;
            for cut in cuts.iter().cycle() {
                if at >= rows.len() {
                    break;
                }
                let end = (at + cut).min(rows.len());
                batches.push(batch(&rows[at..end], at));
                at = end;
            }
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let want: Vec<RecordBatch> = rt.block_on(async {
                let ctx = SessionContext::new();
                let table = datafusion::datasource::MemTable::try_new(
                    schema.clone(),
                    vec![batches.clone()],
                )
                .unwrap();
                ctx.register_table("k", Arc::new(table)).unwrap();
                ctx.sql("SELECT * FROM k ORDER BY nav_kontor, veileder NULLS LAST, person_id")
                    .await
                    .unwrap()
                    .collect()
                    .await
                    .unwrap()
            });
            let got = in_output_order(batches, batch_rows).unwrap();
            proptest::prop_assert!(got.iter().all(|b| b.num_rows() <= batch_rows && b.num_rows() > 0));
            let ids = |bs: &[RecordBatch], c: usize| -> Vec<String> {
                bs.iter()
                    .flat_map(|b| {
                        let a = b.column(c).clone();
                        (0..b.num_rows()).map(move |i| match a.data_type() {
                            DataType::Int64 => {
                                a.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                                    .value(i)
                                    .to_string()
                            }
                            _ => a.as_string::<i32>().value(i).to_string(),
                        })
                    })
                    .collect()
            };
            proptest::prop_assert_eq!(ids(&got, 1), ids(&want, 1));
            // each row's other columns came with it
            proptest::prop_assert_eq!(ids(&got, 4), ids(&want, 4));
        }
    }
}
