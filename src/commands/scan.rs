//! `scan`: rules and data in, verdicts for every person out, all-or-nothing.

use crate::output::OutputDir;
use crate::output::scan_files::scan_into;
pub use crate::output::scan_files::{ScanArgs, ScanOutcome, summary_text};

/// Scans `args.data` into `args.out`: every file is written, or none.
pub async fn run(args: ScanArgs) -> anyhow::Result<ScanOutcome> {
    let out = OutputDir::create(&args.out)?;
    let parts = scan_into(&args, &out, |_, _| Ok(())).await?;
    let (outcome, staged) = parts.finish(&out, Vec::new())?;
    out.commit(staged)?;
    Ok(outcome)
}
