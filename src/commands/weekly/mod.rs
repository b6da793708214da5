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

use crate::commands::args::{EngineArgs, EvalArgs, key, parse_bounded};
use crate::contract::Lang;
use crate::engine::EngineOptions;
use crate::output::OutputDir;
use crate::output::scan_files::{ScanArgs, scan_into};
use clap::Args;
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
    pub scan: crate::output::scan_files::ScanOutcome,
}

/// The previous run this one is compared with, read back from the state folder on a blocking
/// thread while this run's data is loaded and evaluated (the list needs it only once verdicts
/// arrive).
struct PreviousRun(std::sync::mpsc::Receiver<anyhow::Result<Option<Previous>>>);

impl PreviousRun {
    fn start(state: &State, plan: &state::Plan) -> PreviousRun {
        let run = plan
            .previous
            .as_ref()
            .map(|p| (state.run_dir(&p.run_id), p.date()));
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let read = run
                .map(|(dir, date)| {
                    Previous::load(&dir, date).with_context(|| {
                        crate::tr!(
                            "kan ikke lese den forrige kjøringen {}",
                            "cannot read the previous run {}",
                            dir.display()
                        )
                    })
                })
                .transpose();
            tracing::debug!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "previous run read"
            );
            // the receiver is gone only when the run already failed
            let _ = tx.send(read);
        });
        PreviousRun(rx)
    }

    /// The previous run (none on a first run), once read.
    fn wait(&self) -> anyhow::Result<Option<Previous>> {
        self.0.recv().map_err(|_| {
            anyhow::anyhow!(crate::tr!(
                "lesingen av den forrige kjøringen stoppet uten svar",
                "reading the previous run stopped without an answer"
            ))
        })?
    }
}

/// This week's list, built as verdicts stream past once the previous run is read, on a
/// thread of its own: the verdicts come to the scan's writers on one thread, which was the
/// verdict phase's slowest with the list's work on it too (looking up last week's rows,
/// comparing them), while the other core waited.
struct Lists {
    previous: Option<PreviousRun>,
    as_of: NaiveDate,
    builder: Option<ListThread>,
}

/// The thread that builds the list, with the verdicts not yet sent to it.
struct ListThread {
    stage: crate::engine::Stage<Vec<crate::engine::Verdict>, Vec<compare::ListEntry>>,
    batch: Vec<crate::engine::Verdict>,
}

/// How many verdicts go to the list's thread together.
const LIST_BATCH: usize = 512;

impl Lists {
    /// Takes a verdict (the thread is started at the first, with the rules' reasons).
    fn verdict(
        &mut self,
        v: crate::engine::Verdict,
        rules: &crate::rules::RuleSet,
    ) -> anyhow::Result<()> {
        let t = match &mut self.builder {
            Some(t) => t,
            None => {
                let previous = self.previous.take().context("the list is already built")?;
                let (as_of, reasons) = (self.as_of, compare::ExitReasons::new(rules));
                let stage = crate::engine::Stage::start("list", 4, move |batches| {
                    let mut b = ListBuilder::new(previous.wait()?, as_of);
                    for batch in batches {
                        for v in batch {
                            b.verdict(v, &reasons)?;
                        }
                    }
                    b.finish()
                });
                self.builder.insert(ListThread {
                    stage,
                    batch: Vec::with_capacity(LIST_BATCH),
                })
            }
        };
        t.batch.push(v);
        if t.batch.len() >= LIST_BATCH {
            let batch = std::mem::replace(&mut t.batch, Vec::with_capacity(LIST_BATCH));
            if !t.stage.send(batch) {
                // the thread stopped on an error: it is the run's
                let t = self.builder.take().context("the list's thread is gone")?;
                return Err(t.stage.finish().err().unwrap_or_else(|| {
                    anyhow::anyhow!("the list's thread stopped before the last verdict")
                }));
            }
        }
        Ok(())
    }

    /// The entries, once every verdict is in.
    fn finish(mut self) -> anyhow::Result<Vec<compare::ListEntry>> {
        match self.builder.take() {
            Some(t) => {
                // a send fails only when the thread stopped on an error, which `finish` gives
                t.stage.send(t.batch);
                t.stage.finish()
            }
            None => {
                let previous = self.previous.take().context("the list is already built")?;
                ListBuilder::new(previous.wait()?, self.as_of).finish()
            }
        }
    }
}

