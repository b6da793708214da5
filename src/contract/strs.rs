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

    #[inline]
    pub fn len(&self) -> usize {
        match self {
            Strs::Plain(a) => a.len(),
            Strs::Dict { keys, .. } => keys.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        match self {
            Strs::Plain(a) => a.is_null(i),
            // a null row's key may point anywhere, also past an empty dictionary
            Strs::Dict { keys, values } => {
                let k = keys.value(i) as usize;
                keys.is_null(i) || k >= values.len() || values.is_null(k)
            }
        }
    }

    /// Row `i`'s value; the row must not be null.
    #[inline]
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
            Strs::Dict { keys, values } if values.null_count() == 0 && !values.is_empty() => {
                keys.null_count()
            }
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

    /// The rows (in order) whose value fails `test`, a test of the value alone; null rows are
    /// not tested. Of a dictionary each value a row uses is tested once, and the rows are
    /// looked at again only when one failed; of a plain column the row before's outcome is
    /// reused when its value is the same (exports list a person's or a code's rows together).
    pub fn failing(&self, mut test: impl FnMut(&str) -> bool) -> Vec<usize> {
        match self {
            Strs::Plain(a) => {
                let mut last: Option<(&str, bool)> = None;
                let mut out = Vec::new();
                for i in 0..a.len() {
                    if a.is_null(i) {
                        continue;
                    }
                    let v = a.value(i);
                    let passed = match last {
                        Some((l, passed)) if same(l.as_bytes(), v.as_bytes()) => passed,
                        _ => {
                            let passed = test(v);
                            last = Some((v, passed));
                            passed
                        }
                    };
                    if !passed {
                        out.push(i);
                    }
                }
                out
            }
            Strs::Dict { keys, values } => {
                // 1: used by a row, 2: used and failed (a null row's key is tested too: the
                // test has no other effect, and that row is left out below)
                let mut state = vec![0u8; values.len()];
                for k in keys.values() {
                    if let Some(s) = state.get_mut(*k as usize) {
                        *s = 1;
                    }
                }
                let mut failed = false;
                for (k, s) in state.iter_mut().enumerate() {
                    if *s == 1 && !test(values.value(k)) {
                        *s = 2;
                        failed = true;
                    }
                }
                if !failed {
                    return Vec::new();
                }
                (0..keys.len())
                    .filter(|i| !self.is_null(*i) && state[keys.value(*i) as usize] == 2)
                    .collect()
            }
        }
    }
}

/// Whether two values are the same bytes. The loader compares each row's value with the row
/// before's, and these are short (ids, codes): without the call into libc's `memcmp` that `==`
/// makes for them, which cost more than the comparison (benches/RESULTS.md, twenty-seventh
/// session). Up to 16 bytes, two overlapping loads of each side cover every byte.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4"));
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
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
            let failing = s.failing(|v| {
                tested.push(v.to_string());
                v != "b"
            });
            assert_eq!(failing, [1, 3]);
            match s {
                Strs::Dict { .. } => assert_eq!(tested, ["a", "b", "c"]),
                Strs::Plain(_) => assert_eq!(tested, ["a", "b", "a", "c"]),
            }
            assert!(s.failing(|v| v != "x").is_empty());
        }
        assert_eq!(Strs::of(&plain).unwrap().longest_bytes(), 1);
        assert_eq!(Strs::of(&dict).unwrap().longest_bytes(), 7);
        // a column of nulls only: an empty dictionary, the keys pointing past it
        let keys = Int32Array::from(vec![None, None]);
        let empty: ArrayRef = Arc::new(
            DictionaryArray::try_new(keys, Arc::new(StringArray::from(Vec::<&str>::new())))
                .unwrap(),
        );
        let s = Strs::of(&empty).unwrap();
        assert_eq!(s.null_count(), 2);
        assert!(s.failing(|_| false).is_empty());
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        assert!(Strs::of(&ints).is_none());
    }

    /// `same` is `==`: for every length up to past the last short case, a value equals its
    /// copy and differs from it with any one byte changed, and from itself one byte longer.
    #[test]
    fn same_is_equality_for_every_length_and_byte() {
        for n in 0..=24usize {
            let a: Vec<u8> = (0..n as u8).map(|i| b'0' + i).collect();
            assert!(same(&a, &a.clone()), "length {n}");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 1;
                assert!(!same(&a, &b), "length {n}, byte {at} changed");
            }
            assert!(
                !same(&a, &[&a[..], b"0"].concat()),
                "length {n} against {}",
                n + 1
            );
        }
    }
}
