//! `scan`: rules and data in, verdicts for every person out, all-or-nothing.

use crate::commands::args::{EngineArgs, EvalArgs, key};
use crate::output::OutputDir;
use crate::output::scan_files::scan_into;
pub use crate::output::scan_files::{ScanArgs, ScanOutcome, summary_text};
use clap::Args;
use std::path::PathBuf;

/// Scans `args.data` into `args.out`: every file is written, or none.
pub async fn run(args: ScanArgs) -> anyhow::Result<ScanOutcome> {
    let out = OutputDir::create(&args.out)?;
    let mut done = crate::engine::Graveyard::default();
    let parts = scan_into(&args, &out, |v, _| {
        done.bury(v);
        Ok(())
    })
    .await?;
    let (outcome, staged) = parts.finish(&out, Vec::new())?;
    out.commit(staged)?;
    Ok(outcome)
}

#[derive(Debug, Args)]
pub struct ScanCmd {
    #[command(flatten)]
    pub eval: EvalArgs,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace person ids in every output by HMAC-SHA-256 with the secret key in this file.
    #[arg(long, value_name = "KEYFILE")]
    pub pseudonymize: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `kvp-scan scan`: runs the scan and prints its summary.
pub async fn main(cmd: ScanCmd, quiet: bool) -> anyhow::Result<()> {
    let as_of = cmd.eval.scan_date()?;
    let args = ScanArgs {
        data: cmd.eval.data,
        out: cmd.out,
        as_of,
        rules: cmd.eval.rules,
        lang: cmd.eval.lang,
        engine: cmd.engine.options(),
        pseudonymize: key(cmd.pseudonymize.as_deref())?,
    };
    let lang = args.lang;
    let outcome = run(args).await?;
    if !quiet {
        eprint!("{}", summary_text(&outcome, as_of, lang));
    }
    Ok(())
}
