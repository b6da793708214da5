//! Reading back what kvp-scan wrote: a Parquet file's batches and typed access to a batch's
//! columns by name, with errors naming the file and the column. The readers of the output
//! files (beside their writers) use it.

use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, AsArray, ListArray, PrimitiveArray, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{Date32Type, Int64Type};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::contract::load::{any_outside_contract, date_from_days};

/// Every batch of a Parquet file.
pub fn batches(path: &Path) -> anyhow::Result<Vec<RecordBatch>> {
    let f = std::fs::File::open(path)
        .with_context(|| crate::tr!("kan ikke åpne {}", "cannot open {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .with_context(|| {
            crate::tr!(
                "{} er ikke en lesbar Parquet-fil",
                "{} is not a readable Parquet file",
                path.display()
            )
        })?
        .build()?;
    reader
        .map(|b| {
            b.with_context(|| crate::tr!("kan ikke lese {}", "cannot read {}", path.display()))
        })
        .collect()
}

pub struct Cols<'a>(pub &'a RecordBatch, pub &'a Path);

impl<'a> Cols<'a> {
    fn wrong(&self, name: &str, ty: &str) -> String {
        crate::tr!(
            "{}: kolonnen `{name}` er ikke {ty}",
            "{}: column `{name}` is not {ty}",
            self.1.display()
        )
    }
    pub fn col(&self, name: &str) -> anyhow::Result<&'a dyn Array> {
        Ok(self.0.column(self.index(name)?).as_ref())
    }
    /// Column number `i` (from 0), which must be `name`: a batch whose columns were put in a
    /// known order is read without looking each name up.
    fn at(&self, i: usize, name: &str) -> anyhow::Result<&'a dyn Array> {
        let found = self.0.schema_ref().fields().get(i).map(|f| f.name());
        if found.is_some_and(|f| f == name) {
            return Ok(self.0.column(i).as_ref());
        }
        anyhow::bail!(crate::tr!(
            "{} har ikke kolonnen `{name}` som nummer {}",
            "{} does not have column `{name}` as number {}",
            self.1.display(),
            i + 1
        ))
    }
    /// The position of column `name`.
    pub fn index(&self, name: &str) -> anyhow::Result<usize> {
        self.0
            .schema_ref()
            .fields()
            .find(name)
            .map(|(i, _)| i)
            .with_context(|| {
                crate::tr!(
                    "{} har ingen kolonne `{name}`",
                    "{} has no column `{name}`",
                    self.1.display()
                )
            })
    }
    /// A string column, its type checked once (for reading every row).
    pub fn strs(&self, name: &str) -> anyhow::Result<StrCol<'a>> {
        self.strs_of(self.col(name)?, name)
    }
    /// [`Cols::strs`] of column number `i` (from 0).
    pub fn strs_at(&self, i: usize, name: &str) -> anyhow::Result<StrCol<'a>> {
        self.strs_of(self.at(i, name)?, name)
    }
    fn strs_of(&self, c: &'a dyn Array, name: &str) -> anyhow::Result<StrCol<'a>> {
        let c = c
            .as_string_opt::<i32>()
            .with_context(|| self.wrong(name, "Utf8"))?;
        Ok(StrCol(c))
    }
    pub fn i64s(&self, name: &str) -> anyhow::Result<I64Col<'a>> {
        self.i64s_of(self.col(name)?, name)
    }
    /// [`Cols::i64s`] of column number `i` (from 0).
    pub fn i64s_at(&self, i: usize, name: &str) -> anyhow::Result<I64Col<'a>> {
        self.i64s_of(self.at(i, name)?, name)
    }
    fn i64s_of(&self, c: &'a dyn Array, name: &str) -> anyhow::Result<I64Col<'a>> {
        let c = c
            .as_primitive_opt::<Int64Type>()
            .with_context(|| self.wrong(name, "Int64"))?;
        Ok(I64Col(c))
    }
    /// A date column, its type checked (once, for reading rows).
    pub fn dates(&self, name: &str) -> anyhow::Result<DateCol<'a>> {
        self.dates_of(self.col(name)?, name)
    }
    /// [`Cols::dates`] of column number `i` (from 0).
    pub fn dates_at(&self, i: usize, name: &str) -> anyhow::Result<DateCol<'a>> {
        self.dates_of(self.at(i, name)?, name)
    }
    fn dates_of(&self, c: &'a dyn Array, name: &str) -> anyhow::Result<DateCol<'a>> {
        let c = c
            .as_primitive_opt::<Date32Type>()
            .with_context(|| self.wrong(name, "Date32"))?;
        Ok(DateCol(c))
    }
    /// [`Cols::dates`] with every date checked to be within the contract's years (as
    /// kvp-scan writes them): any other day is an error naming the file and the column. For
    /// reading a file's batches, once each.
    pub fn checked_dates(&self, name: &str) -> anyhow::Result<DateCol<'a>> {
        let c = self.dates(name)?;
        if any_outside_contract(c.0) {
            anyhow::bail!(crate::tr!(
                "{}: kolonnen `{name}` har en dato før 1900-01-01 eller etter 2099-12-31",
                "{}: column `{name}` has a date before 1900-01-01 or after 2099-12-31",
                self.1.display()
            ));
        }
        Ok(c)
    }
    /// A list-of-strings column, its type and its values' type checked once.
    pub fn lists(&self, name: &str) -> anyhow::Result<ListCol<'a>> {
        self.lists_of(self.col(name)?, name)
    }
    /// [`Cols::lists`] of column number `i` (from 0).
    pub fn lists_at(&self, i: usize, name: &str) -> anyhow::Result<ListCol<'a>> {
        self.lists_of(self.at(i, name)?, name)
    }
    fn lists_of(&self, c: &'a dyn Array, name: &str) -> anyhow::Result<ListCol<'a>> {
        let c = c
            .as_list_opt::<i32>()
            .with_context(|| self.wrong(name, "List"))?;
        let values = c
            .values()
            .as_string_opt::<i32>()
            .with_context(|| self.wrong(name, "List(Utf8)"))?;
        Ok(ListCol(c, values))
    }
}

