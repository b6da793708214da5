//! Months with stønad as the data contract defines them: for each person and month, the first
//! day it was known — the earliest `utbetalingsdato` among the payments covering it (status
//! `UTBETALT`, `belop > 0`; the months `fom..tom`, or the payment month when `fom` is null, `tom`
//! null meaning the `fom` month). Computed a stretch of validated payments at a time, in file
//! order ([`stretch_months`]), and the stretches put together ([`put_together`]): the loader
//! reduces each part of the payments file as it is read, the engine stretches of the loaded
//! payments.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, DictionaryArray, Int32Array, RecordBatch, StringArray,
    StringViewArray,
};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Field, Int32Type, Int64Type, Schema, SchemaRef,
};
use rustc_hash::{FxHashMap, FxHashSet};

use super::load::days_since_epoch;
use super::strs::Strs;

/// The months a computation gives: month indexes `lo..=hi` (a payment's months are clipped to
/// them), from payments paid on or before day `dmax` (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub lo: i64,
    pub hi: i64,
    pub dmax: i32,
}

impl Window {
    /// Whether this window's months hold every month `other` gives: each of its months, known
    /// by its first day, is among them (a month known by `other.dmax` is known by `self.dmax`).
    pub fn covers(&self, other: &Window) -> bool {
        self.lo <= other.lo && self.hi >= other.hi && self.dmax >= other.dmax
    }
}

/// The months of `batches` (for window `kept`) that window `want` gives, which `kept` covers:
/// those within its months and known by its last day — the first day a month was known is the
/// earliest payment covering it, so it is the same for both windows or after `want.dmax`. With
/// `views`, the ids as views whatever their form.
pub fn within(
    batches: &[RecordBatch],
    kept: Window,
    want: Window,
    views: bool,
) -> Result<Vec<RecordBatch>, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::compute::{cast, filter_record_batch};
    debug_assert!(kept.covers(&want));
    batches
        .iter()
        .map(|b| {
            let (_, months, days) = columns(b);
            let keep: datafusion::arrow::array::BooleanArray = months
                .iter()
                .zip(days)
                .map(|(m, d)| Some((want.lo..=want.hi).contains(&i64::from(*m)) && *d <= want.dmax))
                .collect();
            let b = filter_record_batch(b, &keep)?;
            if !views || IdForm::of(&b) == IdForm::View {
                return Ok(b);
            }
            let ids = cast(b.column(0), &DataType::Utf8View)?;
            let mut cols = b.columns().to_vec();
            cols[0] = ids;
            RecordBatch::try_new(schema(IdForm::View), cols)
        })
        .collect()
}

/// Per person, the months of `batches` that window `want` gives (within its months, known by
/// its last day): how many, and the latest month index; persons with none are left out. Each
/// person's rows must come together in the batches' order, as [`put_together`] leaves them (in
/// pieces or not, filtered or not): one pass over the runs on every core instead of grouping by
/// id, and a person whose rows run from one batch into the next is counted once.
pub fn months_per_person(batches: &[RecordBatch], want: Window) -> Vec<(&str, i64, i32)> {
    use rayon::prelude::*;
    let parts: Vec<Vec<(&str, i64, i32)>> = batches
        .par_iter()
        .map(|b| batch_months_per_person(b, want))
        .collect();
    let mut out: Vec<(&str, i64, i32)> = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        let mut rest = part.into_iter();
        if let (Some(last), Some(first)) = (out.last_mut(), rest.as_slice().first())
            && last.0 == first.0
        {
            last.1 += first.1;
            last.2 = last.2.max(first.2);
            rest.next();
        }
        out.extend(rest);
    }
    out
}

/// [`months_per_person`] of one batch: a new person starts where the id changes (for keyed
/// ids, where the key does: one key per run).
fn batch_months_per_person(b: &RecordBatch, want: Window) -> Vec<(&str, i64, i32)> {
    let (ids, months, days) = columns(b);
    let mut out: Vec<(&str, i64, i32)> = Vec::new();
    // the row where the current person's run started, and whether it has a month yet
    let mut run_start = 0usize;
    let mut counted = false;
    for i in 0..b.num_rows() {
        if i > 0 && !ids.same(run_start, i) {
            run_start = i;
            counted = false;
        }
        let m = months[i];
        if !((want.lo..=want.hi).contains(&i64::from(m)) && days[i] <= want.dmax) {
            continue;
        }
        if counted {
            let last = out.last_mut().expect("counted");
            last.1 += 1;
            last.2 = last.2.max(m);
        } else {
            out.push((ids.value(i), 1, m));
            counted = true;
        }
    }
    out
}

/// Every (person, month, first day known) of months batches in either id form, sorted: for
/// tests comparing months however they were computed.
#[cfg(test)]
pub(crate) fn sorted_rows(batches: &[RecordBatch]) -> Vec<(String, i64, i32)> {
    let mut out = Vec::new();
    for b in batches {
        let (ids, months, days) = columns(b);
        for i in 0..b.num_rows() {
            out.push((ids.value(i).to_string(), i64::from(months[i]), days[i]));
        }
    }
    out.sort();
    out
}

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

