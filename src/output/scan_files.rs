//! The files of a scan (`vurderinger.parquet`, `skjermet.parquet`, `kandidater.csv`,
//! `naer_treff.csv`, `datakvalitet.csv`, `manifest.json`) written from one evaluation, staged so
//! a workflow (`weekly`) can add its own files before they are renamed into place; and the
//! scan's summary on stderr.

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;

use super::manifest::{self, Provenance, Summary, TableEntry};
use super::{OutputDir, ReportWriter, Staged, csv_out, parquet_out};
use crate::contract::Lang;
use crate::engine::session::{Session, plan_releasing};
use crate::engine::{EngineOptions, EvalStats, Verdict};
use crate::rules::{RuleSet, Status};

#[derive(Debug, Clone)]
pub struct ScanArgs {
    pub data: PathBuf,
    pub out: PathBuf,
    pub as_of: NaiveDate,
    pub rules: Option<PathBuf>,
    pub lang: Lang,
    pub engine: EngineOptions,
    /// Replace person ids by keyed hashes in every output.
    pub pseudonymize: Option<crate::output::pseudonym::Pseudonymizer>,
}

/// What a finished scan reports on stderr.
pub struct ScanOutcome {
    pub stats: EvalStats,
    pub summary: Summary,
    pub rules: usize,
    pub elapsed: std::time::Duration,
}

/// A scan whose files are staged in an output folder but not yet renamed into place, so a
/// workflow can add its own files (and the manifest lists them all).
pub struct ScanParts {
    pub rules: RuleSet,
    pub stats: EvalStats,
    staged: Vec<Staged>,
    manifest: Provenance,
    started: Instant,
}

/// Runs the scan: every verdict goes to the scan's own writers and then, to keep, to `extra`
/// (with the rule set it was made with). With
/// `args.pseudonymize`, person ids are replaced before any writer sees them.
pub async fn scan_into(
    args: &ScanArgs,
    out: &OutputDir,
    mut extra: impl FnMut(Verdict, &RuleSet) -> anyhow::Result<()> + Send,
) -> anyhow::Result<ScanParts> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let mut session =
        Session::open_for_scan(&args.data, args.rules.as_deref(), args.as_of, &args.engine).await?;
    // one engine for the whole scan, used once: the payments can go once the rules are
    // planned, every table's rows once the evaluation has queried them (the engine holds them
    // from here on)
    let engine = session.engine().await?.releasing_rows();
    let planned = plan_releasing(&engine, &session.rules, &mut session.data).await?;
    session.data.drop_rows();
    let (rules, data) = (&session.rules, &session.data);

    let mut vurderinger =
        parquet_out::VurderingerWriter::new(out.temp(parquet_out::FILE)?, args.as_of)?;
    let mut skjermede = parquet_out::VurderingerWriter::named(
        parquet_out::SKJERMET,
        out.temp(parquet_out::SKJERMET)?,
        args.as_of,
    )?;
    let titles: std::collections::HashMap<String, String> = rules
        .rules
        .iter()
        .map(|r| (r.id.clone(), r.title(args.lang).to_string()))
        .collect();
    let mut kandidater =
        csv_out::KandidaterWriter::new(out.temp(csv_out::KANDIDATER)?, args.lang, titles.clone());
    let candidate_rules = rules.ids(crate::rules::Kind::Kandidat);
    let mut naer_treff = csv_out::NaerTreffWriter::new(
        out.temp(csv_out::NAER_TREFF)?,
        candidate_rules,
        args.lang,
        titles,
    );
    let pseudo = args.pseudonymize.as_ref();
    let stats = engine
        .evaluate(rules, &planned, args.lang, None, |mut v| {
            if let Some(p) = pseudo {
                v.facts.person_id = p.person(&v.facts.person_id).into();
            }
            // kode 6 only in `skjermet*` files (the CSV writers leave them out themselves)
            if v.facts.skjermet() {
                skjermede.verdict(&v)?;
            } else {
                vurderinger.verdict(&v)?;
            }
            naer_treff.verdict(&v)?;
            kandidater.verdict(&v)?;
            extra(v, rules)
        })
        .await?;
    drop(planned);
    let skjermet = kandidater.skjermet;
    let writers: Vec<Box<dyn ReportWriter + Send>> = vec![
        Box::new(vurderinger),
        Box::new(skjermede),
        Box::new(kandidater),
        Box::new(naer_treff),
    ];
    let staged = finish_files(writers, out, &data.findings, args.lang)?;

    let summary = Summary::of(&stats, rules, &data.findings, skjermet);
    let manifest = scan_provenance(args, (rules, data), started_at, summary);
    let rules = session.rules;
    Ok(ScanParts {
        rules,
        stats,
        staged,
        manifest,
        started,
    })
}

