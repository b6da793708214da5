//! Arrow values to template values: what a rule's result columns look like to its explanation.

use chrono::NaiveDate;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int32Type, Int64Type};
use datafusion::scalar::ScalarValue;
use minijinja::Value;
use minijinja::value::Object;

use crate::contract::load::date_from_days;

/// One cell as a template value: strings, integers, numbers and booleans as themselves, dates as
/// ISO strings (`2026-03-01`), lists as sequences, structs as maps, null as none.
pub fn cell(arr: &ArrayRef, row: usize) -> Value {
    if arr.is_null(row) {
        return Value::from(());
    }
    match arr.data_type() {
        DataType::Utf8 => Value::from(arr.as_string::<i32>().value(row)),
        DataType::Utf8View => Value::from(arr.as_string_view().value(row)),
        DataType::Int64 => Value::from(arr.as_primitive::<Int64Type>().value(row)),
        DataType::Int32 => Value::from(arr.as_primitive::<Int32Type>().value(row) as i64),
        DataType::Boolean => Value::from(arr.as_boolean().value(row)),
        DataType::Float64 => Value::from(arr.as_primitive::<Float64Type>().value(row)),
        DataType::Date32 => Value::from(iso_date(arr.as_primitive::<Date32Type>().value(row))),
        DataType::List(_) => {
            let items = arr.as_list::<i32>().value(row);
            Value::from(
                (0..items.len())
                    .map(|i| cell(&items, i))
                    .collect::<Vec<_>>(),
            )
        }
        DataType::LargeList(_) => {
            let items = arr.as_list::<i64>().value(row);
            Value::from(
                (0..items.len())
                    .map(|i| cell(&items, i))
                    .collect::<Vec<_>>(),
            )
        }
        DataType::Struct(_) => struct_value(arr.as_struct(), |_, c| cell(c, row)),
        _ => match ScalarValue::try_from_array(arr, row) {
            Ok(s) => scalar(s),
            Err(_) => Value::from(()),
        },
    }
}

fn scalar(s: ScalarValue) -> Value {
    use ScalarValue::*;
    match s {
        Utf8(Some(v)) | LargeUtf8(Some(v)) | Utf8View(Some(v)) => Value::from(v),
        Boolean(Some(b)) => Value::from(b),
        Float32(Some(f)) => Value::from(f as f64),
        Float64(Some(f)) => Value::from(f),
        Date32(Some(d)) => Value::from(iso_date(d)),
        Date64(Some(ms)) => Value::from(
            date_from_days((ms / 86_400_000) as i32)
                .format("%Y-%m-%d")
                .to_string(),
        ),
        s if s.data_type().is_integer() => match s.cast_to(&DataType::Int64) {
            Ok(Int64(Some(i))) => Value::from(i),
            _ => Value::from(s.to_string()),
        },
        s if s.is_null() => Value::from(()),
        s => Value::from(s.to_string()),
    }
}

/// A struct cell (not null; `value` reads the row) as a map of its fields' names to `value(field, column)`.
fn struct_value(
    s: &datafusion::arrow::array::StructArray,
    value: impl Fn(usize, &ArrayRef) -> Value,
) -> Value {
    let map: std::collections::BTreeMap<String, Value> = s
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name().clone(), value(i, s.column(i))))
        .collect();
    Value::from(map)
}

/// A list of structs as [`cell`] makes it, the date `fields` of its items (by position in the
/// struct) given `stand_in(date)` instead; none when the column is not a list of structs.
pub fn list_with_stand_ins(
    arr: &ArrayRef,
    row: usize,
    fields: &[usize],
    stand_in: impl Fn(i32) -> Value,
) -> Option<Value> {
    let list = arr.as_list_opt::<i32>()?;
    if list.is_null(row) {
        return Some(Value::from(()));
    }
    let items = list.value(row);
    let s = items.as_struct_opt()?;
    let items: Vec<Value> = (0..s.len())
        .map(|j| {
            if s.is_null(j) {
                return Value::from(());
            }
            struct_value(s, |i, c| match c.as_primitive_opt::<Date32Type>() {
                Some(d) if fields.contains(&i) && d.is_valid(j) => stand_in(d.value(j)),
                _ => cell(c, j),
            })
        })
        .collect();
    Some(Value::from(items))
}

/// A cell as a template prints it (`{{ name }}`): the [`cell`]'s value shown, a date's
/// ISO string made without a template value in between.
pub fn printed(arr: &ArrayRef, row: usize) -> String {
    let mut s = String::new();
    printed_into(arr, row, &mut s);
    s
}

/// [`printed`] into `out` (emptied first), whose room is used again.
pub fn printed_into(arr: &ArrayRef, row: usize, out: &mut String) {
    out.clear();
    match arr.data_type() {
        DataType::Date32 if arr.is_valid(row) => {
            iso_date_into(arr.as_primitive::<Date32Type>().value(row), out)
        }
        _ => {
            use std::fmt::Write;
            let _ = write!(out, "{}", cell(arr, row));
        }
    }
}

