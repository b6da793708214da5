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

use crate::contract::load::date_from_days;

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
        self.0
            .column_by_name(name)
            .map(|c| c.as_ref())
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
        let c = self
            .col(name)?
            .as_string_opt::<i32>()
            .with_context(|| self.wrong(name, "Utf8"))?;
        Ok(StrCol(c))
    }
    pub fn i64s(&self, name: &str) -> anyhow::Result<I64Col<'a>> {
        let c = self
            .col(name)?
            .as_primitive_opt::<Int64Type>()
            .with_context(|| self.wrong(name, "Int64"))?;
        Ok(I64Col(c))
    }
    pub fn dates(&self, name: &str) -> anyhow::Result<DateCol<'a>> {
        let c = self
            .col(name)?
            .as_primitive_opt::<Date32Type>()
            .with_context(|| self.wrong(name, "Date32"))?;
        Ok(DateCol(c))
    }
    pub fn lists(&self, name: &str) -> anyhow::Result<ListCol<'a>> {
        let c = self
            .col(name)?
            .as_list_opt::<i32>()
            .with_context(|| self.wrong(name, "List"))?;
        Ok(ListCol(c))
    }
}

/// A string column of a batch, by row.
pub struct StrCol<'a>(&'a StringArray);
/// An Int64 column of a batch, by row.
pub struct I64Col<'a>(&'a PrimitiveArray<Int64Type>);
/// A Date32 column of a batch, by row.
pub struct DateCol<'a>(&'a PrimitiveArray<Date32Type>);
/// A list-of-strings column of a batch, by row.
pub struct ListCol<'a>(&'a ListArray);

impl StrCol<'_> {
    pub fn get(&self, row: usize) -> Option<String> {
        self.0.is_valid(row).then(|| self.0.value(row).to_string())
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
        let v = self.0.value(row);
        let s = v.as_string::<i32>();
        Some(
            (0..s.len())
                .filter(|i| !s.is_null(*i))
                .map(|i| s.value(i).to_string())
                .collect(),
        )
    }
}