/// A string column of a batch, by row.
pub struct StrCol<'a>(&'a StringArray);
/// An Int64 column of a batch, by row.
pub struct I64Col<'a>(&'a PrimitiveArray<Int64Type>);
/// A Date32 column of a batch, by row.
pub struct DateCol<'a>(&'a PrimitiveArray<Date32Type>);
/// A list-of-strings column of a batch, by row: the lists and their values, so a row is read
/// through the offsets without slicing the array.
pub struct ListCol<'a>(&'a ListArray, &'a StringArray);

impl<'a> StrCol<'a> {
    pub fn get(&self, row: usize) -> Option<String> {
        self.get_str(row).map(str::to_string)
    }

    /// The row's value without a copy.
    pub fn get_str(&self, row: usize) -> Option<&'a str> {
        self.0.is_valid(row).then(|| self.0.value(row))
    }
}

impl I64Col<'_> {
    pub fn get(&self, row: usize) -> Option<i64> {
        self.0.is_valid(row).then(|| self.0.value(row))
    }
}

impl DateCol<'_> {
    pub fn get(&self, row: usize) -> Option<NaiveDate> {
        self.0
            .is_valid(row)
            .then(|| date_from_days(self.0.value(row)))
    }
}

impl ListCol<'_> {
    pub fn get(&self, row: usize) -> Option<Vec<String>> {
        if self.0.is_null(row) {
            return None;
        }
        let offsets = self.0.value_offsets();
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        let s = self.1;
        Some(
            (start..end)
                .filter(|i| !s.is_null(*i))
                .map(|i| s.value(i).to_string())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Builder, ListBuilder, StringBuilder};
    use std::sync::Arc;

    fn batch(list: Arc<dyn Array>) -> RecordBatch {
        RecordBatch::try_from_iter([("l", list)]).unwrap()
    }

    /// Rows are read through the offsets: nulls in and of lists, empty lists, and a sliced
    /// array (whose offsets point into the whole values array) give each row's own values.
    #[test]
    fn list_rows_are_each_rows_own_values() {
        let mut b = ListBuilder::new(StringBuilder::new());
        b.values().append_value("a");
        b.values().append_value("b");
        b.append(true);
        b.append(false);
        b.append(true);
        b.values().append_value("c");
        b.values().append_null();
        b.values().append_value("d");
        b.append(true);
        let whole: Arc<dyn Array> = Arc::new(b.finish());
        let p = Path::new("x.parquet");
        let v = |s: &[&str]| Some(s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        let rb = batch(whole.clone());
        let c = Cols(&rb, p).lists("l").unwrap();
        assert_eq!(c.get(0), v(&["a", "b"]));
        assert_eq!(c.get(1), None);
        assert_eq!(c.get(2), v(&[]));
        assert_eq!(c.get(3), v(&["c", "d"]));
        let sliced = batch(whole.slice(2, 2));
        let c = Cols(&sliced, p).lists("l").unwrap();
        assert_eq!(c.get(0), v(&[]));
        assert_eq!(c.get(1), v(&["c", "d"]));
    }

    /// A column read by position must have the name expected there: another column (or none)
    /// is an error naming the file and the column, not a value read from the wrong column.
    #[test]
    fn a_column_by_position_is_checked_by_name() {
        let mut b = StringBuilder::new();
        b.append_value("x");
        let rb =
            RecordBatch::try_from_iter([("a", Arc::new(b.finish()) as Arc<dyn Array>)]).unwrap();
        let p = Path::new("forrige.parquet");
        let c = Cols(&rb, p);
        assert_eq!(c.strs_at(0, "a").unwrap().get(0).as_deref(), Some("x"));
        for (i, name) in [(0, "b"), (1, "a")] {
            let err = c.strs_at(i, name).err().expect("an error").to_string();
            assert!(
                err.contains("forrige.parquet") && err.contains(&format!("`{name}`")),
                "{err}"
            );
        }
        assert!(c.i64s_at(0, "a").is_err(), "the type is checked too");
        assert_eq!(c.index("a").unwrap(), 0);
        assert!(c.index("b").is_err());
    }

    /// A list of something other than strings is an error naming the file and column, not a
    /// panic.
    #[test]
    fn a_list_of_numbers_is_an_error() {
        let mut b = ListBuilder::new(Int64Builder::new());
        b.values().append_value(1);
        b.append(true);
        let rb = batch(Arc::new(b.finish()));
        let err = Cols(&rb, Path::new("x.parquet"))
            .lists("l")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("x.parquet") && err.contains("`l`"), "{err}");
    }

    /// Dates within the contract's years are read; a day beyond them (a hostile `date32`,
    /// which no calendar shows) is an error naming the file and column, not a panic.
    #[test]
    fn a_date_beyond_the_contract_is_an_error() {
        use datafusion::arrow::array::Date32Array;
        let p = Path::new("forrige.parquet");
        let good: Arc<dyn Array> = Arc::new(Date32Array::from(vec![Some(20_513), None]));
        let rb = batch(good);
        let c = Cols(&rb, p).checked_dates("l").unwrap();
        assert_eq!(c.get(0), NaiveDate::from_ymd_opt(2026, 3, 1));
        assert_eq!(c.get(1), None);
        for day in [i32::MAX, i32::MIN, 47_482] {
            let rb = batch(Arc::new(Date32Array::from(vec![Some(0), Some(day)])));
            assert!(Cols(&rb, p).dates("l").is_ok(), "the type alone is right");
            let err = Cols(&rb, p)
                .checked_dates("l")
                .err()
                .expect("an error")
                .to_string();
            assert!(
                err.contains("forrige.parquet") && err.contains("`l`"),
                "{err}"
            );
        }
    }
}