/// The first day of month index `m` (year * 12 + month - 1) as days since 1970-01-01; none
/// outside chrono's years.
pub fn first_day_of_month(m: i64) -> Option<i32> {
    let year = i32::try_from(m.div_euclid(12)).ok()?;
    NaiveDate::from_ymd_opt(year, m.rem_euclid(12) as u32 + 1, 1).map(days_since_epoch)
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
        let first = first_day_of_month(lo).unwrap_or(last + 1);
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

/// Calls `emit(person_id, first month, last month, payment day)` for every payment of a batch
/// that gives months with stønad, its months clipped to the window's: of payments validated
/// (with `keep`, the rows the loader keeps; without, every row), their strings plain or
/// dictionary-encoded, a null status meaning `UTBETALT` as the contract says.
fn payment_months<'a>(
    b: &'a RecordBatch,
    keep: Option<&[bool]>,
    window: Window,
    months: &MonthTable,
    emit: impl FnMut(&'a str, i64, i64, i32),
) {
    let col = |name: &str| {
        b.column_by_name(name)
            .unwrap_or_else(|| panic!("validated payments have `{name}`"))
    };
    let strings = |name: &str| Strs::of(col(name)).expect("validated payments' strings are Utf8");
    let cols = PaymentCols {
        paid: col("utbetalingsdato").as_primitive::<Date32Type>(),
        fom: col("fom").as_primitive::<Date32Type>(),
        tom: col("tom").as_primitive::<Date32Type>(),
        belop: col("belop").as_primitive::<Int64Type>(),
    };
    let (ids, status) = (strings("person_id"), strings("status"));
    // Dictionaries whose every row has a value (the loader's usual reading) are looked up by
    // key alone; anything else row by row through `Strs`.
    if let (Some(ids), Some(paid_out)) = (DenseDict::of(&ids), paid_out_by_key(&status)) {
        let skeys = match &status {
            Strs::Dict { keys, .. } => *keys,
            Strs::Plain(_) => unreachable!("a dictionary's flags"),
        };
        let id = |i: usize| Some(ids.value(i));
        // a null row, or a key past the values (which `Strs` reads as null), is paid out
        let utbetalt = |i: usize| {
            skeys.is_null(i)
                || paid_out
                    .get(skeys.values()[i] as usize)
                    .copied()
                    .unwrap_or(true)
        };
        cols.months(keep, window, months, id, utbetalt, emit);
    } else {
        let id = |i: usize| (!ids.is_null(i)).then(|| ids.value(i));
        let utbetalt = |i: usize| status.is_null(i) || status.value(i) == super::UTBETALT;
        cols.months(keep, window, months, id, utbetalt, emit);
    }
}

/// A dictionary-encoded string column without a null row or value: a row's value by its key.
struct DenseDict<'a> {
    keys: &'a [i32],
    values: &'a StringArray,
}

impl<'a> DenseDict<'a> {
    fn of(s: &Strs<'a>) -> Option<Self> {
        match s {
            Strs::Dict { keys, values }
                if keys.null_count() == 0
                    && values.null_count() == 0
                    && keys
                        .values()
                        .iter()
                        .all(|k| usize::try_from(*k).is_ok_and(|k| k < values.len())) =>
            {
                Some(DenseDict {
                    keys: keys.values(),
                    values,
                })
            }
            _ => None,
        }
    }

    #[inline]
    fn value(&self, i: usize) -> &'a str {
        self.values.value(self.keys[i] as usize)
    }
}

/// Of a dictionary-encoded status: whether each distinct value means paid out (`UTBETALT`, or
/// null, which the contract reads as `UTBETALT`).
fn paid_out_by_key(status: &Strs) -> Option<Vec<bool>> {
    match status {
        Strs::Dict { values, .. } => Some(
            values
                .iter()
                .map(|v| v.is_none_or(|v| v == super::UTBETALT))
                .collect(),
        ),
        Strs::Plain(_) => None,
    }
}

/// The payments' columns that give months.
struct PaymentCols<'a> {
    paid: &'a Date32Array,
    fom: &'a Date32Array,
    tom: &'a Date32Array,
    belop: &'a datafusion::arrow::array::Int64Array,
}

impl PaymentCols<'_> {
    /// [`payment_months`] with a row's id (none when null) and whether it was paid out read
    /// by `id` and `utbetalt`.
    #[inline]
    fn months<'a>(
        &self,
        keep: Option<&[bool]>,
        Window { lo, hi, dmax }: Window,
        months: &MonthTable,
        id: impl Fn(usize) -> Option<&'a str>,
        utbetalt: impl Fn(usize) -> bool,
        mut emit: impl FnMut(&'a str, i64, i64, i32),
    ) {
        let PaymentCols {
            paid,
            fom,
            tom,
            belop,
        } = *self;
        let paid_days = paid.values();
        let n = paid_days.len();
        let (belop_values, fom_days, tom_days) =
            (&belop.values()[..n], &fom.values()[..n], &tom.values()[..n]);
        let keep = keep.map(|k| &k[..n]);
        for i in 0..n {
            if keep.is_some_and(|k| !k[i])
                || paid_days[i] > dmax
                || belop_values[i] <= 0
                || paid.is_null(i)
                || belop.is_null(i)
            {
                continue;
            }
            let Some(person) = id(i) else { continue };
            if !utbetalt(i) {
                continue;
            }
            // no `fom`: the payment's month; no `tom`: the `fom` month
            let day = paid_days[i];
            let has_fom = fom.is_valid(i);
            let first = if has_fom { fom_days[i] } else { day };
            let last = if has_fom && tom.is_valid(i) {
                tom_days[i]
            } else {
                first
            };
            let (fra, til) = (months.of(first).max(lo), months.of(last).min(hi));
            if fra <= til {
                emit(person, fra, til, day);
            }
        }
    }
}

