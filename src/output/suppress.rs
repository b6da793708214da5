//! Small-count suppression for leader and supervisor outputs: counts of 1–4 are shown as "<5"
//! (primary), and where a published sum would let a reader recover one hidden count, one more
//! count in that sum is hidden too (secondary, shown as ":", Statistics Norway's symbol for
//! "not shown for confidentiality").

use std::collections::BTreeMap;

/// The largest count that is hidden.
pub const MAX_HIDDEN: u64 = 4;

/// How a count is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Value(u64),
    /// 1–4
    UnderFive,
    /// hidden so that a sum does not reveal a small count
    Secondary,
}

impl Shown {
    pub fn text(self) -> String {
        match self {
            Shown::Value(v) => v.to_string(),
            Shown::UnderFive => "<5".into(),
            Shown::Secondary => ":".into(),
        }
    }

    pub fn value(self) -> Option<u64> {
        match self {
            Shown::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn json(self) -> serde_json::Value {
        match self {
            Shown::Value(v) => v.into(),
            other => other.text().into(),
        }
    }
}

/// Counts keyed by `K`, with the sums that hold between them.
#[derive(Debug, Clone)]
pub struct Table<K: Ord + Clone> {
    pub cells: BTreeMap<K, u64>,
    /// (parts, total): the parts add up to the total.
    sums: Vec<(Vec<K>, K)>,
}

impl<K: Ord + Clone + std::fmt::Debug> Table<K> {
    pub fn new(cells: BTreeMap<K, u64>) -> Self {
        Table {
            cells,
            sums: Vec::new(),
        }
    }

    /// Declares that `parts` add up to `total` (all must be cells).
    pub fn sum(&mut self, parts: Vec<K>, total: K) {
        debug_assert!(
            parts
                .iter()
                .chain([&total])
                .all(|k| self.cells.contains_key(k)),
            "sum over unknown cells: {parts:?} = {total:?}"
        );
        self.sums.push((parts, total));
    }

    /// Decides which cells are hidden and how each is shown.
    pub fn suppress(&self) -> BTreeMap<K, Shown> {
        // cells by position in key order, the sums' keys looked up once instead of in every
        // pass (a sum over a key that is not a cell is left out: `sum` asserts there is none)
        let keys: Vec<&K> = self.cells.keys().collect();
        let values: Vec<u64> = self.cells.values().copied().collect();
        let at = |k: &K| keys.binary_search(&k).ok();
        let sums: Vec<(Vec<usize>, usize)> = self
            .sums
            .iter()
            .filter_map(|(parts, total)| {
                let parts = parts.iter().map(at).collect::<Option<Vec<usize>>>()?;
                Some((parts, at(total)?))
            })
            .collect();
        let primary: Vec<bool> = values
            .iter()
            .map(|v| (1..=MAX_HIDDEN).contains(v))
            .collect();
        let mut hidden = primary.clone();
        loop {
            let mut changed = false;
            for (parts, total) in &sums {
                let n = parts.iter().chain([total]).filter(|k| hidden[**k]).count();
                if n != 1 {
                    continue;
                }
                // One unknown in an equation: hide the smallest other non-zero part (a zero
                // protects nothing where zeros are structural), else a zero, else the total;
                // between equal counts the first in key order.
                let pick = parts
                    .iter()
                    .copied()
                    .filter(|k| !hidden[*k])
                    .min_by_key(|k| (values[*k] == 0, values[*k], *k))
                    .or_else(|| (!hidden[*total]).then_some(*total));
                if let Some(k) = pick {
                    hidden[k] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        keys.into_iter()
            .zip(values)
            .enumerate()
            .map(|(i, (k, v))| {
                let s = if primary[i] {
                    Shown::UnderFive
                } else if hidden[i] {
                    Shown::Secondary
                } else {
                    Shown::Value(v)
                };
                (k.clone(), s)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(cells: &[(&'static str, u64)]) -> Table<&'static str> {
        Table::new(cells.iter().copied().collect())
    }

    #[test]
    fn small_counts_are_hidden_and_zero_and_five_shown() {
        let t = table(&[("a", 0), ("b", 1), ("c", 4), ("d", 5)]);
        let s = t.suppress();
        assert_eq!(s["a"], Shown::Value(0));
        assert_eq!(s["b"], Shown::UnderFive);
        assert_eq!(s["c"], Shown::UnderFive);
        assert_eq!(s["d"], Shown::Value(5));
    }

    #[test]
    fn a_total_cannot_reveal_a_single_hidden_part() {
        // 3 + 10 + 20 = 33: with only "a" hidden, 33 - 10 - 20 would give it away.
        let mut t = table(&[("a", 3), ("b", 10), ("c", 20), ("sum", 33)]);
        t.sum(vec!["a", "b", "c"], "sum");
        let s = t.suppress();
        assert_eq!(s["a"], Shown::UnderFive);
        assert_eq!(
            s["b"],
            Shown::Secondary,
            "the smallest other part is hidden too"
        );
        assert_eq!(s["c"], Shown::Value(20));
        assert_eq!(s["sum"], Shown::Value(33));
    }

    #[test]
    fn secondary_hiding_carries_across_sums() {
        // rows x, y and their total; columns 1, 2 and their total
        let mut t = table(&[
            ("x1", 2),
            ("x2", 30),
            ("x", 32),
            ("y1", 40),
            ("y2", 50),
            ("y", 90),
            ("t1", 42),
            ("t2", 80),
            ("t", 122),
        ]);
        t.sum(vec!["x1", "x2"], "x");
        t.sum(vec!["y1", "y2"], "y");
        t.sum(vec!["x1", "y1"], "t1");
        t.sum(vec!["x2", "y2"], "t2");
        t.sum(vec!["x", "y"], "t");
        t.sum(vec!["t1", "t2"], "t");
        let s = t.suppress();
        // every equation has zero or at least two hidden cells
        for (parts, total) in &t.sums {
            let n = parts
                .iter()
                .chain([total])
                .filter(|k| s[*k] != Shown::Value(t.cells[*k]))
                .count();
            assert!(n != 1, "{parts:?} = {total:?} reveals a hidden cell");
        }
        assert_eq!(s["x1"], Shown::UnderFive);
    }

    #[test]
    fn a_hidden_total_with_all_parts_shown_is_hidden_with_a_part() {
        let mut t = table(&[("a", 0), ("b", 3), ("sum", 3)]);
        t.sum(vec!["a", "b"], "sum");
        let s = t.suppress();
        assert_eq!(s["b"], Shown::UnderFive);
        assert_eq!(s["sum"], Shown::UnderFive);
        assert_eq!(s["a"], Shown::Value(0));
    }
}

/// The suppression by positions gives what its definition gives: the sums scanned in order
/// until none changes, with sets of keys (the first version of [`Table::suppress`]).
#[cfg(test)]
mod same_as_definition {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn by_definition<K: Ord + Clone>(t: &Table<K>) -> BTreeMap<K, Shown> {
        let primary: BTreeSet<K> = t
            .cells
            .iter()
            .filter(|(_, v)| (1..=MAX_HIDDEN).contains(*v))
            .map(|(k, _)| k.clone())
            .collect();
        let mut hidden = primary.clone();
        loop {
            let mut changed = false;
            for (parts, total) in &t.sums {
                let n = parts
                    .iter()
                    .chain([total])
                    .filter(|k| hidden.contains(*k))
                    .count();
                if n != 1 {
                    continue;
                }
                let pick = parts
                    .iter()
                    .filter(|k| !hidden.contains(*k))
                    .min_by_key(|k| (t.cells[*k] == 0, t.cells[*k], (*k).clone()))
                    .or_else(|| (!hidden.contains(total)).then_some(total));
                if let Some(k) = pick {
                    hidden.insert(k.clone());
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        t.cells
            .iter()
            .map(|(k, v)| {
                let s = if primary.contains(k) {
                    Shown::UnderFive
                } else if hidden.contains(k) {
                    Shown::Secondary
                } else {
                    Shown::Value(*v)
                };
                (k.clone(), s)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn suppression_is_its_definition(
            values in proptest::collection::vec(0u64..9, 1..24),
            sums in proptest::collection::vec(
                (proptest::collection::vec(0usize..24, 1..6), 0usize..24),
                0..12,
            ),
        ) {
            let key = |i: usize| format!("k{:02}", i % values.len());
            let cells = values.iter().enumerate().map(|(i, v)| (key(i), *v)).collect();
            let mut t = Table::new(cells);
            for (parts, total) in &sums {
                t.sum(parts.iter().map(|p| key(*p)).collect(), key(*total));
            }
            prop_assert_eq!(t.suppress(), by_definition(&t));
        }
    }
}