pub async fn run(args: WeeklyArgs) -> anyhow::Result<WeeklyOutcome> {
    let as_of = args.scan.as_of;
    let mut state = State::open(&args.state)?;
    let key_check = args.scan.pseudonymize.as_ref().map(|p| p.key_check());
    state.check_key(key_check.as_deref())?;
    state.clean_leftovers()?;
    let plan = state.plan(as_of, args.replace_history)?;
    let lists = Lists {
        previous: Some(PreviousRun::start(&state, &plan)),
        as_of,
        builder: None,
    };
    info!(
        run = %plan.run_id,
        previous = plan.previous.as_ref().map(|p| p.run_id.as_str()).unwrap_or("-"),
        replaces = plan.replaces.len(),
        "weekly run planned"
    );

    let staging = state.staging(&plan.run_id)?;
    let outcome = record_run(&args, &mut state, plan, &staging, lists, key_check).await;
    if outcome.is_err() {
        // a run that fails leaves no folder behind (one that is killed is removed by the next)
        let _ = std::fs::remove_dir_all(&staging);
    }
    outcome
}

/// The run written into its staging folder, then recorded in the state.
async fn record_run(
    args: &WeeklyArgs,
    state: &mut State,
    plan: state::Plan,
    staging: &std::path::Path,
    mut lists: Lists,
    key_check: Option<String>,
) -> anyhow::Result<WeeklyOutcome> {
    let as_of = args.scan.as_of;
    let out = OutputDir::create(staging)?;
    let parts = scan_into(&args.scan, &out, |v, rules| lists.verdict(v, rules)).await?;
    let entries = lists.finish()?;
    let lists_started = std::time::Instant::now();
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
    tracing::debug!(
        lists = written.lists,
        elapsed_ms = lists_started.elapsed().as_millis() as u64,
        "lists written"
    );
    failpoint("under_skriving");
    let (scan_outcome, entry) = commit_files(
        parts,
        (&out, written.staged),
        (&plan, as_of, &written.counts),
    )?;
    failpoint("filer_skrevet");

    let state_started = std::time::Instant::now();
    let pruned = state.commit(&plan, entry, key_check, args.keep)?;
    tracing::debug!(
        elapsed_ms = state_started.elapsed().as_millis() as u64,
        "state switched, old runs removed"
    );
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

/// The scan's and the lists' files hashed into the manifest and renamed into place; and the
/// run's entry for the state index.
fn commit_files(
    parts: crate::output::scan_files::ScanParts,
    (out, lists): (&OutputDir, Vec<crate::output::Staged>),
    (plan, as_of, counts): (&state::Plan, NaiveDate, &ListCounts),
) -> anyhow::Result<(crate::output::scan_files::ScanOutcome, RunEntry)> {
    let m = parts.manifest();
    let manifest_status = m.oppsummering.as_ref().map(|s| s.per_status.clone());
    let rules_hash = m.regelsett.as_ref().map(|r| r.sha256.clone());
    let finish_started = std::time::Instant::now();
    let (scan_outcome, staged) = parts.finish(out, lists)?;
    out.commit(staged)?;
    tracing::debug!(
        elapsed_ms = finish_started.elapsed().as_millis() as u64,
        "files hashed, manifest written, renamed into place"
    );
    let entry = RunEntry {
        run_id: plan.run_id.clone(),
        skanningsdato: as_of.format("%Y-%m-%d").to_string(),
        opprettet: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        personer: scan_outcome.summary.personer,
        per_status: manifest_status.unwrap_or_default(),
        regelsett_sha256: rules_hash.unwrap_or_default(),
        liste: counts.clone(),
    };
    Ok((scan_outcome, entry))
}

/// The summary printed on stderr after a weekly run.
pub fn summary_text(o: &WeeklyOutcome, lang: Lang) -> String {
    use crate::i18n::{Msg, push};
    let mut t = crate::output::scan_files::summary_text(&o.scan, o.as_of, lang);
    let c = &o.counts;
    let dir = o.run_dir.display();
    push(&mut t, lang, Msg::WeeklyRun, &[&o.run_id, &dir]);
    match &o.previous {
        Some(p) => push(&mut t, lang, Msg::ComparedWith, &[p]),
        None => push(&mut t, lang, Msg::FirstRun, &[]),
    }
    if !o.replaced.is_empty() {
        push(&mut t, lang, Msg::Replaced, &[&o.replaced.join(", ")]);
    }
    if !o.pruned.is_empty() {
        let ids: Vec<&str> = o.pruned.iter().map(|p| p.run_id.as_str()).collect();
        push(&mut t, lang, Msg::Pruned, &[&ids.join(", ")]);
    }
    let counts: [&dyn std::fmt::Display; 4] =
        [&c.kandidater, &c.nye, &c.fortsetter, &c.ute_av_listen];
    push(&mut t, lang, Msg::WeeklyCounts, &counts);
    for (reason, n) in &o.left_by_reason {
        push(&mut t, lang, Msg::Left, &[&format!("{reason:<26}{n:>8}")]);
    }
    push(&mut t, lang, Msg::Lists, &[&o.lists, &c.uten_veileder]);
    let protected: [&dyn std::fmt::Display; 2] = [&c.skjermet_kode6, &c.fortrolig_kode7];
    push(&mut t, lang, Msg::WeeklyProtected, &protected);
    t
}

/// `history`: one line per recorded run.
pub fn history_text(dir: &std::path::Path, lang: Lang) -> anyhow::Result<String> {
    use crate::i18n::{Msg, push};
    use std::fmt::Write as _;
    let index = state::read_index(dir)?.with_context(|| {
        let dir = dir.display();
        Msg::HistoryEmpty.fill(lang, &[&dir, &state::INDEX])
    })?;
    let mut t = String::new();
    let h: Vec<&str> = Msg::HistoryHead.text(lang).split('|').collect();
    let _ = writeln!(
        t,
        "{:<10}  {:<16}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>6}  {:>6}  {:<12}",
        h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10]
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
        push(&mut t, lang, Msg::HistoryRemovedHead, &[]);
        for p in &index.fjernet {
            let run = format!("{:<10}  {:<16}", p.skanningsdato, p.run_id);
            push(&mut t, lang, Msg::HistoryRemoved, &[&run, &p.fjernet_ved]);
        }
    }
    if index.pseudonym_kontroll.is_some() {
        push(&mut t, lang, Msg::HistoryPseudonymised, &[]);
    }
    Ok(t)
}