/// Months being gathered: person ids in the table's form, month indexes (as `i32`: 4 bytes a
/// row in the largest table held), first days.
struct Known<'a> {
    ids: KnownIds<'a>,
    months: Vec<i32>,
    days: Vec<i32>,
}

/// Person ids being gathered: one per row ([`IdForm::View`]), or a key per row into one id per
/// run of rows ([`IdForm::Keyed`], made as the runs come: no id per row is held on the way).
enum KnownIds<'a> {
    View(Vec<&'a str>),
    Keyed {
        keys: Vec<i32>,
        values: Vec<&'a str>,
    },
}

impl<'a> Known<'a> {
    /// Room for `rows` rows.
    fn new(form: IdForm, rows: usize) -> Self {
        let ids = match form {
            IdForm::View => KnownIds::View(Vec::with_capacity(rows)),
            IdForm::Keyed => KnownIds::Keyed {
                keys: Vec::with_capacity(rows),
                values: Vec::new(),
            },
        };
        Known {
            ids,
            months: Vec::with_capacity(rows),
            days: Vec::with_capacity(rows),
        }
    }

    /// The ids of `n` more rows of person `id` (a run continuing the last one when it is the
    /// same id).
    fn push_id(&mut self, id: &'a str, n: usize) {
        match &mut self.ids {
            KnownIds::View(v) => v.extend(std::iter::repeat_n(id, n)),
            KnownIds::Keyed { keys, values } => {
                if n == 0 {
                    return;
                }
                if values.last() != Some(&id) {
                    values.push(id);
                }
                keys.extend(std::iter::repeat_n((values.len() - 1) as i32, n));
            }
        }
    }

    fn form(&self) -> IdForm {
        match self.ids {
            KnownIds::View(_) => IdForm::View,
            KnownIds::Keyed { .. } => IdForm::Keyed,
        }
    }
}

/// The months of consecutive stretches ([`stretch_months`], in file order) as one table's
/// batches: each stretch's own rows, and one small batch for the persons whose payments cross
/// from one stretch into the next (their rows merged); when some person's payments are not all
/// together, every person's rows regrouped into one batch.
pub fn put_together(parts: Vec<RecordBatch>) -> Vec<RecordBatch> {
    match stitch(&parts) {
        Some(batches) => batches,
        None => vec![regroup(&parts)],
    }
}

/// How a months batch holds its person ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdForm {
    /// A 16-byte view per row, which DataFusion joins and groups on as it is.
    View,
    /// A 4-byte key per row into the ids of the batch's runs (each person's months are
    /// together): a quarter of the memory of the largest table a scan holds, unpacked into
    /// views as it is read.
    Keyed,
}

impl IdForm {
    fn of(b: &RecordBatch) -> IdForm {
        match b.column(0).data_type() {
            DataType::Utf8View => IdForm::View,
            _ => IdForm::Keyed,
        }
    }

    fn data_type(self) -> DataType {
        match self {
            IdForm::View => DataType::Utf8View,
            IdForm::Keyed => {
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8View))
            }
        }
    }
}

/// A months batch's person ids, in either form.
pub(crate) enum Ids<'a> {
    View(&'a StringViewArray),
    Keyed(&'a [i32], &'a StringViewArray),
}

impl<'a> Ids<'a> {
    fn value(&self, i: usize) -> &'a str {
        match self {
            Ids::View(v) => v.value(i),
            Ids::Keyed(keys, values) => values.value(keys[i] as usize),
        }
    }

    fn len(&self) -> usize {
        match self {
            Ids::View(v) => v.len(),
            Ids::Keyed(keys, _) => keys.len(),
        }
    }

    /// Whether rows `i` and `j` are the same person: equal keys, or equal ids. Equal string
    /// views are equal ids, and ids of up to 12 bytes (a fødselsnummer's 11) are held in the
    /// view itself, so only longer ones are compared by value when their views differ.
    pub(crate) fn same(&self, i: usize, j: usize) -> bool {
        match self {
            Ids::Keyed(keys, _) => keys[i] == keys[j],
            Ids::View(v) => {
                let views = v.views();
                views[i] == views[j] || (views[i] as u32 > 12 && v.value(i) == v.value(j))
            }
        }
    }

    /// The person of each run of rows, in order (of a batch as [`known_batch`] made it: keyed,
    /// those are its values).
    fn runs(&self) -> Box<dyn Iterator<Item = &'a str> + 'a> {
        match *self {
            Ids::View(v) => Box::new(
                (0..v.len())
                    .filter(move |i| *i == 0 || v.value(i - 1) != v.value(*i))
                    .map(move |i| v.value(i)),
            ),
            Ids::Keyed(_, values) => Box::new(values.iter().flatten()),
        }
    }
}

