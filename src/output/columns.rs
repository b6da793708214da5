//! Reading back what kvp-scan wrote: a Parquet file's batches and typed access to a batch's
//! columns by name, with errors naming the file and the column. The readers of the output
//! files (beside their writers) use it.

use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
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
    pub fn str(&self, name: &str, row: usize) -> anyhow::Result<Option<String>> {
        let c = self
            .col(name)?
            .as_string_opt::<i32>()
            .with_context(|| self.wrong(name, "Utf8"))?;
        Ok((!c.is_null(row)).then(|| c.value(row).to_string()))
    }
    pub fn i64(&self, name: &str, row: usize) -> anyhow::Result<Option<i64>> {
        let c = self
            .col(name)?
            .as_primitive_opt::<Int64Type>()
            .with_context(|| self.wrong(name, "Int64"))?;
        Ok((!c.is_null(row)).then(|| c.value(row)))
    }
    pub fn date(&self, name: &str, row: usize) -> anyhow::Result<Option<NaiveDate>> {
        let c = self
            .col(name)?
            .as_primitive_opt::<Date32Type>()
            .with_context(|| self.wrong(name, "Date32"))?;
        Ok((!c.is_null(row)).then(|| date_from_days(c.value(row))))
    }
    pub fn list(&self, name: &str, row: usize) -> anyhow::Result<Option<Vec<String>>> {
        let c = self
            .col(name)?
            .as_list_opt::<i32>()
            .with_context(|| self.wrong(name, "List"))?;
        if c.is_null(row) {
            return Ok(None);
        }
        let v = c.value(row);
        let s = v.as_string::<i32>();
        Ok(Some(
            (0..s.len())
                .filter(|i| !s.is_null(*i))
                .map(|i| s.value(i).to_string())
                .collect(),
        ))
    }
}
