//! `manifest.json`: what a run read, which rules and parameter values it used, and what it
//! wrote, with sha256 hashes, so a supervisor can re-run and compare.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;
use tempfile::NamedTempFile;

use super::Staged;
use crate::contract::load::InputFile;
use crate::contract::quality::RowCounts;
use crate::rules::{ParamValue, RuleSet};

pub const FILE: &str = "manifest.json";

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub verktoy: &'static str,
    pub versjon: &'static str,
    pub skanningsdato: String,
    pub sprak: crate::contract::Lang,
    /// `som_i_inndata` (ids as in the export) or `pseudonym_hmac_sha256` (`--pseudonymize`).
    pub person_id: &'static str,
    pub startet: String,
    pub ferdig: String,
    pub regelsett: RuleSetEntry,
    pub inndata: Vec<InputFile>,
    pub tabeller: BTreeMap<String, TableEntry>,
    pub utdata: Vec<OutputEntry>,
    pub oppsummering: Summary,
}

#[derive(Debug, Serialize)]
pub struct RuleSetEntry {
    pub opprinnelse: String,
    pub sha256: String,
    pub regler: Vec<RuleEntry>,
}

#[derive(Debug, Serialize)]
pub struct RuleEntry {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub fil: String,
    pub sha256: String,
    pub parametre: BTreeMap<String, ParamValue>,
}

#[derive(Debug, Serialize)]
pub struct TableEntry {
    pub finnes: bool,
    #[serde(flatten)]
    pub rader: RowCounts,
}

#[derive(Debug, Serialize)]
pub struct OutputEntry {
    pub fil: String,
    pub sha256: String,
    pub rader: u64,
}

#[derive(Debug, Serialize, Default)]
pub struct Summary {
    pub personer: u64,
    pub per_status: BTreeMap<String, u64>,
    pub per_regel: BTreeMap<String, u64>,
    pub uavklarte_regler: Vec<String>,
    pub datakvalitet_feil: u64,
    pub datakvalitet_advarsler: u64,
    pub kandidater_skjermet_kode6: u64,
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
                kind: r.kind.as_str(),
                fil: r.source.path.clone(),
                sha256: r.source.sha256.clone(),
                parametre: r.params_at(as_of),
            })
            .collect(),
    }
}

/// Every staged output with its sha256 and rows, in staging order (each manifest's `utdata`).
pub fn output_entries(staged: &[Staged]) -> anyhow::Result<Vec<OutputEntry>> {
    staged
        .iter()
        .map(|s| {
            Ok(OutputEntry {
                fil: s.name.clone(),
                sha256: s.sha256()?,
                rader: s.rows,
            })
        })
        .collect()
}

pub fn write(mut tmp: NamedTempFile, m: &Manifest) -> anyhow::Result<Staged> {
    serde_json::to_writer_pretty(&mut tmp, m)?;
    tmp.write_all(b"\n")?;
    tmp.as_file().sync_all()?;
    Ok(Staged::new(FILE.into(), tmp, 0))
}