/// A months batch's columns ([`schema`]): person ids, month indexes, first days known.
pub(crate) fn columns(b: &RecordBatch) -> (Ids<'_>, &[i32], &[i32]) {
    let ids = match IdForm::of(b) {
        IdForm::View => Ids::View(b.column(0).as_string_view()),
        IdForm::Keyed => {
            let d = b.column(0).as_dictionary::<Int32Type>();
            Ids::Keyed(d.keys().values(), d.values().as_string_view())
        }
    };
    (
        ids,
        b.column(1).as_primitive::<Int32Type>().values(),
        b.column(2).as_primitive::<Date32Type>().values(),
    )
}

/// [`put_together`] when every person's payments are together: None when they are not.
fn stitch(parts: &[RecordBatch]) -> Option<Vec<RecordBatch>> {
    if !each_person_together(parts) {
        return None;
    }
    // Each stretch's rows between the persons it shares with its neighbours.
    let mut bounds = Vec::with_capacity(parts.len());
    let mut merged = Known::new(parts.first().map_or(IdForm::View, IdForm::of), 0);
    let mut open: Option<(&str, Vec<(i64, i32)>)> = None;
    for (j, part) in parts.iter().enumerate() {
        let (ids, months, days) = columns(part);
        let n = part.num_rows();
        let mut start = 0;
        if let Some((x, pairs)) = &mut open {
            while start < n && ids.value(start) == *x {
                pairs.push((i64::from(months[start]), days[start]));
                start += 1;
            }
            if start < n
                && let Some((x, mut pairs)) = open.take()
            {
                flush(x, &mut pairs, &mut merged);
            }
        }
        let mut end = n;
        // the next stretch with rows (a stretch whose payments all give no month has none)
        let next_first = parts[j + 1..]
            .iter()
            .find(|p| p.num_rows() > 0)
            .map(|p| columns(p).0.value(0));
        if start < end && next_first.is_some() && next_first == Some(ids.value(end - 1)) {
            let y = ids.value(end - 1);
            let mut pairs = Vec::new();
            while end > start && ids.value(end - 1) == y {
                end -= 1;
                pairs.push((i64::from(months[end]), days[end]));
            }
            open = Some((y, pairs));
        }
        bounds.push((start, end));
    }
    if let Some((x, mut pairs)) = open {
        flush(x, &mut pairs, &mut merged);
    }
    let mut batches: Vec<_> = parts
        .iter()
        .zip(bounds)
        .map(|(part, (start, end))| part.slice(start, end - start))
        .collect();
    batches.push(known_batch(merged));
    Some(batches)
}

/// Whether every person has one run of rows, or one continued from the end of a stretch into
/// the next. The ids are shared out by hash among rayon's threads, each checking its share with
/// a set of its own: at 10x one set of 1.2 million ids took ~0.2 s with the other core idle.
fn each_person_together(parts: &[RecordBatch]) -> bool {
    use rayon::prelude::*;
    use std::hash::BuildHasher;
    // keyed ids have one value per run; views about one run per two rows
    let runs: usize = parts
        .iter()
        .map(|p| match columns(p).0 {
            Ids::Keyed(_, values) => values.len(),
            Ids::View(v) => v.len() / 2,
        })
        .sum();
    let shares = rayon::current_num_threads().max(1);
    // the hash's high half picks the share; the set's buckets use its low bits
    let share = |id: &str| (rustc_hash::FxBuildHasher.hash_one(id) >> 32) as usize % shares;
    (0..shares).into_par_iter().all(|k| {
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        seen.reserve(runs / shares + 1);
        let mut last: Option<&str> = None;
        for part in parts {
            let ids = columns(part).0;
            for (i, id) in ids.runs().enumerate() {
                let continued = i == 0 && last == Some(id);
                if !continued && share(id) == k && !seen.insert(id) {
                    return false;
                }
            }
            if ids.len() > 0 {
                last = Some(ids.value(ids.len() - 1));
            }
        }
        true
    })
}

/// The months' columns: `person_id` (in `form`), `maned_nr` (month index), `kjent_fra`.
pub fn schema(form: IdForm) -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("person_id", form.data_type(), false),
        Field::new("maned_nr", DataType::Int32, false),
        Field::new("kjent_fra", DataType::Date32, false),
    ]))
}

/// Months as a batch, the ids in their form (the months and days taken over without a copy).
fn known_batch(known: Known<'_>) -> RecordBatch {
    let form = known.form();
    let Known { ids, months, days } = known;
    let ids: ArrayRef = match ids {
        KnownIds::View(ids) => Arc::new(StringViewArray::from_iter_values(ids)),
        KnownIds::Keyed { keys, values } => {
            let values = Arc::new(StringViewArray::from_iter_values(values));
            let keys = Int32Array::from(keys);
            Arc::new(DictionaryArray::try_new(keys, values).expect("keys within the values"))
        }
    };
    RecordBatch::try_new(
        schema(form),
        vec![
            ids,
            Arc::new(Int32Array::from(months)),
            Arc::new(Date32Array::from(days)),
        ],
    )
    .expect("columns match the schema")
}

/// Appends one person's (month, day) pairs, the earliest day per month, in month order.
fn flush<'a>(id: &'a str, pairs: &mut Vec<(i64, i32)>, out: &mut Known<'a>) {
    pairs.sort_unstable();
    pairs.dedup_by_key(|(m, _)| *m);
    out.push_id(id, pairs.len());
    for (m, d) in pairs.drain(..) {
        out.months.push(m as i32);
        out.days.push(d);
    }
}

