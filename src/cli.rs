//! The command line: the clap definition of the commands (each command's arguments live in its
//! module under `commands`), logging set-up, the dispatch, and the edge where errors are printed
//! in the command's language with their cause chain and turned into exit code 2.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::commands::{
    audit, compare, explain, generate, import_kostra, report, rules, scan, weekly,
};
use crate::contract::Lang;
use crate::rules::diagnostic::RuleErrors;

#[derive(Debug, Parser)]
#[command(
    name = "kvp-scan",
    version,
    about = "Finds people likely entitled to the qualification programme (KVP) in economic-assistance exports, and explains every hit."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log output on stderr (-v info, -vv debug). Logs never carry person ids above debug.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Print no summary, only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a data directory and write verdicts, candidates, data-quality findings and a manifest.
    Scan(scan::ScanCmd),
    /// Explain why one person is or is not a candidate: every rule, the facts and source rows.
    Explain(explain::ExplainCmd),
    /// Weekly candidate lists: scan, record the run in a state folder, and compare with last week.
    Weekly(weekly::WeeklyCmd),
    /// List the runs recorded in a weekly state folder.
    History(weekly::HistoryCmd),
    /// The supervisors' offer audit: evaluate every Monday of a period and judge whether each
    /// flagged person was offered KVP in time; `audit verify` re-checks a finished audit.
    Audit(audit::AuditCmd),
    /// The office leaders' availability report: participants, pending, candidates and exclusions
    /// per office and kommune, by age, gender, rule and regi, outcomes, and a 12-month trend.
    Report(report::ReportCmd),
    /// What a rule change does before it is made: the same data under two rule sets, with the
    /// persons whose status, rules or explanation differ, per office and on a page.
    Compare(compare::CompareCmd),
    /// Generate a synthetic population (every contract table) at any scale.
    Generate(generate::GenerateCmd),
    /// Import data from other formats into the data contract.
    Import {
        #[command(subcommand)]
        command: import_kostra::ImportCmd,
    },
    /// Check or test rule files.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCmd,
    },
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter =
        EnvFilter::try_from_env("KVP_SCAN_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

impl Command {
    /// The language the command was asked to speak (`--lang`), Norwegian where it has none.
    fn lang(&self) -> Lang {
        match self {
            Command::Scan(s) => s.eval.lang,
            Command::Explain(x) => x.eval.lang,
            Command::Weekly(w) => w.eval.lang,
            Command::Report(r) => r.eval.lang,
            Command::History(h) => h.lang,
            Command::Audit(a) => a.lang,
            Command::Compare(c) => c.lang,
            Command::Generate(g) => g.lang,
            Command::Import {
                command: import_kostra::ImportCmd::Kostra { lang, .. },
            } => *lang,
            Command::Rules { command } => match command {
                rules::RulesCmd::List { lang, .. }
                | rules::RulesCmd::Check { lang, .. }
                | rules::RulesCmd::Test { lang, .. } => *lang,
            },
        }
    }
}

/// `--lang en` (or `--lang=en`) among the raw arguments: read before clap parses them, so the
/// messages of the value parsers are in the right language too.
fn lang_in_args() -> Lang {
    let args: Vec<String> = std::env::args().collect();
    let en = args.iter().any(|a| a == "--lang=en")
        || args.windows(2).any(|w| w[0] == "--lang" && w[1] == "en");
    if en { Lang::En } else { Lang::Nb }
}

/// Entry point: returns the process exit code (0 success, 2 any failure).
/// Runs the command line; returns the exit code (0 or 2).
pub fn main() -> u8 {
    match main_code() {
        c if c == ExitCode::SUCCESS => 0,
        _ => 2,
    }
}

fn main_code() -> ExitCode {
    crate::i18n::set_lang(lang_in_args());
    let lacking = cpu_lacks();
    if !lacking.is_empty() {
        use crate::i18n::Msg;
        let lang = crate::i18n::lang();
        let why = Msg::CpuLacks.fill(lang, &[&lacking.join(", ")]);
        eprintln!("{}", Msg::Error.fill(lang, &[&why]));
        eprintln!("{}", Msg::CpuHelp.text(lang));
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    crate::i18n::set_lang(cli.command.lang());
    init_logging(cli.verbose);
    let threads = match &cli.command {
        Command::Scan(s) => s.engine.options().target_partitions,
        Command::Weekly(w) => w.engine.options().target_partitions,
        Command::Report(r) => r.engine.options().target_partitions,
        Command::Compare(c) => c.engine.options().target_partitions,
        // `audit verify` re-runs the audit with the default options, as many partitions
        Command::Audit(a) => a.engine.options().target_partitions,
        _ => 1,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build();
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!(
                "{}",
                crate::tr!(
                    "feil: kan ikke starte kjøretidsmiljøet: {e}",
                    "error: cannot start the async runtime: {e}"
                )
            );
            return ExitCode::from(2);
        }
    };
    let lang = cli.command.lang();
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            print_error(&e, lang);
            ExitCode::from(2)
        }
    }
}