/// `2026-03-01` for a day number, without a format string to parse.
pub fn iso_date(days: i32) -> String {
    let mut s = String::with_capacity(10);
    iso_date_into(days, &mut s);
    s
}

/// [`iso_date`] appended to `out`: the digits of a year from 0 to 9999 written one by one (the
/// formatting machinery was a few per cent of the explanations' time), any other year
/// formatted as `{:04}` formats it.
pub fn iso_date_into(days: i32, out: &mut String) {
    let d = date_from_days(days);
    if !ymd_into(d, true, out) {
        use chrono::Datelike;
        use std::fmt::Write;
        let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    }
}

/// `2026-03` (`with_day`: `2026-03-01`) appended to `out` digit by digit, as chrono's `%Y-%m`
/// (`%Y-%m-%d`) prints a date of a year from 0 to 9999; false, with nothing appended, for any
/// other year (whose forms differ between printers: the caller prints it its own way).
pub fn ymd_into(d: NaiveDate, with_day: bool, out: &mut String) -> bool {
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        return false;
    }
    let digit = |v: u32| char::from(b'0' + (v % 10) as u8);
    let y = y as u32;
    for c in [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        '-',
    ] {
        out.push(c);
    }
    out.push(digit(m / 10));
    out.push(digit(m));
    if with_day {
        out.push('-');
        out.push(digit(day / 10));
        out.push(digit(day));
    }
    true
}

/// `2026-03`, as `format("%Y-%m")` prints it.
pub fn iso_month(d: NaiveDate) -> String {
    let mut s = String::with_capacity(7);
    if !ymd_into(d, false, &mut s) {
        return d.format("%Y-%m").to_string();
    }
    s
}

/// `2026-03-01`, as `NaiveDate`'s `Display` prints it.
pub fn iso_day(d: NaiveDate) -> String {
    let mut s = String::with_capacity(10);
    if !ymd_into(d, true, &mut s) {
        return d.to_string();
    }
    s
}

/// A rule's result batch as template context, with the rule's shared values (parameters,
/// `hjemmel`, `tittel`, `skanningsdato`) under it.
#[derive(Debug)]
pub struct BatchContext {
    pub batch: RecordBatch,
    pub base: Value,
}

/// One row of a [`BatchContext`]: a column is turned into a template value only when a
/// template reads it; a name that is not a column is looked up in the shared values.
#[derive(Debug)]
struct RowContext {
    batch: Arc<BatchContext>,
    row: usize,
    /// Columns given another value than the row's (stand-ins for printed values).
    stand_ins: Vec<(usize, Value)>,
}

impl Object for RowContext {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        // (not `index_of`: its error for a shared value's name formats every column's name)
        match self
            .batch
            .batch
            .schema_ref()
            .fields()
            .find(name)
            .map(|(i, _)| i)
        {
            Some(i) => Some(match self.stand_ins.iter().find(|(c, _)| *c == i) {
                Some((_, v)) => v.clone(),
                None => cell(self.batch.batch.column(i), self.row),
            }),
            None => self
                .batch
                .base
                .get_attr(name)
                .ok()
                .filter(|v| !v.is_undefined()),
        }
    }
}

/// The template context of one row: its columns over the batch's shared values.
pub fn row_context(batch: &Arc<BatchContext>, row: usize) -> Value {
    row_context_with(batch, row, &[])
}

/// [`row_context`], the columns of `stand_ins` (by position) given those values instead.
pub fn row_context_with(
    batch: &Arc<BatchContext>,
    row: usize,
    stand_ins: &[(usize, Value)],
) -> Value {
    Value::from_object(RowContext {
        batch: Arc::clone(batch),
        row,
        stand_ins: stand_ins.to_vec(),
    })
}

/// A string column read row by row, its type looked at once: `Utf8` (as the key facts'
/// columns are) read directly, any other type through [`string`].
pub enum StrCells<'a> {
    Utf8(&'a datafusion::arrow::array::StringArray),
    Other(&'a ArrayRef),
}

impl<'a> StrCells<'a> {
    pub fn of(arr: &'a ArrayRef) -> Self {
        match arr.data_type() {
            DataType::Utf8 => StrCells::Utf8(arr.as_string::<i32>()),
            _ => StrCells::Other(arr),
        }
    }

    /// Row `row`'s text; none when it is null.
    #[inline]
    pub fn get<S: for<'s> From<&'s str> + From<String>>(&self, row: usize) -> Option<S> {
        match self {
            StrCells::Utf8(a) => a.is_valid(row).then(|| S::from(a.value(row))),
            StrCells::Other(a) => a.is_valid(row).then(|| S::from(string(a, row))),
        }
    }
}

impl StrCells<'_> {
    /// Row `row`'s text as a [`super::Short`]; a value `known` lists (a contract's codes) is made
    /// from that `&'static str`, so a value longer than a `Short` keeps inline is not a heap
    /// string per row (`SPESIELT_TILPASSET_INNSATS`, in ~90 000 key-fact rows of a national
    /// scan).
    #[inline]
    pub fn get_known(&self, row: usize, known: &'static [&'static str]) -> Option<super::Short> {
        // a value a `Short` holds inline is copied as it is
        let inline = std::mem::size_of::<super::Short>();
        let known_as = |v: &str| match known.iter().find(|k| v.len() > inline && **k == v) {
            Some(k) => super::Short::const_new(k),
            None => super::Short::from(v),
        };
        match self {
            StrCells::Utf8(a) => a.is_valid(row).then(|| known_as(a.value(row))),
            StrCells::Other(a) => a.is_valid(row).then(|| known_as(&string(a, row))),
        }
    }
}