/// The writers' files completed on every core (sorting, the last row group, flushing), and
/// `datakvalitet.csv` beside them; staged in this order.
fn finish_files(
    writers: Vec<Box<dyn ReportWriter + Send>>,
    out: &OutputDir,
    findings: &[crate::contract::quality::Finding],
    lang: Lang,
) -> anyhow::Result<Vec<Staged>> {
    let finishing = Instant::now();
    let (staged, datakvalitet) = rayon::join(
        || {
            use rayon::prelude::*;
            writers
                .into_par_iter()
                .map(|w| w.finish())
                .collect::<anyhow::Result<Vec<Staged>>>()
        },
        || {
            let tmp = out.temp(csv_out::DATAKVALITET)?;
            csv_out::write_datakvalitet(tmp, findings, lang)
        },
    );
    let mut staged = staged?;
    staged.push(datakvalitet?);
    tracing::debug!(
        elapsed_ms = finishing.elapsed().as_millis() as u64,
        "scan files finished"
    );
    Ok(staged)
}

impl ScanParts {
    pub fn manifest(&self) -> &Provenance {
        &self.manifest
    }

    /// Adds `extra` to the scan's files, writes the manifest listing them all (with hashes) and
    /// returns every staged file, ready for [`OutputDir::commit`].
    pub fn finish(
        mut self,
        out: &OutputDir,
        extra: Vec<Staged>,
    ) -> anyhow::Result<(ScanOutcome, Vec<Staged>)> {
        self.staged.extend(extra);
        self.manifest.utdata = manifest::output_entries(&self.staged)?;
        self.manifest.ferdig =
            Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        self.staged
            .push(manifest::write(out.temp(manifest::FILE)?, &self.manifest)?);
        Ok((
            ScanOutcome {
                stats: self.stats,
                summary: self.manifest.oppsummering.unwrap_or_default(),
                rules: self.rules.rules.len(),
                elapsed: self.started.elapsed(),
            },
            self.staged,
        ))
    }
}

/// The short summary printed on stderr after a scan.
pub fn summary_text(o: &ScanOutcome, as_of: NaiveDate, lang: Lang) -> String {
    use crate::i18n::{Msg, push};
    let s = &o.summary;
    let mut t = String::new();
    push(&mut t, lang, Msg::Scanned, &[&s.personer, &as_of, &o.rules]);
    push(&mut t, lang, Msg::StatusHead, &[]);
    for status in Status::ALL {
        let v = s.per_status.get(status.as_str()).copied().unwrap_or(0);
        t.push_str(&format!("    {:<18}{v:>8}\n", status.as_str()));
    }
    push(&mut t, lang, Msg::RulesFired, &[]);
    for (k, v) in &s.per_regel {
        t.push_str(&format!("    {k:<28}{v:>8}\n"));
    }
    if !s.uavklarte_regler.is_empty() {
        let rules = s.uavklarte_regler.join(", ");
        push(&mut t, lang, Msg::NotAssessed, &[&rules]);
    }
    if s.kandidater_skjermet_kode6 > 0 {
        push(
            &mut t,
            lang,
            Msg::Kode6Left,
            &[&s.kandidater_skjermet_kode6],
        );
    }
    let (feil, advarsler) = (s.datakvalitet_feil, s.datakvalitet_advarsler);
    push(&mut t, lang, Msg::DataQuality, &[&feil, &advarsler]);
    let took = crate::output::numbers::seconds(o.elapsed, lang);
    push(&mut t, lang, Msg::Elapsed, &[&took]);
    t
}

/// The scan's manifest (its outputs are added when they are all staged).
fn scan_provenance(
    args: &ScanArgs,
    (rules, data): (&RuleSet, &crate::contract::load::Dataset),
    started_at: chrono::DateTime<chrono::Utc>,
    summary: Summary,
) -> Provenance {
    let pseudo = args.pseudonymize.as_ref();
    Provenance {
        skanningsdato: Some(args.as_of.format("%Y-%m-%d").to_string()),
        person_id: Some(manifest::person_ids(pseudo.is_some()).to_string()),
        startet: Some(started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        ferdig: Some(String::new()),
        regelsett: Some(manifest::rule_entries(rules, args.as_of)),
        inndata: data.inputs.clone(),
        tabeller: Some(
            data.tables
                .iter()
                .map(|(k, t)| {
                    (
                        k.to_string(),
                        TableEntry {
                            finnes: t.present,
                            rader: t.counts.clone(),
                        },
                    )
                })
                .collect(),
        ),
        oppsummering: Some(summary),
        ..Provenance::new("kvp-scan", args.lang)
    }
}
