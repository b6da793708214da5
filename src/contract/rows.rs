//! Contract rows written as TOML tables (a rule's example cases) turned into Arrow batches of the
//! contract's canonical types, so that they go through the same validation as real exports.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, Date32Array, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{Field, Schema};

use super::{ColType, TableSpec, load::days_since_epoch};

/// Builds a canonical batch from rows; `defaults` fill columns a row leaves out.
pub fn batch_from_rows(
    spec: &TableSpec,
    rows: &[toml::Table],
    defaults: &[(&str, toml::Value)],
) -> Result<RecordBatch, String> {
    check_columns(spec, rows)?;
    let value = |row: &toml::Table, name: &str| -> Option<toml::Value> {
        row.get(name).cloned().or_else(|| {
            defaults
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
    };
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for c in spec.columns {
        let values: Vec<Option<toml::Value>> = rows.iter().map(|r| value(r, c.name)).collect();
        let bad = |i: usize, what: &str| {
            format!(
                "row {} of `{}`, column `{}`: expected {what}",
                i + 1,
                spec.name,
                c.name
            )
        };
        fields.push(Field::new(c.name, c.ty.canonical(), true));
        cols.push(column(c.ty, &values, bad)?);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(|e| e.to_string())
}

/// Every key of every row is a column of the table.
fn check_columns(spec: &TableSpec, rows: &[toml::Table]) -> Result<(), String> {
    for (i, row) in rows.iter().enumerate() {
        for key in row.keys() {
            if spec.column(key).is_none() {
                let cols: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
                return Err(format!(
                    "row {} of `{}`: unknown column `{key}`; the table has {}",
                    i + 1,
                    spec.name,
                    cols.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// One column's values as an Arrow array of its type; `bad(row, expected)` words an error.
fn column(
    ty: ColType,
    values: &[Option<toml::Value>],
    bad: impl Fn(usize, &str) -> String,
) -> Result<ArrayRef, String> {
    Ok(match ty {
        ColType::Str => {
            let mut out = Vec::new();
            for (i, v) in values.iter().enumerate() {
                out.push(match v {
                    None => None,
                    Some(toml::Value::String(s)) => Some(s.clone()),
                    Some(toml::Value::Integer(n)) => Some(n.to_string()),
                    Some(_) => return Err(bad(i, "a string")),
                });
            }
            Arc::new(StringArray::from(out))
        }
        ColType::Int => {
            let mut out = Vec::new();
            for (i, v) in values.iter().enumerate() {
                out.push(match v {
                    None => None,
                    Some(toml::Value::Integer(n)) => Some(*n),
                    Some(_) => return Err(bad(i, "an integer")),
                });
            }
            Arc::new(Int64Array::from(out))
        }
        ColType::Date => {
            let mut out = Vec::new();
            for (i, v) in values.iter().enumerate() {
                out.push(match v {
                    None => None,
                    Some(v) => Some(days_since_epoch(
                        parse_date(v).ok_or_else(|| bad(i, "a date (YYYY-MM-DD)"))?,
                    )),
                });
            }
            Arc::new(Date32Array::from(out))
        }
        ColType::StrList => {
            let mut b = ListBuilder::new(StringBuilder::new());
            for (i, v) in values.iter().enumerate() {
                match v {
                    None => b.append_null(),
                    Some(toml::Value::Array(items)) => {
                        for item in items {
                            match item {
                                toml::Value::String(s) => b.values().append_value(s),
                                _ => return Err(bad(i, "a list of strings")),
                            }
                        }
                        b.append(true);
                    }
                    Some(_) => return Err(bad(i, "a list of strings")),
                }
            }
            Arc::new(b.finish())
        }
    })
}

/// A TOML date (`2026-11-16`) or an ISO date string.
pub fn parse_date(v: &toml::Value) -> Option<NaiveDate> {
    match v {
        toml::Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        toml::Value::Datetime(d) => {
            let date = d.date?;
            if d.time.is_some() {
                return None;
            }
            NaiveDate::from_ymd_opt(date.year as i32, date.month as u32, date.day as u32)
        }
        _ => None,
    }
}

pub const EXAMPLE_PERSON: &str = "EKSEMPEL";

/// Column defaults for a rule file's example rows, per table.
pub fn example_defaults(table: &str) -> Vec<(&'static str, toml::Value)> {
    let mut d = vec![("person_id", toml::Value::from(EXAMPLE_PERSON))];
    match table {
        "personer" => {
            d.push(("fodselsdato", toml::Value::from("1990-01-01")));
            d.push(("kommune_nr", toml::Value::from("0301")));
            d.push(("nav_kontor", toml::Value::from("0314")));
        }
        "okonomisk_stonad" => {
            d.push(("belop", toml::Value::from(5000)));
            d.push(("stonadstype", toml::Value::from("BIDRAG")));
        }
        _ => {}
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::OKONOMISK_STONAD;
    use datafusion::arrow::array::Array;

    #[test]
    fn rows_fill_defaults_and_parse_dates() {
        let rows: Vec<toml::Table> = vec![
            toml::from_str("utbetalingsdato = 2026-03-05").unwrap(),
            toml::from_str("utbetalingsdato = \"2026-04-05\"\nbelop = 0\nstatus = \"ANNULLERT\"")
                .unwrap(),
        ];
        let defaults = [
            ("person_id", toml::Value::from("P1")),
            ("belop", toml::Value::from(5000)),
        ];
        let b = batch_from_rows(&OKONOMISK_STONAD, &rows, &defaults).unwrap();
        assert_eq!(b.num_rows(), 2);
        let belop = b
            .column_by_name("belop")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(belop.values().to_vec(), vec![5000, 0]);
        assert!(b.column_by_name("fom").unwrap().is_null(0));
    }

    #[test]
    fn unknown_columns_and_bad_values_are_named() {
        let rows: Vec<toml::Table> = vec![toml::from_str("utbetalingsdag = 2026-03-05").unwrap()];
        let e = batch_from_rows(&OKONOMISK_STONAD, &rows, &[]).unwrap_err();
        assert!(e.contains("unknown column `utbetalingsdag`"), "{e}");
        let rows: Vec<toml::Table> = vec![toml::from_str("belop = \"mye\"").unwrap()];
        let e = batch_from_rows(&OKONOMISK_STONAD, &rows, &[]).unwrap_err();
        assert!(e.contains("column `belop`: expected an integer"), "{e}");
    }
}
