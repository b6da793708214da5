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
    Array, ArrayRef, AsArray, Date32Array, DictionaryArray, Int32Array, RecordBatch,
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
    let keys: Option<&[i32]> = match ids {
        Ids::Keyed(keys, _) => Some(keys),
        Ids::View(_) => None,
    };
    let same = |i: usize, j: usize| match keys {
        Some(k) => k[i] == k[j],
        None => ids.value(i) == ids.value(j),
    };
    let mut out: Vec<(&str, i64, i32)> = Vec::new();
    // the row where the current person's run started, and whether it has a month yet
    let mut run_start = 0usize;
    let mut counted = false;
    for i in 0..b.num_rows() {
        if i > 0 && !same(run_start, i) {
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
    Window { lo, hi, dmax }: Window,
    months: &MonthTable,
    mut emit: impl FnMut(&'a str, i64, i64, i32),
) {
    let col = |name: &str| {
        b.column_by_name(name)
            .unwrap_or_else(|| panic!("validated payments have `{name}`"))
    };
    let strings = |name: &str| Strs::of(col(name)).expect("validated payments' strings are Utf8");
    let ids = strings("person_id");
    let paid = col("utbetalingsdato").as_primitive::<Date32Type>();
    let fom = col("fom").as_primitive::<Date32Type>();
    let tom = col("tom").as_primitive::<Date32Type>();
    let belop = col("belop").as_primitive::<Int64Type>();
    let status = strings("status");
    // of a dictionary, whether each distinct status is `UTBETALT`
    let paid_out: Option<Vec<bool>> = match &status {
        Strs::Dict { values, .. } => Some(
            values
                .iter()
                .map(|v| v.is_none_or(|v| v == super::UTBETALT))
                .collect(),
        ),
        Strs::Plain(_) => None,
    };
    let (paid_days, belop_values) = (paid.values(), belop.values());
    for i in 0..b.num_rows() {
        if keep.is_some_and(|k| !k[i])
            || paid_days[i] > dmax
            || belop_values[i] <= 0
            || paid.is_null(i)
            || belop.is_null(i)
            || ids.is_null(i)
        {
            continue;
        }
        let utbetalt = status.is_null(i)
            || match (&paid_out, status.key(i)) {
                (Some(flags), Some(k)) => flags[k],
                _ => status.value(i) == super::UTBETALT,
            };
        if !utbetalt {
            continue;
        }
        let day = paid_days[i];
        let (fra, til) = if fom.is_null(i) {
            let m = months.of(day);
            (m, m)
        } else {
            let f = months.of(fom.value(i));
            let t = if tom.is_null(i) {
                f
            } else {
                months.of(tom.value(i))
            };
            (f, t)
        };
        let (fra, til) = (fra.max(lo), til.min(hi));
        if fra <= til {
            emit(ids.value(i), fra, til, day);
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
enum Ids<'a> {
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

/// A months batch's columns: person ids, month indexes, first days known.
fn columns(b: &RecordBatch) -> (Ids<'_>, &[i32], &[i32]) {
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
    let mut pairs: Vec<(i64, i32)> = Vec::new();
    let months = MonthTable::new(window.lo, window.dmax);
    for (b, keep) in payments {
        payment_months(b, keep, window, &months, |id, fra, til, day| {
            // the same id read from a dictionary is the same slice: no bytes compared
            if !current.is_some_and(|c| std::ptr::eq(c, id) || c == id) {
                if let Some(c) = current {
                    flush(c, &mut pairs, &mut out);
                }
                current = Some(id);
            }
            pairs.extend((fra..=til).map(|m| (m, day)));
        });
    }
    if let Some(c) = current {
        flush(c, &mut pairs, &mut out);
    }
    known_batch(out)
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

    proptest::proptest! {
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
