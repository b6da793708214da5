//! Arrow values to template values: what a rule's result columns look like to its explanation.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::scalar::ScalarValue;
use minijinja::Value;

use crate::contract::load::date_from_days;

/// One cell as a template value: strings, integers, numbers and booleans as themselves, dates as
/// ISO strings (`2026-03-01`), lists as sequences, structs as maps, null as none.
pub fn cell(arr: &ArrayRef, row: usize) -> Value {
    if arr.is_null(row) {
        return Value::from(());
    }
    match arr.data_type() {
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
        DataType::Struct(fields) => {
            let s = arr.as_struct();
            let map: std::collections::BTreeMap<String, Value> = fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name().clone(), cell(s.column(i), row)))
                .collect();
            Value::from(map)
        }
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
        Date32(Some(d)) => Value::from(date_from_days(d).format("%Y-%m-%d").to_string()),
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
    use std::sync::Arc;

    #[test]
    fn dates_become_iso_strings_and_lists_sequences() {
        let d: ArrayRef = Arc::new(Date32Array::from(vec![Some(20513), None]));
        assert_eq!(cell(&d, 0).to_string(), "2026-03-01");
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
}