/// One stretch of payments (in file order) as its months: each run of one person's payments
/// gives that person's months in month order, and the runs come in order (a person whose
/// payments come in two runs has two, and [`put_together`] then regroups). One person at a
/// time: no per-person storage.
pub fn stretch_months(payments: &[RecordBatch], window: Window, form: IdForm) -> RecordBatch {
    let rows: usize = payments.iter().map(|b| b.num_rows()).sum();
    months_of_stretch(payments.iter().map(|b| (b, None)), rows, window, form)
}

/// [`stretch_months`] of payments as the loader checked them (strings plain or as the file's
/// dictionaries, status as read), each batch with the rows it keeps.
pub fn stretch_months_kept(
    payments: &[(RecordBatch, Vec<bool>)],
    window: Window,
    form: IdForm,
) -> RecordBatch {
    let rows: usize = payments.iter().map(|(b, _)| b.num_rows()).sum();
    let stretch = payments.iter().map(|(b, keep)| (b, Some(&keep[..])));
    months_of_stretch(stretch, rows, window, form)
}

fn months_of_stretch<'a>(
    payments: impl Iterator<Item = (&'a RecordBatch, Option<&'a [bool]>)>,
    rows: usize,
    window: Window,
    form: IdForm,
) -> RecordBatch {
    // About one month per payment: reserve once instead of growing.
    let mut out = Known::new(form, rows);
    let mut current: Option<&str> = None;
    let mut person = PersonMonths::new(window);
    let months = MonthTable::new(window.lo, window.dmax);
    for (b, keep) in payments {
        payment_months(b, keep, window, &months, |id, fra, til, day| {
            // the same id read from a dictionary is the same slice: no bytes compared
            if !current.is_some_and(|c| std::ptr::eq(c, id) || c == id) {
                if let Some(c) = current {
                    person.flush(c, &mut out);
                }
                current = Some(id);
            }
            person.add(fra, til, day);
        });
    }
    if let Some(c) = current {
        person.flush(c, &mut out);
    }
    known_batch(out)
}

/// One person's months being gathered from a run of payments: the earliest day per month of
/// the window, kept in a slot per month with a bit saying it is set (a window of up to
/// [`PersonMonths::MAX_SLOTS`] months), or as (month, day) pairs sorted when the run ends.
enum PersonMonths {
    Slots(MonthSlots),
    Pairs(Vec<(i64, i32)>),
}

/// A slot per month of a window from month `lo`: the earliest day, and a bit per month set.
struct MonthSlots {
    lo: i64,
    days: Vec<i32>,
    set: Vec<u64>,
    /// The words of `set` with a bit set: `first..end`.
    first: usize,
    end: usize,
}

impl PersonMonths {
    /// The widest window kept in slots (a decade of months is 120).
    const MAX_SLOTS: i64 = 1 << 14;

    fn new(w: Window) -> Self {
        let span = w.hi.saturating_sub(w.lo).saturating_add(1);
        if (1..=Self::MAX_SLOTS).contains(&span) {
            let span = span as usize;
            PersonMonths::Slots(MonthSlots {
                lo: w.lo,
                days: vec![0; span],
                set: vec![0; span.div_ceil(64)],
                first: usize::MAX,
                end: 0,
            })
        } else {
            PersonMonths::Pairs(Vec::new())
        }
    }

    /// A payment giving months `fra..=til` (within the window), paid on `day`.
    #[inline]
    fn add(&mut self, fra: i64, til: i64, day: i32) {
        match self {
            PersonMonths::Slots(s) => s.add(fra, til, day),
            PersonMonths::Pairs(pairs) => pairs.extend((fra..=til).map(|m| (m, day))),
        }
    }

    /// Appends the person's months, the earliest day of each, in month order, and starts
    /// over empty.
    fn flush<'a>(&mut self, id: &'a str, out: &mut Known<'a>) {
        match self {
            PersonMonths::Slots(s) => s.flush(id, out),
            PersonMonths::Pairs(pairs) => flush(id, pairs, out),
        }
    }
}

impl MonthSlots {
    #[inline]
    fn add(&mut self, fra: i64, til: i64, day: i32) {
        for m in fra..=til {
            let i = (m - self.lo) as usize;
            let (w, bit) = (i / 64, 1u64 << (i % 64));
            // a month seen before keeps its earlier day
            let seen = self.set[w] & bit != 0;
            self.days[i] = if seen { self.days[i].min(day) } else { day };
            self.set[w] |= bit;
            self.first = self.first.min(w);
            self.end = self.end.max(w + 1);
        }
    }

    fn flush<'a>(&mut self, id: &'a str, out: &mut Known<'a>) {
        if self.first >= self.end {
            out.push_id(id, 0);
            return;
        }
        let words = &mut self.set[self.first..self.end];
        let n: u32 = words.iter().map(|w| w.count_ones()).sum();
        out.push_id(id, n as usize);
        for (k, word) in words.iter_mut().enumerate() {
            let base = (self.first + k) * 64;
            while *word != 0 {
                let i = base + word.trailing_zeros() as usize;
                *word &= *word - 1;
                out.months.push((self.lo + i as i64) as i32);
                out.days.push(self.days[i]);
            }
        }
        (self.first, self.end) = (usize::MAX, 0);
    }
}