/// A cell as a plain string (for key facts).
pub fn string(arr: &ArrayRef, row: usize) -> String {
    match arr.data_type() {
        DataType::Utf8 => arr.as_string::<i32>().value(row).to_string(),
        DataType::LargeUtf8 => arr.as_string::<i64>().value(row).to_string(),
        DataType::Utf8View => arr.as_string_view().value(row).to_string(),
        _ => cell(arr, row).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Date32Array, Int32Array, ListBuilder, StringBuilder};
    use datafusion::arrow::datatypes::{Field, Schema};

    /// A known value is that value, kept as the `&'static str` (no heap string however long); any
    /// other value and a null are as [`StrCells::get`] gives them.
    #[test]
    fn known_values_are_the_static_texts() {
        use datafusion::arrow::array::StringArray;
        let long = "SPESIELT_TILPASSET_INNSATS";
        let known: &'static [&'static str] = &["SPESIELT_TILPASSET_INNSATS", "IKVAL"];
        let arr: ArrayRef = Arc::new(StringArray::from(vec![
            Some(long),
            Some("IKVAL"),
            Some("ET_LANGT_UKJENT_INNSATSGRUPPENAVN"),
            None,
        ]));
        let cells = StrCells::of(&arr);
        let got: Vec<Option<crate::engine::Short>> =
            (0..4).map(|r| cells.get_known(r, known)).collect();
        let plain: Vec<Option<crate::engine::Short>> = (0..4).map(|r| cells.get(r)).collect();
        assert_eq!(got, plain);
        assert!(!got[0].as_ref().unwrap().is_heap_allocated());
        assert_eq!(
            got[0].as_ref().unwrap().as_ptr(),
            long.as_ptr(),
            "the known text itself"
        );
        assert!(got[2].as_ref().unwrap().is_heap_allocated());
    }

    #[test]
    fn iso_dates_are_what_the_format_string_gives_for_every_year() {
        use chrono::Datelike;
        let days = (-1_000_000..3_000_000).step_by(97).chain([
            i32::MIN,
            i32::MIN + 1,
            -719_528,
            -719_529,
            0,
            2_932_896,
            i32::MAX,
        ]);
        for day in days {
            let d = date_from_days(day);
            let want = format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
            assert_eq!(iso_date(day), want, "day {day}");
            let mut out = String::from("x");
            iso_date_into(day, &mut out);
            assert_eq!(out, format!("x{want}"));
            assert_eq!(iso_month(d), d.format("%Y-%m").to_string(), "day {day}");
            assert_eq!(iso_day(d), d.to_string(), "day {day}");
        }
    }

    #[test]
    fn dates_become_iso_strings_and_lists_sequences() {
        let d: ArrayRef = Arc::new(Date32Array::from(vec![Some(20513), None]));
        assert_eq!(cell(&d, 0).to_string(), "2026-03-01");
        assert_eq!(printed(&d, 0), "2026-03-01");
        assert_eq!(printed(&d, 1), cell(&d, 1).to_string());
        assert!(cell(&d, 1).is_none());
        let i: ArrayRef = Arc::new(Int32Array::from(vec![7]));
        assert_eq!(cell(&i, 0), Value::from(7i64));
        let mut b = ListBuilder::new(StringBuilder::new());
        b.values().append_value("AAP");
        b.values().append_value("DAGPENGER");
        b.append(true);
        let l: ArrayRef = Arc::new(b.finish());
        assert_eq!(cell(&l, 0).len(), Some(2));
    }

    #[test]
    fn a_row_context_reads_its_columns_over_the_shared_values() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("maneder", DataType::Int64, false),
            Field::new("sist", DataType::Date32, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(datafusion::arrow::array::Int64Array::from(vec![9, 4])),
                Arc::new(Date32Array::from(vec![Some(20513), None])),
            ],
        )
        .unwrap();
        let base = Value::from_iter([("maneder", Value::from(0)), ("grense", Value::from(6))]);
        let ctx = Arc::new(BatchContext { batch, base });
        let env = minijinja::Environment::new();
        let t = env
            .template_from_str("{{ maneder }}/{{ grense }} {{ sist if sist else '-' }}")
            .unwrap();
        // the row's column wins over a shared value of the same name
        assert_eq!(t.render(row_context(&ctx, 0)).unwrap(), "9/6 2026-03-01");
        assert_eq!(t.render(row_context(&ctx, 1)).unwrap(), "4/6 -");
    }
}
