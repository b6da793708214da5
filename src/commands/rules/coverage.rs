//! `rules test --coverage`: what the rules' own example cases exercise. For every rule: each
//! `krav_` condition seen true and seen false (a condition never seen false is untested), each
//! dated parameter value in force on some case's date, `uavklart` when the rule has `krever`;
//! for the rule set: each status reached by some case.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::examples::CaseResult;
use crate::rules::{Outcome, RuleSet, Status};

/// One thing a rule's examples should exercise.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Item {
    /// `krav.<name>.sann`, `krav.<name>.usann`, `parameter.<name>.<fra>`, `uavklart`
    pub hva: String,
    pub dekket: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCoverage {
    pub regel: String,
    pub eksempler: usize,
    pub punkter: Vec<Item>,
    pub prosent: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub regler: Vec<RuleCoverage>,
    /// status → reached by some example
    pub statuser: BTreeMap<&'static str, bool>,
    pub prosent: f64,
}

fn percent(items: &[Item]) -> f64 {
    if items.is_empty() {
        return 100.0;
    }
    let covered = items.iter().filter(|i| i.dekket).count();
    (covered as f64 * 1000.0 / items.len() as f64).round() / 10.0
}

/// Coverage of `rules` by the example results (failed cases exercise nothing).
pub fn coverage(rules: &RuleSet, results: &[CaseResult]) -> Coverage {
    let mut out = Vec::new();
    let mut statuses: BTreeMap<&'static str, bool> =
        Status::ALL.iter().map(|s| (s.as_str(), false)).collect();
    for rule in &rules.rules {
        let cases: Vec<_> = results
            .iter()
            .filter(|r| r.rule == rule.id)
            .filter_map(|r| r.observed.as_ref())
            .collect();
        for c in &cases {
            statuses.insert(c.status.as_str(), true);
        }
        let mut items = Vec::new();
        for k in &rule.krav {
            for (want, word) in [(true, "sann"), (false, "usann")] {
                let seen = cases
                    .iter()
                    .any(|c| c.krav.iter().any(|(n, v)| *n == k.name && *v == want));
                items.push(Item {
                    hva: format!("krav.{}.{word}", k.name),
                    dekket: seen,
                });
            }
        }
        for p in &rule.params {
            for (i, (from, _)) in p.values.iter().enumerate() {
                let until = p.values.get(i + 1).map(|(d, _)| *d);
                let seen = cases.iter().any(|c| {
                    c.as_of >= *from
                        && until.is_none_or(|u| c.as_of < u)
                        && !c.overridden.contains(&p.name)
                });
                items.push(Item {
                    hva: format!("parameter.{}.{from}", p.name),
                    dekket: seen,
                });
            }
        }
        if !rule.krever.is_empty() {
            items.push(Item {
                hva: "uavklart".into(),
                dekket: cases.iter().any(|c| c.outcome == Outcome::Uavklart),
            });
        }
        out.push(RuleCoverage {
            regel: rule.id.clone(),
            eksempler: cases.len(),
            prosent: percent(&items),
            punkter: items,
        });
    }
    let mut all: Vec<Item> = out.iter().flat_map(|r| r.punkter.clone()).collect();
    all.extend(statuses.iter().map(|(s, d)| Item {
        hva: format!("status.{s}"),
        dekket: *d,
    }));
    Coverage {
        prosent: percent(&all),
        regler: out,
        statuser: statuses,
    }
}

impl Coverage {
    /// The lowest percentage of any rule, and of the statuses.
    pub fn lowest(&self) -> f64 {
        let statuses: Vec<Item> = self
            .statuser
            .values()
            .map(|d| Item {
                hva: String::new(),
                dekket: *d,
            })
            .collect();
        self.regler
            .iter()
            .map(|r| r.prosent)
            .chain([percent(&statuses)])
            .fold(100.0, f64::min)
    }

    /// The table printed by `rules test --coverage`.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "coverage of the rules by their examples:");
        let _ = writeln!(
            t,
            "  {:<30}{:>10}{:>10}{:>10}",
            "rule", "examples", "items", "covered"
        );
        for r in &self.regler {
            let covered = r.punkter.iter().filter(|i| i.dekket).count();
            let _ = writeln!(
                t,
                "  {:<30}{:>10}{:>10}{:>9.1}%",
                r.regel,
                r.eksempler,
                format!("{covered}/{}", r.punkter.len()),
                r.prosent
            );
            for i in r.punkter.iter().filter(|i| !i.dekket) {
                let _ = writeln!(t, "      untested: {}", i.hva);
            }
        }
        let missing: Vec<&str> = self
            .statuser
            .iter()
            .filter(|(_, d)| !**d)
            .map(|(s, _)| *s)
            .collect();
        let _ = writeln!(
            t,
            "  statuses reached: {}/{}{}",
            self.statuser.len() - missing.len(),
            self.statuser.len(),
            if missing.is_empty() {
                String::new()
            } else {
                format!(" (never: {})", missing.join(", "))
            }
        );
        let _ = writeln!(t, "  total: {:.1}%", self.prosent);
        t
    }
}
