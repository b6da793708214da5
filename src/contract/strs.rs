//! A string column as the loader checks it: plain (`Utf8`), or dictionary-encoded as the
//! Parquet file holds it (`Dictionary(Int32, Utf8)`, for the payments reduced to months), where
//! a check is made once per distinct value instead of once per row.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Int32Type};

/// The type a string column of the payments is read as when they are reduced to months.
pub fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// A string column, plain or dictionary-encoded.
pub enum Strs<'a> {
    Plain(&'a StringArray),
    Dict {
        keys: &'a Int32Array,
        values: &'a StringArray,
    },
}

impl<'a> Strs<'a> {
    /// The column as strings; none when it is neither `Utf8` nor `Dictionary(Int32, Utf8)`.
    pub fn of(arr: &'a ArrayRef) -> Option<Strs<'a>> {
        match arr.data_type() {
            DataType::Utf8 => Some(Strs::Plain(arr.as_string::<i32>())),
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                let d = arr.as_dictionary::<Int32Type>();
                Some(Strs::Dict {
                    keys: d.keys(),
                    values: d.values().as_string::<i32>(),
                })
            }
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Strs::Plain(a) => a.len(),
            Strs::Dict { keys, .. } => keys.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The position of row `i`'s value among the distinct values (a dictionary's only).
    pub fn key(&self, i: usize) -> Option<usize> {
        match self {
            Strs::Plain(_) => None,
            Strs::Dict { keys, .. } => Some(keys.value(i) as usize),
        }
    }

    pub fn is_null(&self, i: usize) -> bool {
        match self {
            Strs::Plain(a) => a.is_null(i),
            Strs::Dict { keys, values } => {
                keys.is_null(i) || values.is_null(keys.value(i) as usize)
            }
        }
    }

    /// Row `i`'s value (its bytes, whatever they are, when it is null).
    pub fn value(&self, i: usize) -> &'a str {
        match self {
            Strs::Plain(a) => a.value(i),
            Strs::Dict { keys, values } => values.value(keys.value(i) as usize),
        }
    }

    /// How many rows are null.
    pub fn null_count(&self) -> usize {
        match self {
            Strs::Plain(a) => a.null_count(),
            Strs::Dict { keys, values } if values.null_count() == 0 => keys.null_count(),
            Strs::Dict { .. } => (0..self.len()).filter(|i| self.is_null(*i)).count(),
        }
    }

    /// The byte length of the longest value (of a dictionary: of any of its values, used or
    /// not), from the offsets: no value read.
    pub fn longest_bytes(&self) -> usize {
        let a = match self {
            Strs::Plain(a) => a,
            Strs::Dict { values, .. } => values,
        };
        a.offsets()
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0)
    }

    /// A cache of a test of this column's values (see [`Remembered`]).
    pub fn remembered(&self) -> Remembered<'a> {
        Remembered {
            by_key: match self {
                Strs::Plain(_) => Vec::new(),
                Strs::Dict { values, .. } => vec![0; values.len()],
            },
            last: None,
        }
    }
}

/// The outcomes of a test of a column's values that depends on the value alone: of a dictionary
/// each distinct value tested once; of a plain column the row before's outcome reused when the
/// value is the same (exports list a person's or a code's rows together).
pub struct Remembered<'a> {
    /// Per distinct value: 0 not tested, 1 passed, 2 failed.
    by_key: Vec<u8>,
    last: Option<(&'a str, bool)>,
}

impl<'a> Remembered<'a> {
    /// `test` of row `i`'s value (which must not be null).
    pub fn test(&mut self, strs: &Strs<'a>, i: usize, test: impl FnOnce(&str) -> bool) -> bool {
        match strs.key(i) {
            Some(k) => match self.by_key[k] {
                1 => true,
                2 => false,
                _ => {
                    let passed = test(strs.value(i));
                    self.by_key[k] = if passed { 1 } else { 2 };
                    passed
                }
            },
            None => {
                let v = strs.value(i);
                if let Some((last, passed)) = self.last
                    && last == v
                {
                    return passed;
                }
                let passed = test(v);
                self.last = Some((v, passed));
                passed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::DictionaryArray;
    use std::sync::Arc;

    #[test]
    fn plain_and_dictionary_columns_read_alike_and_test_each_value_once() {
        let rows = [Some("a"), Some("b"), None, Some("b"), Some("a"), Some("c")];
        let plain: ArrayRef = Arc::new(StringArray::from(rows.to_vec()));
        // "z" is a value no row uses, and the null row's key points at "a"
        let values = Arc::new(StringArray::from(vec!["a", "b", "c", "zzzzzzz"]));
        let keys = Int32Array::from(vec![Some(0), Some(1), None, Some(1), Some(0), Some(2)]);
        let dict: ArrayRef = Arc::new(DictionaryArray::try_new(keys, values).unwrap());
        for arr in [&plain, &dict] {
            let s = Strs::of(arr).unwrap();
            assert_eq!(s.len(), 6);
            assert_eq!(s.null_count(), 1);
            let read: Vec<Option<&str>> = (0..6)
                .map(|i| (!s.is_null(i)).then(|| s.value(i)))
                .collect();
            assert_eq!(read, rows);
            let mut tested = Vec::new();
            let mut r = s.remembered();
            let passed: Vec<bool> = (0..6)
                .filter(|i| !s.is_null(*i))
                .map(|i| {
                    r.test(&s, i, |v| {
                        tested.push(v.to_string());
                        v != "b"
                    })
                })
                .collect();
            assert_eq!(passed, [true, false, false, true, true]);
            match s {
                Strs::Dict { .. } => assert_eq!(tested, ["a", "b", "c"]),
                Strs::Plain(_) => assert_eq!(tested, ["a", "b", "a", "c"]),
            }
        }
        assert_eq!(Strs::of(&plain).unwrap().longest_bytes(), 1);
        assert_eq!(Strs::of(&dict).unwrap().longest_bytes(), 7);
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        assert!(Strs::of(&ints).is_none());
    }
}
