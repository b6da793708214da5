//! `manifest.json`: what a run read, which rules and parameter values it used, and what it
//! wrote, with sha256 hashes, so a supervisor can re-run and compare. One type, [`Provenance`],
//! for the manifests of `scan`, `weekly`, `report`, `audit` and `compare`, written and read back (`audit
//! verify`) alike.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};
use tempfile::NamedTempFile;

use super::Staged;
use crate::contract::load::InputFile;
use crate::contract::quality::RowCounts;
use crate::rules::{ParamValue, RuleSet};

pub const FILE: &str = "manifest.json";

/// Where a run's files come from: the tool, what the run was asked (a scan date, or an audit's
/// period), the rule set(s) with their hashes and parameter values, every input and output file
/// with its hash, and for a scan its tables and counts. Each kind of run fills the fields it
/// has; the others are left out of the file (the order of the fields is the same for all).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Provenance {
    pub verktoy: String,
    pub versjon: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skanningsdato: Option<String>,
    /// An audit's period and deadline in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fra: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub til: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frist_dager: Option<i64>,
    pub sprak: crate::contract::Lang,
    /// An audit's Mondays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandager: Option<usize>,
    /// `som_i_inndata` (ids as in the export) or `pseudonym_hmac_sha256` (`--pseudonymize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ferdig: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regelsett: Option<RuleSetEntry>,
    /// `compare`: the baseline and the changed rule set, and the overrides given with `--set`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regelsett_a: Option<RuleSetEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regelsett_b: Option<RuleSetEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overstyrt_i_b: Option<Vec<String>>,
    pub inndata: Vec<InputFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tabeller: Option<BTreeMap<String, TableEntry>>,
    pub utdata: Vec<OutputEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oppsummering: Option<Summary>,
}

impl Provenance {
    /// The tool and version every manifest starts with, the rest empty.
    pub fn new(verktoy: &str, sprak: crate::contract::Lang) -> Provenance {
        Provenance {
            verktoy: verktoy.to_string(),
            versjon: env!("CARGO_PKG_VERSION").to_string(),
            sprak,
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleSetEntry {
    pub opprinnelse: String,
    pub sha256: String,
    pub regler: Vec<RuleEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleEntry {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub fil: String,
    pub sha256: String,
    pub parametre: BTreeMap<String, ParamValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableEntry {
    pub finnes: bool,
    #[serde(flatten)]
    pub rader: RowCounts,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputEntry {
    pub fil: String,
    pub sha256: String,
    pub rader: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Summary {
    pub personer: u64,
    pub per_status: BTreeMap<String, u64>,
    pub per_regel: BTreeMap<String, u64>,
    pub uavklarte_regler: Vec<String>,
    pub datakvalitet_feil: u64,
    pub datakvalitet_advarsler: u64,
    pub kandidater_skjermet_kode6: u64,
}

impl Summary {
    /// A scan's counts: persons, per status (all five), per rule (every rule), the undecided
    /// rules, the data-quality findings and the kode-6 candidates left out of the CSV.
    pub fn of(
        stats: &crate::engine::EvalStats,
        rules: &RuleSet,
        findings: &[crate::contract::quality::Finding],
        skjermet: u64,
    ) -> Summary {
        let errors = findings
            .iter()
            .filter(|f| f.severity() == crate::contract::quality::Severity::Feil)
            .count() as u64;
        Summary {
            personer: stats.persons,
            per_status: crate::rules::Status::ALL
                .iter()
                .map(|s| {
                    (
                        s.as_str().to_string(),
                        stats.per_status.get(s).copied().unwrap_or(0),
                    )
                })
                .collect(),
            per_regel: rules
                .rules
                .iter()
                .map(|r| {
                    (
                        r.id.clone(),
                        stats.per_rule.get(&r.id).copied().unwrap_or(0),
                    )
                })
                .collect(),
            uavklarte_regler: stats.undecided_rules.clone(),
            datakvalitet_feil: errors,
            datakvalitet_advarsler: findings.len() as u64 - errors,
            kandidater_skjermet_kode6: skjermet,
        }
    }
}

pub fn rule_entries(rules: &RuleSet, as_of: chrono::NaiveDate) -> RuleSetEntry {
    RuleSetEntry {
        opprinnelse: rules.origin.clone(),
        sha256: rules.hash(),
        regler: rules
            .rules
            .iter()
            .map(|r| RuleEntry {
                id: r.id.clone(),
                kind: r.kind.as_str().to_string(),
                fil: r.source.path.clone(),
                sha256: r.source.sha256.clone(),
                parametre: r.params_at(as_of),
            })
            .collect(),
    }
}

/// How a manifest names the person ids of its outputs: as in the export, or pseudonyms.
pub fn person_ids(pseudonymised: bool) -> &'static str {
    if pseudonymised {
        "pseudonym_hmac_sha256"
    } else {
        "som_i_inndata"
    }
}

/// Every staged output with its sha256 and rows, in staging order (each manifest's `utdata`).
pub fn output_entries(staged: &[Staged]) -> anyhow::Result<Vec<OutputEntry>> {
    use rayon::prelude::*;
    // hashed on every core (a weekly run's ~2 500 files are ~130 MB), kept in staging order
    staged
        .par_iter()
        .map(|s| {
            Ok(OutputEntry {
                fil: s.name.clone(),
                sha256: s.sha256()?,
                rader: s.rows,
            })
        })
        .collect()
}

/// The manifest written to `tmp` in one piece (serde_json writes a token at a time: straight
/// to the file that was some 100 000 system calls for a weekly run's manifest).
pub fn write(mut tmp: NamedTempFile, m: &Provenance) -> anyhow::Result<Staged> {
    let mut bytes = serde_json::to_vec_pretty(m)?;
    bytes.push(b'\n');
    tmp.write_all(&bytes)?;
    Ok(Staged::new(FILE.into(), tmp, 0))
}