/// The instruction set extensions this binary was compiled to use (`dist/build.sh` with
/// `KVP_TARGET_CPU`) that the machine's processor does not have: such a binary would otherwise
/// die of an illegal instruction somewhere in a run. A portable build uses none of them, so
/// the list is empty everywhere.
fn cpu_lacks() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut lacking = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! needed {
            ($($f:tt),*) => {$(
                if cfg!(target_feature = $f) && !std::arch::is_x86_feature_detected!($f) {
                    lacking.push($f);
                }
            )*};
        }
        needed!(
            "sse3",
            "ssse3",
            "sse4.1",
            "sse4.2",
            "popcnt",
            "avx",
            "avx2",
            "bmi1",
            "bmi2",
            "fma",
            "lzcnt",
            "movbe",
            "f16c",
            "aes",
            "pclmulqdq",
            "avx512f",
            "avx512bw",
            "avx512cd",
            "avx512dq",
            "avx512vl"
        );
    }
    lacking
}

/// A bad command line: clap's message in the command's language (help and version are printed
/// as clap prints them), exit code 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) || crate::i18n::lang() == Lang::En
    {
        let _ = e.print();
        return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
    }
    let ctx = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let (arg, value) = (ctx(ContextKind::InvalidArg), ctx(ContextKind::InvalidValue));
    let message = match e.kind() {
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let why = std::error::Error::source(&e).map(|s| format!(": {s}"));
            let valid = ctx(ContextKind::ValidValue);
            let valid = (!valid.is_empty()).then(|| format!(" (gyldige verdier: {valid})"));
            format!(
                "ugyldig verdi «{value}» for {arg}{}{}",
                why.unwrap_or_default(),
                valid.unwrap_or_default()
            )
        }
        ErrorKind::MissingRequiredArgument => format!("disse påkrevde argumentene mangler: {arg}"),
        ErrorKind::UnknownArgument => format!("ukjent argument «{arg}»"),
        ErrorKind::InvalidSubcommand => format!("ukjent kommando «{arg}»"),
        ErrorKind::ArgumentConflict => {
            format!(
                "{arg} kan ikke brukes sammen med {}",
                ctx(ContextKind::PriorArg)
            )
        }
        ErrorKind::MissingSubcommand => "oppgi en kommando".to_string(),
        _ => e
            .kind()
            .as_str()
            .unwrap_or("ugyldig kommandolinje")
            .to_string(),
    };
    eprintln!("{}", crate::i18n::Msg::Error.fill(Lang::Nb, &[&message]));
    let usage = ctx(ContextKind::Usage);
    if !usage.is_empty() {
        eprintln!("\n{}", usage.replacen("Usage:", "Bruk:", 1));
    }
    eprintln!("\nMer informasjon: kvp-scan --help (hjelpeteksten er på engelsk)");
    ExitCode::from(2)
}

/// The error and its causes on stderr, framed in the command's language.
fn print_error(e: &anyhow::Error, lang: Lang) {
    if let Some(r) = e.downcast_ref::<RuleErrors>() {
        eprintln!("{r}");
        return;
    }
    use crate::i18n::Msg;
    eprintln!("{}", Msg::Error.fill(lang, &[e]));
    let mut last = String::new();
    for cause in e.chain().skip(1) {
        // DataFusion repeats a cause in its own wrapper: print each text once
        let text = cause.to_string();
        if !last.contains(&text) {
            eprintln!("{}", Msg::CausedBy.fill(lang, &[&text]));
        }
        last = text;
    }
    if e.chain().any(|c| {
        c.downcast_ref::<datafusion::error::DataFusionError>()
            .is_some_and(|d| {
                matches!(
                    d.find_root(),
                    datafusion::error::DataFusionError::ResourcesExhausted(_)
                )
            })
    }) {
        eprintln!("{}", Msg::MemoryHelp.text(lang));
    }
}

/// Runs the command; each command prints its own summary unless `quiet`.
async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Scan(c) => scan::main(c, quiet).await?,
        Command::Explain(c) => explain::main(c, quiet).await?,
        Command::Weekly(c) => weekly::main(c, quiet).await?,
        Command::History(c) => weekly::history_main(c)?,
        Command::Audit(c) => audit::main(c, quiet).await?,
        Command::Report(c) => report::main(c, quiet).await?,
        Command::Compare(c) => compare::main(c, quiet).await?,
        Command::Generate(c) => generate::main(c, quiet)?,
        Command::Import { command } => import_kostra::main(command, quiet)?,
        Command::Rules { command } => rules::main(command, quiet).await?,
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command and every flag of every command says what it is for in `--help`.
    #[test]
    fn every_help_line_describes_its_flag() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} --{id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                let p = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(p.clone());
                }
                walk(sub, &p, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "kvp-scan", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }
}