/// Months of stretches in any order: every person's rows gathered (persons in the order
/// they first appear) and each month's earliest day kept.
fn regroup(parts: &[RecordBatch]) -> RecordBatch {
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    let mut ids_seen: Vec<&str> = Vec::new();
    let mut months: Vec<Vec<(i64, i32)>> = Vec::new();
    for part in parts {
        let (ids, m, d) = columns(part);
        for i in 0..part.num_rows() {
            let id = ids.value(i);
            let n = *index.entry(id).or_insert_with(|| {
                ids_seen.push(id);
                months.push(Vec::new());
                (ids_seen.len() - 1) as u32
            });
            months[n as usize].push((i64::from(m[i]), d[i]));
        }
    }
    let mut out = Known::new(parts.first().map_or(IdForm::View, IdForm::of), 0);
    for (id, mut pairs) in ids_seen.into_iter().zip(months) {
        flush(id, &mut pairs, &mut out);
    }
    known_batch(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn the_month_table_gives_the_computed_month_inside_and_outside_its_days() {
        let last = days_since_epoch(NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
        let lo = 2016 * 12 + 11;
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
    fn first_day_of_month_is_the_first_day_with_that_month_index() {
        for m in [0, 1, 11, 12, 1970 * 12, 2026 * 12 + 10, 2028 * 12 + 1] {
            let d = first_day_of_month(m).unwrap();
            assert_eq!(month_index_of_days(d), m);
            assert_eq!(month_index_of_days(d - 1), m - 1);
        }
        assert_eq!(first_day_of_month(i64::MAX), None);
    }

    #[test]
    fn month_index_of_days_agrees_with_chrono() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for days in (-80_000..40_000)
            .step_by(7)
            .chain([-1, 0, 59, 60, 365, 366, 20_774])
        {
            let d = epoch + chrono::Duration::days(days as i64);
            assert_eq!(
                month_index_of_days(days),
                (d.year() as i64 * 12 + d.month0() as i64),
                "{d}"
            );
        }
    }

    impl<'a> Known<'a> {
        /// Months given row by row (a row with the row before's id continues its run).
        fn of_rows(ids: &[&'a str], months: Vec<i32>, days: Vec<i32>, form: IdForm) -> Self {
            let mut k = Known::new(form, ids.len());
            for id in ids {
                k.push_id(id, 1);
            }
            k.months = months;
            k.days = days;
            k
        }
    }

    /// Keyed ids get one value per run and a key per row, a run of the same id continued
    /// across calls and no value for no rows; views an id per row. Both give the same ids.
    #[test]
    fn ids_are_keyed_as_the_runs_come() {
        let runs: [(&str, usize); 5] = [("a", 2), ("a", 1), ("b", 0), ("c", 3), ("a", 1)];
        let mut keyed = Known::new(IdForm::Keyed, 0);
        let mut views = Known::new(IdForm::View, 0);
        for (id, n) in runs {
            keyed.push_id(id, n);
            views.push_id(id, n);
        }
        let KnownIds::Keyed { keys, values } = &keyed.ids else {
            panic!("keyed")
        };
        assert_eq!(values, &["a", "c", "a"]);
        assert_eq!(keys, &[0, 0, 0, 1, 1, 1, 2]);
        let KnownIds::View(per_row) = &views.ids else {
            panic!("views")
        };
        let unpacked: Vec<&str> = keys.iter().map(|k| values[*k as usize]).collect();
        assert_eq!(per_row, &unpacked);
    }

    /// Persons are together when each has one run, or one continued from one stretch's end
    /// into the next; a second run anywhere else is not (whichever thread's share it is in).
    #[test]
    fn each_person_together_allows_only_runs_continued_across_a_stretch_end() {
        // each row its own month (within a run the months are distinct, as stretches give them)
        let part = |ids: &[&str], first: i32, form: IdForm| {
            let n = ids.len() as i32;
            known_batch(Known::of_rows(
                ids,
                (first..first + n).collect(),
                vec![1; n as usize],
                form,
            ))
        };
        let cases: [(&[&[&str]], bool); 6] = [
            (&[&["a", "a", "b"], &["b", "c"]], true),
            (&[&["a", "b"], &["b"], &["b", "c"]], true),
            (&[&["a", "b"], &[], &["c"]], true),
            (&[&["a", "b", "a"]], false),
            (&[&["a", "b"], &["c", "a"]], false),
            (&[&["a", "b"], &["c"], &["b"]], false),
        ];
        for form in [IdForm::View, IdForm::Keyed] {
            for (parts, together) in cases {
                let mut first = 0;
                let batches: Vec<RecordBatch> = parts
                    .iter()
                    .map(|p| {
                        first += 10;
                        part(p, first, form)
                    })
                    .collect();
                assert_eq!(
                    each_person_together(&batches),
                    together,
                    "{parts:?} as {form:?}"
                );
                // together or regrouped, every person's months are kept, and lie together
                let out = put_together(batches.clone());
                assert_eq!(
                    sorted_rows(&out),
                    sorted_rows(&batches),
                    "{parts:?} as {form:?}"
                );
                // (row by row: a keyed batch sliced by `stitch` keeps its dictionary whole)
                let mut runs: Vec<&str> = Vec::new();
                for b in &out {
                    let ids = columns(b).0;
                    for i in 0..b.num_rows() {
                        if i == 0 || ids.value(i - 1) != ids.value(i) {
                            runs.push(ids.value(i));
                        }
                    }
                }
                let mut persons = runs.clone();
                persons.sort_unstable();
                persons.dedup();
                assert_eq!(runs.len(), persons.len(), "{parts:?} as {form:?}: {runs:?}");
            }
        }
    }

    /// The months per person counted the plain way: every row looked at, grouped by id.
    fn counted_by_id(rows: &[(String, i32, i32)], want: Window) -> Vec<(String, i64, i32)> {
        let mut by_id: std::collections::BTreeMap<&str, (i64, i32)> = Default::default();
        for (id, m, d) in rows {
            if (want.lo..=want.hi).contains(&i64::from(*m)) && *d <= want.dmax {
                let e = by_id.entry(id).or_insert((0, i32::MIN));
                e.0 += 1;
                e.1 = e.1.max(*m);
            }
        }
        by_id
            .into_iter()
            .map(|(id, (n, m))| (id.to_string(), n, m))
            .collect()
    }

    /// Payments whose ids and status are dictionaries (as the loader reads them: a status with
    /// null rows and a null value) give the same months as the same payments with plain strings,
    /// row by row: nulls in `fom` and `tom`, a status other than paid, a zero amount, a payment
    /// after the last day and months outside the window included.
    #[test]
    fn dictionary_and_plain_payments_give_the_same_months() {
        use datafusion::arrow::array::Int64Array;
        use datafusion::arrow::compute::cast;
        let day = |s: &str| days_since_epoch(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        // person_id, utbetalingsdato, fom, tom, belop, status
        type Row<'a> = (
            &'a str,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            i64,
            Option<&'a str>,
        );
        let rows: Vec<Row> = vec![
            ("A", "2026-01-05", None, None, 10, Some("UTBETALT")),
            (
                "A",
                "2026-01-03",
                Some("2025-12-01"),
                Some("2026-02-28"),
                10,
                None,
            ),
            (
                "A",
                "2026-03-09",
                Some("2026-03-01"),
                None,
                10,
                Some("STANSET"),
            ),
            (
                "A",
                "2026-04-09",
                None,
                Some("2026-06-30"),
                0,
                Some("UTBETALT"),
            ),
            (
                "B",
                "2026-05-01",
                Some("2020-01-01"),
                Some("2026-05-31"),
                5,
                None,
            ),
            ("B", "2026-11-20", None, None, 5, Some("UTBETALT")),
            ("B", "2026-02-02", None, None, 5, Some("UTBETALT")),
            (
                "C",
                "2026-06-06",
                Some("2026-06-01"),
                Some("2026-07-31"),
                5,
                Some("ANNULLERT"),
            ),
            ("C", "2026-08-08", None, None, 5, None),
        ];
        let dates = |col: usize| -> ArrayRef {
            Arc::new(Date32Array::from_iter(
                rows.iter().map(|r| [Some(r.1), r.2, r.3][col].map(day)),
            ))
        };
        let plain_ids: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0)));
        let plain_status: ArrayRef = Arc::new(StringArray::from_iter(rows.iter().map(|r| r.5)));
        let batch = |ids: ArrayRef, status: ArrayRef| {
            let fields = [
                ("person_id", ids),
                ("utbetalingsdato", dates(0)),
                ("fom", dates(1)),
                ("tom", dates(2)),
                (
                    "belop",
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.4))) as ArrayRef,
                ),
                ("status", status),
            ];
            RecordBatch::try_from_iter(fields).unwrap()
        };
        let plain = batch(plain_ids.clone(), plain_status.clone());
        let dict_type = super::super::strs::dictionary_type();
        let dict = batch(
            cast(&plain_ids, &dict_type).unwrap(),
            cast(&plain_status, &dict_type).unwrap(),
        );
        // a dictionary with a null value as well as null rows
        let keys = Int32Array::from(vec![
            Some(0),
            Some(2),
            None,
            Some(0),
            Some(2),
            Some(0),
            Some(0),
            Some(1),
            Some(2),
        ]);
        let values = StringArray::from(vec![Some("UTBETALT"), Some("ANNULLERT"), None]);
        let status_with_null_value: ArrayRef =
            Arc::new(DictionaryArray::try_new(keys, Arc::new(values)).unwrap());
        let plain_same: ArrayRef = cast(&status_with_null_value, &DataType::Utf8).unwrap();
        let window = Window {
            lo: 2025 * 12 + 11,
            hi: 2026 * 12 + 10,
            dmax: day("2026-11-16"),
        };
        let keep = vec![true; rows.len()];
        for (a, b) in [
            (plain.clone(), dict.clone()),
            (
                batch(plain_ids.clone(), plain_same),
                batch(
                    cast(&plain_ids, &dict_type).unwrap(),
                    status_with_null_value,
                ),
            ),
        ] {
            let of = |b: RecordBatch| {
                let got = stretch_months_kept(&[(b, keep.clone())], window, IdForm::View);
                (0..got.num_rows())
                    .map(|i| {
                        let (ids, m, d) = columns(&got);
                        (ids.value(i).to_string(), m[i], d[i])
                    })
                    .collect::<Vec<_>>()
            };
            let (want, got) = (of(a), of(b));
            assert!(!want.is_empty());
            assert_eq!(got, want);
        }
        // the plain months, worked out by hand for the first pair: A's December to February
        // (January's earliest payment on the 3rd), B's December to May clipped from 2020 (February
        // also paid on the 2nd; November's payment after the last day), C's August
        let got = stretch_months_kept(&[(plain, keep.clone())], window, IdForm::View);
        let (ids, m, d) = columns(&got);
        let got: Vec<(String, i32, i32)> = (0..got.num_rows())
            .map(|i| (ids.value(i).to_string(), m[i], d[i]))
            .collect();
        let month = |y: i32, mm: i32| y * 12 + mm - 1;
        let want = [
            ("A", month(2025, 12), "2026-01-03"),
            ("A", month(2026, 1), "2026-01-03"),
            ("A", month(2026, 2), "2026-01-03"),
            ("B", month(2025, 12), "2026-05-01"),
            ("B", month(2026, 1), "2026-05-01"),
            ("B", month(2026, 2), "2026-02-02"),
            ("B", month(2026, 3), "2026-05-01"),
            ("B", month(2026, 4), "2026-05-01"),
            ("B", month(2026, 5), "2026-05-01"),
            ("C", month(2026, 8), "2026-08-08"),
        ];
        let want: Vec<(String, i32, i32)> = want
            .iter()
            .map(|(id, m, d)| (id.to_string(), *m, day(d)))
            .collect();
        assert_eq!(got, want);
    }

    proptest::proptest! {
        /// A person's months gathered in slots are those of sorting the (month, day) pairs and
        /// keeping each month's earliest day, whatever the order and overlap of the payments,
        /// and a run's slots start over empty for the next person.
        #[test]
        fn months_in_slots_are_the_sorted_pairs_earliest_day_per_month(
            runs in proptest::collection::vec(
                proptest::collection::vec((0i64..200, 0i64..4, -5i32..50), 0..12), 1..5),
            lo in 0i64..20,
            span in 1i64..200,
        ) {
            let w = Window { lo, hi: lo + span - 1, dmax: 0 };
            let ids: Vec<String> = (0..runs.len()).map(|p| format!("{p:011}")).collect();
            let mut slots = PersonMonths::new(w);
            let in_slots = matches!(slots, PersonMonths::Slots(_));
            proptest::prop_assert!(in_slots);
            let mut pairs = PersonMonths::Pairs(Vec::new());
            let (mut a, mut b) = (Known::new(IdForm::View, 0), Known::new(IdForm::View, 0));
            for (id, run) in ids.iter().zip(&runs) {
                for (fra, len, day) in run {
                    let (fra, til) = ((lo + fra).max(w.lo), (lo + fra + len).min(w.hi));
                    if fra <= til {
                        slots.add(fra, til, *day);
                        pairs.add(fra, til, *day);
                    }
                }
                slots.flush(id, &mut a);
                pairs.flush(id, &mut b);
            }
            let view = |k: &Known| match &k.ids {
                KnownIds::View(v) => v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                KnownIds::Keyed { .. } => unreachable!("made as views"),
            };
            proptest::prop_assert_eq!(view(&a), view(&b));
            proptest::prop_assert_eq!(&a.months, &b.months);
            proptest::prop_assert_eq!(&a.days, &b.days);
        }

        /// Months per person from the runs, in either id form and cut into pieces anywhere (a
        /// person's rows split over two or three pieces), are those of grouping every row by
        /// id; persons without a month in the window are left out.
        #[test]
        fn months_per_person_are_those_grouped_by_id(
            persons in proptest::collection::vec(
                proptest::collection::vec((0i32..30, 0i32..40), 0..8), 0..12),
            cuts in proptest::collection::vec(0usize..60, 0..5),
            (lo, span, dmax) in (0i64..25, 0i64..12, 0i32..45),
            keyed: bool,
        ) {
            let ids: Vec<String> = (0..persons.len()).map(|p| format!("{:011}", p * 7919)).collect();
            let mut rows: Vec<(String, i32, i32)> = Vec::new();
            for (p, months) in persons.iter().enumerate() {
                for (m, d) in months {
                    rows.push((ids[p].clone(), *m, *d));
                }
            }
            let want = Window { lo, hi: lo + span, dmax };
            let form = if keyed { IdForm::Keyed } else { IdForm::View };
            let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
            let known = Known::of_rows(
                &ids,
                rows.iter().map(|r| r.1).collect(),
                rows.iter().map(|r| r.2).collect(),
                form,
            );
            let whole = known_batch(known);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(rows.len())).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut start = 0;
            for c in cuts.into_iter().chain([rows.len()]) {
                pieces.push(whole.slice(start, c - start));
                start = c;
            }
            let got: Vec<(String, i64, i32)> = months_per_person(&pieces, want)
                .into_iter()
                .map(|(id, n, m)| (id.to_string(), n, m))
                .collect();
            proptest::prop_assert_eq!(got, counted_by_id(&rows, want));
        }
    }
}