#[derive(Debug, Args)]
pub struct WeeklyCmd {
    #[command(flatten)]
    pub eval: EvalArgs,
    /// State folder with the recorded runs (created if missing); each run is written to
    /// STATE/<run-id>/ with its lists under lister/<nav_kontor>/<veileder>.csv and .html.
    #[arg(long)]
    pub state: PathBuf,
    /// Allow a scan date earlier than the newest recorded run: the runs from that date on are
    /// dropped from the history and this run is recorded instead.
    #[arg(long)]
    pub replace_history: bool,
    /// Keep at most N runs (the newest, this one included); older runs, which hold personal
    /// data, are removed when this run is recorded and `history` lists them.
    #[arg(long, value_name = "N", default_value_t = state::DEFAULT_KEEP,
          value_parser = |s: &str| parse_bounded(s, 1, 10_000))]
    pub keep: usize,
    /// Replace person ids in every output by HMAC-SHA-256 with the secret key in this file.
    #[arg(long, value_name = "KEYFILE")]
    pub pseudonymize: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct HistoryCmd {
    /// State folder written by `weekly`.
    #[arg(long)]
    pub state: PathBuf,
    /// Print the index as JSON.
    #[arg(long)]
    pub json: bool,
    /// Language of the table's headings and notes.
    #[arg(long, value_enum, default_value_t = Lang::Nb)]
    pub lang: Lang,
}

/// `kvp-scan weekly`: records this week's run and prints the summary.
pub async fn main(cmd: WeeklyCmd, quiet: bool) -> anyhow::Result<()> {
    let as_of = cmd.eval.scan_date()?;
    let args = WeeklyArgs {
        scan: ScanArgs {
            data: cmd.eval.data,
            out: cmd.state.clone(),
            as_of,
            rules: cmd.eval.rules,
            lang: cmd.eval.lang,
            // the printed worklist shows the rule files' short forms
            engine: EngineOptions {
                short_forms: true,
                ..cmd.engine.options()
            },
            pseudonymize: key(cmd.pseudonymize.as_deref())?,
        },
        state: cmd.state,
        replace_history: cmd.replace_history,
        keep: cmd.keep,
    };
    let lang = args.scan.lang;
    let outcome = run(args).await?;
    if !quiet {
        eprint!("{}", summary_text(&outcome, lang));
    }
    Ok(())
}

/// `kvp-scan history`: the recorded runs, as a table or JSON.
pub fn history_main(cmd: HistoryCmd) -> anyhow::Result<()> {
    if cmd.json {
        let index = state::read_index(&cmd.state)?.ok_or_else(|| {
            let dir = cmd.state.display();
            let index = state::INDEX;
            let msg = crate::i18n::Msg::HistoryEmpty;
            anyhow::anyhow!(
                "{}",
                msg.fill(cmd.lang, &[&dir, &index as &dyn std::fmt::Display])
            )
        })?;
        println!("{}", serde_json::to_string_pretty(&index)?);
    } else {
        print!("{}", history_text(&cmd.state, cmd.lang)?);
    }
    Ok(())
}
