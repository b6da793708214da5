//! The `weekly` workflow: a scan recorded in a state folder and compared with the previous
//! week's run, so every caseworker gets a list of who is new, who continues (and for how long),
//! what changed, and who left the list and why.

pub mod compare;
pub mod lists;
pub mod state;

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use tracing::info;

use crate::report::OutputDir;
use crate::scan::{ScanArgs, scan_into};
use compare::{ListBuilder, Previous};
use state::{ListCounts, RunEntry, State, failpoint};

#[derive(Debug, Clone)]
pub struct WeeklyArgs {
    /// `out` is ignored: the run is written into the state folder.
    pub scan: ScanArgs,
    pub state: PathBuf,
    pub replace_history: bool,
    /// At most this many runs are kept (see [`state::DEFAULT_KEEP`]).
    pub keep: usize,
}

/// What a finished weekly run reports.
pub struct WeeklyOutcome {
    pub run_id: String,
    pub run_dir: PathBuf,
    pub as_of: NaiveDate,
    pub previous: Option<String>,
    pub replaced: Vec<String>,
    /// Runs removed by `--keep`.
    pub pruned: Vec<state::PrunedRun>,
    pub counts: ListCounts,
    pub left_by_reason: std::collections::BTreeMap<String, u64>,
    pub lists: usize,
    pub scan: crate::scan::ScanOutcome,
}

pub async fn run(args: WeeklyArgs) -> anyhow::Result<WeeklyOutcome> {
    let as_of = args.scan.as_of;
    let mut state = State::open(&args.state)?;
    let key_check = args.scan.pseudonymize.as_ref().map(|p| p.key_check());
    state.check_key(key_check.as_deref())?;
    state.clean_leftovers()?;
    let plan = state.plan(as_of, args.replace_history)?;
    let previous = match &plan.previous {
        Some(p) => {
            let dir = state.run_dir(&p.run_id);
            Some(
                Previous::load(&dir, p.date())
                    .with_context(|| format!("cannot read the previous run {}", dir.display()))?,
            )
        }
        None => None,
    };
    info!(
        run = %plan.run_id,
        previous = plan.previous.as_ref().map(|p| p.run_id.as_str()).unwrap_or("-"),
        replaces = plan.replaces.len(),
        "weekly run planned"
    );

    let staging = state.staging(&plan.run_id)?;
    let out = OutputDir::create(&staging)?;
    let mut builder = ListBuilder::new(previous.as_ref(), as_of);
    let parts = scan_into(&args.scan, &out, |v| {
        builder.verdict(v);
        Ok(())
    })
    .await?;
    let entries = builder.finish();
    let written = lists::write_all(
        &out,
        &entries,
        &lists::Context {
            rules: &parts.rules,
            lang: args.scan.lang,
            as_of,
            run_id: &plan.run_id,
            previous: plan.previous.as_ref().map(|p| p.skanningsdato.clone()),
        },
    )?;
    failpoint("under_skriving");
    let manifest_status = parts.manifest().oppsummering.per_status.clone();
    let rules_hash = parts.manifest().regelsett.sha256.clone();
    let (scan_outcome, staged) = parts.finish(&out, written.staged)?;
    out.commit(staged)?;
    failpoint("filer_skrevet");

    let entry = RunEntry {
        run_id: plan.run_id.clone(),
        skanningsdato: as_of.format("%Y-%m-%d").to_string(),
        opprettet: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        personer: scan_outcome.summary.personer,
        per_status: manifest_status,
        regelsett_sha256: rules_hash,
        liste: written.counts.clone(),
    };
    let pruned = state.commit(&plan, entry, key_check, args.keep)?;
    Ok(WeeklyOutcome {
        run_dir: state.run_dir(&plan.run_id),
        run_id: plan.run_id,
        as_of,
        previous: plan.previous.map(|p| p.run_id),
        replaced: plan.replaces.into_iter().map(|r| r.run_id).collect(),
        pruned,
        counts: written.counts,
        left_by_reason: written.left_by_reason,
        lists: written.lists,
        scan: scan_outcome,
    })
}

/// The summary printed on stderr after a weekly run.
pub fn summary_text(o: &WeeklyOutcome) -> String {
    use std::fmt::Write as _;
    let mut t = crate::scan::summary_text(&o.scan, o.as_of);
    let c = &o.counts;
    let _ = writeln!(t, "  weekly run {} in {}", o.run_id, o.run_dir.display());
    match &o.previous {
        Some(p) => {
            let _ = writeln!(t, "  compared with run {p}");
        }
        None => {
            let _ = writeln!(
                t,
                "  first recorded run: every candidate is new on the list"
            );
        }
    }
    if !o.replaced.is_empty() {
        let _ = writeln!(t, "  replaced run(s): {}", o.replaced.join(", "));
    }
    if !o.pruned.is_empty() {
        let ids: Vec<&str> = o.pruned.iter().map(|p| p.run_id.as_str()).collect();
        let _ = writeln!(t, "  removed old run(s) (--keep): {}", ids.join(", "));
    }
    let _ = writeln!(
        t,
        "  candidates: {} ({} new, {} continuing); {} left the list",
        c.kandidater, c.nye, c.fortsetter, c.ute_av_listen
    );
    for (reason, n) in &o.left_by_reason {
        let _ = writeln!(t, "    left, {reason:<26}{n:>8}");
    }
    let _ = writeln!(
        t,
        "  {} caseworker lists (csv + html); {} candidates without a caseworker on \"uten veileder\" lists",
        o.lists, c.uten_veileder
    );
    let _ = writeln!(
        t,
        "  strengt fortrolig (kode 6): {} on skjermet.csv only; fortrolig (kode 7): {} listed without address fields",
        c.skjermet_kode6, c.fortrolig_kode7
    );
    t
}

/// `history`: one line per recorded run.
pub fn history_text(dir: &std::path::Path) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let index = state::read_index(dir)?.with_context(|| {
        format!(
            "{} has no recorded runs ({} missing)",
            dir.display(),
            state::INDEX
        )
    })?;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<10}  {:<16}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>6}  {:>6}  {:<12}",
        "date",
        "run id",
        "persons",
        "kandidat",
        "ekskl.",
        "deltaker",
        "under_b.",
        "ikke_tr.",
        "new",
        "left",
        "rules sha256"
    );
    for r in &index.kjoringer {
        let s = |k: &str| r.per_status.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            t,
            "{:<10}  {:<16}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>6}  {:>6}  {:<12}",
            r.skanningsdato,
            r.run_id,
            r.personer,
            s("kandidat"),
            s("ekskludert"),
            s("deltaker"),
            s("under_behandling"),
            s("ikke_treff"),
            r.liste.nye,
            r.liste.ute_av_listen,
            r.regelsett_sha256.chars().take(12).collect::<String>()
        );
    }
    if !index.fjernet.is_empty() {
        let _ = writeln!(
            t,
            "removed by --keep (personal data is not kept longer than needed):"
        );
        for p in &index.fjernet {
            let _ = writeln!(
                t,
                "  {:<10}  {:<16}  removed by the run of {}",
                p.skanningsdato, p.run_id, p.fjernet_ved
            );
        }
    }
    if index.pseudonym_kontroll.is_some() {
        let _ = writeln!(t, "person ids in this state are pseudonymised");
    }
    Ok(t)
}
