//! The command line: argument parsing (clap derive), logging set-up, dispatch, and the edge
//! where errors are printed with their cause chain and turned into exit code 2.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::commands::rules_test::examples;
use crate::commands::scan::{self, ScanArgs};
use crate::contract::Lang;
use crate::engine::EngineOptions;
use crate::engine::check;
use crate::rules::RuleSet;
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
    Scan(ScanCmd),
    /// Explain why one person is or is not a candidate: every rule, the facts and source rows.
    Explain(ExplainCmd),
    /// Weekly candidate lists: scan, record the run in a state folder, and compare with last week.
    Weekly(WeeklyCmd),
    /// List the runs recorded in a weekly state folder.
    History(HistoryCmd),
    /// The supervisors' offer audit: evaluate every Monday of a period and judge whether each
    /// flagged person was offered KVP in time; `audit verify` re-checks a finished audit.
    Audit(AuditCmd),
    /// The office leaders' availability report: participants, pending, candidates and exclusions
    /// per office and kommune, by age, gender, rule and regi, outcomes, and a 12-month trend.
    Report(ReportCmd),
    /// What a rule change does before it is made: the same data under two rule sets, with the
    /// persons whose status, rules or explanation differ, per office and on a page.
    Compare(CompareCmd),
    /// Generate a synthetic population (every contract table) at any scale.
    Generate(GenerateCmd),
    /// Import data from other formats into the data contract.
    Import {
        #[command(subcommand)]
        command: ImportCmd,
    },
    /// Check or test rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCmd,
    },
}

/// What every evaluation needs: the data, the scan date, the rules and the language.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Data directory with one <table>.parquet or <table>/ folder per contract table.
    #[arg(long)]
    pub data: PathBuf,
    /// Scan date (YYYY-MM-DD); rows dated after it are ignored. Default: today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Folder of rule files to use instead of the embedded rule set.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Language of the explanations.
    #[arg(long, value_enum, default_value_t = Lang::Nb)]
    pub lang: Lang,
    /// Allow a scan date after today (the export cannot know what has not happened yet).
    #[arg(long)]
    pub allow_future: bool,
}

impl EvalArgs {
    /// The scan date: `--as-of` or today; a date after today is refused without
    /// `--allow-future`.
    fn scan_date(&self) -> anyhow::Result<NaiveDate> {
        let today = today();
        let d = self.as_of.unwrap_or(today);
        anyhow::ensure!(
            d <= today || self.allow_future,
            "{}",
            crate::tr!(
                "skanningsdatoen {d} er etter i dag ({today}): et uttrekk kan ikke inneholde det \
                 som ikke har skjedd ennå, og et feilskrevet årstall ville skanne en tom framtid; \
                 bruk --allow-future for å skanne per den datoen likevel",
                "the scan date {d} is after today ({today}): an export cannot hold what has not \
                 happened yet, and a mistyped year would scan an empty future; pass --allow-future \
                 to scan as of that date anyway"
            )
        );
        Ok(d)
    }
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
    #[arg(long, value_name = "N", default_value_t = crate::commands::weekly::state::DEFAULT_KEEP,
          value_parser = |s: &str| parse_bounded(s, 1, 10_000))]
    pub keep: usize,
    /// Replace person ids in every output by HMAC-SHA-256 with the secret key in this file.
    #[arg(long, value_name = "KEYFILE")]
    pub pseudonymize: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct ReportCmd {
    #[command(flatten)]
    pub eval: EvalArgs,
    /// Output folder for rapport.html, rapport.csv and rapport.json (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Month-ends in the trend, each with the figures a scan at that date gives.
    /// At most 120 (ten years).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub months: u32,
    /// Also write this NAV office's own page, kontor_<ID>.html and .csv: its figures beside
    /// its county and the nation. Repeat for several offices.
    #[arg(long, value_name = "ID")]
    pub kontor: Vec<String>,
    /// The --kontor pages show the office its own counts without hiding small ones. For the
    /// office's own management only: never share these pages.
    #[arg(long, requires = "kontor")]
    pub intern: bool,
    /// CSV naming the NAV offices (columns `nav_kontor` and `navn`, `;` or `,`): pages show
    /// `0312 NAV Sagene` instead of `0312`.
    #[arg(long, value_name = "FILE")]
    pub kontornavn: Option<PathBuf>,
    /// CSV naming the municipalities (columns `kommune_nr` and `navn`). Counties are named
    /// from the bundled 2024 list.
    #[arg(long, value_name = "FILE")]
    pub kommunenavn: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditCmd {
    #[command(subcommand)]
    pub verify: Option<AuditSub>,
    /// Data directory (the export as of --to or later; rows are replayed by date).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Last day of the period (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub to: Option<NaiveDate>,
    /// Output folder for revisjon.csv, revisjon_kontor.csv, revisjon.html and manifest.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Days from the first flag within which an offer counts as in time (0 to 3650).
    #[arg(long, default_value_t = 28, value_parser = clap::value_parser!(i64).range(0..=3650))]
    pub frist_dager: i64,
    /// Folder of rule files to use instead of the embedded rule set.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Language of the page and the CSV headers.
    #[arg(long, value_enum, default_value_t = Lang::Nb)]
    pub lang: Lang,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditSub {
    /// Re-run the audit recorded in OUT/manifest.json and confirm every output is byte-identical.
    Verify {
        /// The audit's output folder (with its manifest.json).
        #[arg(long)]
        out: PathBuf,
        /// The data directory the audit read (its files' hashes are checked first).
        #[arg(long)]
        data: PathBuf,
        /// The rule folder the audit used (when it did not use the embedded rules).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
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

#[derive(Debug, Args)]
pub struct ExplainCmd {
    #[command(flatten)]
    pub eval: EvalArgs,
    /// The person's id (person_id in personer).
    #[arg(long)]
    pub person: String,
    /// Print the explanation as JSON (schema: README, "explain --json").
    #[arg(long)]
    pub json: bool,
    /// States that you are authorised to see persons with strictly confidential address
    /// (kode 6); without it such a person is refused. Its use is logged (without the id).
    #[arg(long)]
    pub skjermet: bool,
}

#[derive(Debug, Args)]
pub struct GenerateCmd {
    /// Number of persons.
    #[arg(long)]
    pub persons: u64,
    /// Output data directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed: the same arguments give byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scan date the history ends at (default: today).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Years of history up to the scan date.
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Also write the population as the KOSTRA 11F and 11CF files (reporting years 2025 and
    /// 2026) its municipalities would send SSB, into this folder (for `import kostra`).
    #[arg(long, value_name = "DIR")]
    pub kostra: Option<PathBuf>,
    /// Language of the summary and the error messages.
    #[arg(long, value_enum, default_value_t = Lang::Nb)]
    pub lang: Lang,
}

#[derive(Debug, Args)]
pub struct CompareCmd {
    /// Data directory with one <table>.parquet or <table>/ folder per contract table.
    #[arg(long)]
    pub data: PathBuf,
    /// Scan date (YYYY-MM-DD). Default: today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Rule set A, the baseline (default: the embedded rule set).
    #[arg(long, value_name = "DIR")]
    pub rules_a: Option<PathBuf>,
    /// Rule set B, the change (default: rule set A, with --set applied).
    #[arg(long, value_name = "DIR")]
    pub rules_b: Option<PathBuf>,
    /// Override one parameter of set B without writing a file, e.g.
    /// `--set langtidsmottaker.min_maneder=5` (repeatable).
    #[arg(long = "set", value_name = "RULE.PARAM=VALUE")]
    pub set: Vec<String>,
    /// Output folder for endringer.parquet/.csv/.html, endringer_kontor.csv, manifest.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Language of the explanations and the page.
    #[arg(long, value_enum, default_value_t = Lang::Nb)]
    pub lang: Lang,
    /// Replace person ids in every output by HMAC-SHA-256 with the secret key in this file.
    #[arg(long, value_name = "KEYFILE")]
    pub pseudonymize: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// KOSTRA 11F (økonomisk sosialhjelp) and 11CF (kvalifiseringsstønad) files, recognised by
    /// their record length, into the contract's Parquet tables, datakvalitet.csv and a manifest.
    Kostra {
        /// Output data directory (created if missing); `scan --data` reads it as it is.
        #[arg(long)]
        out: PathBuf,
        /// CSV `kommune_nr;bydel_nr;nav_kontor` mapping municipalities (and Oslo districts) to
        /// NAV offices; without it the office is the kommune number (+ bydel in Oslo).
        #[arg(long, value_name = "FILE")]
        kontorer: Option<PathBuf>,
        /// CSV `person_id;adressebeskyttelse` (KOSTRA carries no address protection).
        #[arg(long, value_name = "FILE")]
        adressebeskyttelse: Option<PathBuf>,
        /// Language of datakvalitet.csv.
        #[arg(long, value_enum, default_value_t = Lang::Nb)]
        lang: Lang,
        /// The 11F and 11CF files (several years, municipalities and kinds at once).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Threads to use: the query engine's partitions, reading the tables, rendering
    /// explanations (default: number of cores; 1 to 256).
    #[arg(long, value_parser = |s: &str| parse_bounded(s, 1, 256))]
    pub threads: Option<usize>,
    /// Memory limit for the query engine, e.g. 512m or 2g; operators spill to disk beyond it.
    #[arg(long, value_parser = parse_size)]
    pub memory_limit: Option<usize>,
}

impl EngineArgs {
    fn options(&self) -> EngineOptions {
        let mut o = EngineOptions::default();
        if let Some(t) = self.threads {
            o.target_partitions = t.max(1);
            crate::engine::parallel::set_threads(t);
        }
        o.memory_limit = self.memory_limit;
        o
    }
}

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// Parse and plan every rule against the contract schema, without data.
    Check {
        /// Folder of rule files to use instead of the embedded rule set.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Language of the summary and the error messages.
        #[arg(long, value_enum, default_value_t = Lang::Nb)]
        lang: Lang,
    },
    /// Run every rule's example cases through the engine.
    Test {
        /// Folder of rule files to use instead of the embedded rule set.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Also report what the examples exercise: each condition true and false, each dated
        /// parameter value, `uavklart`, each status.
        #[arg(long)]
        coverage: bool,
        /// With --coverage: fail when a rule, or the statuses, are covered below this percentage.
        #[arg(long, value_name = "PERCENT", requires = "coverage",
              value_parser = |s: &str| parse_bounded(s, 0, 100))]
        min: Option<usize>,
        /// With --coverage: also write the coverage as JSON to this file.
        #[arg(long, value_name = "FILE", requires = "coverage")]
        coverage_json: Option<PathBuf>,
        /// Language of the summary and the error messages.
        #[arg(long, value_enum, default_value_t = Lang::Nb)]
        lang: Lang,
    },
    /// List the rules with their kind, legal basis and parameters in force.
    List {
        /// Folder of rule files to use instead of the embedded rule set.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Show the parameters in force on this date (YYYY-MM-DD). Default: today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// Language of the titles and descriptions.
        #[arg(long, value_enum, default_value_t = Lang::Nb)]
        lang: Lang,
    },
}

/// A whole number within `lo..=hi`.
fn parse_bounded(s: &str, lo: usize, hi: usize) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(crate::tr!(
            "`{s}` er ikke et heltall fra {lo} til {hi}",
            "`{s}` is not a whole number from {lo} to {hi}"
        )),
    }
}

/// A date on the command line: YYYY-MM-DD within the contract's range 1900-01-01..2099-12-31.
fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        crate::tr!(
            "`{s}` er ikke en dato; forventet ÅÅÅÅ-MM-DD",
            "`{s}` is not a date; expected YYYY-MM-DD"
        )
    })?;
    let (lo, hi) = (
        NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date"),
        NaiveDate::from_ymd_opt(2099, 12, 31).expect("a date"),
    );
    if d < lo || d > hi {
        return Err(crate::tr!(
            "`{s}` er utenfor 1900-01-01..2099-12-31",
            "`{s}` is outside 1900-01-01..2099-12-31"
        ));
    }
    Ok(d)
}

fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1usize << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t.as_str(), 1),
    };
    num.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| n * mult)
        .ok_or_else(|| {
            crate::tr!(
                "`{s}` er ikke en størrelse; forventet f.eks. 512m eller 2g",
                "`{s}` is not a size; expected e.g. 512m or 2g"
            )
        })
}

fn key(
    path: Option<&std::path::Path>,
) -> anyhow::Result<Option<crate::output::pseudonym::Pseudonymizer>> {
    Ok(path
        .map(crate::output::pseudonym::Pseudonymizer::from_file)
        .transpose()?)
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
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
                command: ImportCmd::Kostra { lang, .. },
            } => *lang,
            Command::Rules { command } => match command {
                RulesCmd::List { lang, .. }
                | RulesCmd::Check { lang, .. }
                | RulesCmd::Test { lang, .. } => *lang,
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
pub fn main() -> ExitCode {
    crate::i18n::set_lang(lang_in_args());
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

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(s) => {
            let as_of = s.eval.scan_date()?;
            let args = ScanArgs {
                data: s.eval.data,
                out: s.out,
                as_of,
                rules: s.eval.rules,
                lang: s.eval.lang,
                engine: s.engine.options(),
                pseudonymize: key(s.pseudonymize.as_deref())?,
            };
            let lang = args.lang;
            let outcome = scan::run(args).await?;
            if !cli.quiet {
                eprint!("{}", scan::summary_text(&outcome, as_of, lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Weekly(w) => {
            let as_of = w.eval.scan_date()?;
            let args = crate::commands::weekly::WeeklyArgs {
                scan: ScanArgs {
                    data: w.eval.data,
                    out: w.state.clone(),
                    as_of,
                    rules: w.eval.rules,
                    lang: w.eval.lang,
                    engine: w.engine.options(),
                    pseudonymize: key(w.pseudonymize.as_deref())?,
                },
                state: w.state,
                replace_history: w.replace_history,
                keep: w.keep,
            };
            let lang = args.scan.lang;
            let outcome = crate::commands::weekly::run(args).await?;
            if !cli.quiet {
                eprint!("{}", crate::commands::weekly::summary_text(&outcome, lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare(c) => {
            let args = crate::commands::compare::CompareArgs {
                data: c.data,
                out: c.out,
                as_of: c.as_of.unwrap_or_else(today),
                rules_a: c.rules_a,
                rules_b: c.rules_b,
                set: c.set,
                lang: c.lang,
                engine: c.engine.options(),
                pseudonymize: key(c.pseudonymize.as_deref())?,
            };
            let o = crate::commands::compare::run(&args).await?;
            if !cli.quiet {
                eprint!("{}", crate::commands::compare::summary_text(&o, args.lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(r) => {
            let as_of = r.eval.scan_date()?;
            let args = crate::commands::report::ReportArgs {
                data: r.eval.data,
                out: r.out,
                as_of,
                rules: r.eval.rules,
                lang: r.eval.lang,
                engine: r.engine.options(),
                months: r.months,
                kontor: r.kontor,
                intern: r.intern,
                kontornavn: r.kontornavn,
                kommunenavn: r.kommunenavn,
            };
            let (out, lang) = (args.out.clone(), args.lang);
            let o = crate::commands::report::run(args).await?;
            if !cli.quiet {
                use crate::i18n::{Msg, push};
                let mut t = String::new();
                let (offices, kommuner, dates) = (o.offices, o.kommuner, o.dates);
                let out = out.display();
                push(
                    &mut t,
                    lang,
                    Msg::Report,
                    &[&offices, &kommuner, &dates, &out],
                );
                push(&mut t, lang, Msg::ReportHidden, &[&o.hidden]);
                let took = crate::output::numbers::seconds(o.elapsed, lang);
                push(&mut t, lang, Msg::Elapsed, &[&took]);
                eprint!("{t}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(a) => match a.verify {
            Some(AuditSub::Verify { out, data, rules }) => {
                let v =
                    crate::commands::audit::verify(&out, &data, rules, EngineOptions::default())
                        .await?;
                for l in &v.lines {
                    println!("{l}");
                }
                if !v.ok {
                    let (out, data) = (out.display(), data.display());
                    anyhow::bail!(crate::i18n::Msg::AuditMismatch.fill(v.lang, &[&out, &data]));
                }
                if !cli.quiet {
                    eprintln!("{}", crate::i18n::Msg::AuditVerified.text(v.lang));
                }
                Ok(ExitCode::SUCCESS)
            }
            None => {
                let need = |what: &str| {
                    anyhow::anyhow!(
                        "{}",
                        crate::tr!(
                            "audit trenger --{what} (se kvp-scan audit --help)",
                            "audit needs --{what} (see kvp-scan audit --help)"
                        )
                    )
                };
                let args = crate::commands::audit::AuditArgs {
                    data: a.data.ok_or_else(|| need("data"))?,
                    out: a.out.ok_or_else(|| need("out"))?,
                    from: a.from.ok_or_else(|| need("from"))?,
                    to: a.to.ok_or_else(|| need("to"))?,
                    frist_dager: a.frist_dager,
                    rules: a.rules,
                    lang: a.lang,
                    engine: a.engine.options(),
                };
                let o = crate::commands::audit::run(&args).await?;
                if !cli.quiet {
                    use crate::i18n::{Msg, push};
                    let lang = args.lang;
                    let mut t = String::new();
                    let (weeks, flagged) = (o.weeks, o.flagged);
                    push(
                        &mut t,
                        lang,
                        Msg::Audit,
                        &[&weeks, &args.from, &args.to, &flagged],
                    );
                    for (k, n) in &o.per_vurdering {
                        t.push_str(&format!("    {k:<20}{n:>8}\n"));
                    }
                    let took = crate::output::numbers::seconds(o.elapsed, lang);
                    push(&mut t, lang, Msg::Elapsed, &[&took]);
                    eprint!("{t}");
                }
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::History(h) => {
            if h.json {
                let index =
                    crate::commands::weekly::state::read_index(&h.state)?.ok_or_else(|| {
                        let dir = h.state.display();
                        let index = crate::commands::weekly::state::INDEX;
                        let msg = crate::i18n::Msg::HistoryEmpty;
                        anyhow::anyhow!(
                            "{}",
                            msg.fill(h.lang, &[&dir, &index as &dyn std::fmt::Display])
                        )
                    })?;
                println!("{}", serde_json::to_string_pretty(&index)?);
            } else {
                print!(
                    "{}",
                    crate::commands::weekly::history_text(&h.state, h.lang)?
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(x) => {
            let as_of = x.eval.scan_date()?;
            let args = crate::commands::explain::ExplainArgs {
                data: x.eval.data,
                // pasted ids often carry spaces
                person: x.person.trim().to_string(),
                as_of,
                rules: x.eval.rules,
                lang: x.eval.lang,
                skjermet: x.skjermet,
            };
            let e = crate::commands::explain::run(&args).await?;
            if x.json {
                println!("{}", serde_json::to_string_pretty(&e)?);
            } else {
                print!("{}", crate::commands::explain::render_text(&e, args.lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(g) => {
            let args = crate::commands::generate::GenerateArgs {
                persons: g.persons,
                out: g.out,
                seed: g.seed,
                as_of: g.as_of.unwrap_or_else(today),
                years: g.years,
                progress: !cli.quiet,
            };
            let started = std::time::Instant::now();
            let stats = crate::commands::generate::run(&args)?;
            if let Some(dir) = &g.kostra {
                let files = crate::contract::kostra::export::write(&args.out, args.as_of, dir)?;
                if !cli.quiet {
                    for (f, n) in files {
                        let records = crate::tr!("{n:>10} poster", "{n:>10} records");
                        eprintln!("  {}/{f:<14}{records}", dir.display());
                    }
                }
            }
            if !cli.quiet {
                let took = crate::output::numbers::seconds(started.elapsed(), g.lang);
                let persons = args.persons;
                eprintln!(
                    "{}",
                    crate::tr!(
                        "kvp-scan: laget {persons} personer på {took} s",
                        "kvp-scan: generated {persons} persons in {took} s"
                    )
                );
                for (table, rows) in stats {
                    let rows = crate::tr!("{rows:>12} rader", "{rows:>12} rows");
                    eprintln!("  {table:<20}{rows}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            command:
                ImportCmd::Kostra {
                    out,
                    kontorer,
                    adressebeskyttelse,
                    lang,
                    files,
                },
        } => {
            let args = crate::commands::import_kostra::ImportArgs {
                files,
                out,
                kontorer,
                adressebeskyttelse,
                lang,
            };
            let o = crate::commands::import_kostra::run(&args)?;
            if !cli.quiet {
                eprint!(
                    "{}",
                    crate::commands::import_kostra::summary_text(&o, &args.out)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command: RulesCmd::Check { rules, .. },
        } => {
            let set = RuleSet::load(rules.as_deref()).map_err(RuleErrors)?;
            let diags = check::check(&set, today()).await?;
            if !diags.is_empty() {
                return Err(RuleErrors(diags).into());
            }
            if !cli.quiet {
                eprintln!(
                    "{}",
                    crate::tr!(
                        "{} regler sjekket ({}): ingen problemer",
                        "{} rules checked ({}): no problems",
                        set.rules.len(),
                        set.origin
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command:
                RulesCmd::Test {
                    rules,
                    coverage,
                    min,
                    coverage_json,
                    ..
                },
        } => {
            let set = crate::engine::session::load_rules(rules.as_deref(), today()).await?;
            let results = examples::run_all(&set).await;
            let failed = results.iter().filter(|r| r.failure.is_some()).count();
            let passed = results.len() - failed;
            let tally = crate::tr!(
                "{passed} bestått, {failed} feilet",
                "{passed} passed, {failed} failed"
            );
            for r in &results {
                match &r.failure {
                    None => println!("ok    {} :: {}", r.rule, r.name),
                    Some(f) => {
                        println!("FAIL  {} :: {}", r.rule, r.name);
                        println!("      {}", r.location);
                        println!("      {f}");
                    }
                }
            }
            let rules_without = set
                .rules
                .iter()
                .filter(|r| r.examples.is_empty())
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>();
            if !rules_without.is_empty() {
                let list = rules_without.join(", ");
                println!(
                    "{}",
                    crate::tr!(
                        "regler uten eksempler: {list}",
                        "rules without example cases: {list}"
                    )
                );
            }
            if coverage {
                let c = crate::commands::rules_test::coverage::coverage(&set, &results);
                print!("{}", c.table());
                if let Some(path) = &coverage_json {
                    let mut bytes = serde_json::to_vec_pretty(&c)?;
                    bytes.push(b'\n');
                    std::fs::write(path, bytes).map_err(|e| {
                        anyhow::anyhow!(
                            "{}",
                            crate::tr!(
                                "kan ikke skrive {}: {e}",
                                "cannot write {}: {e}",
                                path.display()
                            )
                        )
                    })?;
                }
                if let Some(min) = min
                    && c.lowest() < min as f64
                {
                    println!("{tally}");
                    let lowest = c.lowest();
                    anyhow::bail!(
                        "{}",
                        crate::tr!(
                            "dekningen {lowest:.1} % er under --min {min} %: legg til eksempler for de utestede punktene over",
                            "coverage {lowest:.1}% is below --min {min}%: add examples for the untested items above"
                        )
                    );
                }
            }
            println!("{tally}");
            if failed > 0 || !rules_without.is_empty() {
                let without = rules_without.len();
                anyhow::bail!(
                    "{}",
                    crate::tr!(
                        "{failed} eksempel(er) feilet, {without} regel(er) uten eksempler",
                        "{failed} example case(s) failed, {without} rule(s) without examples"
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command: RulesCmd::List { rules, as_of, lang },
        } => {
            let set = RuleSet::load(rules.as_deref()).map_err(RuleErrors)?;
            let date = as_of.unwrap_or_else(today);
            for r in &set.rules {
                println!("{:<30} {:<11} {}", r.id, r.kind.as_str(), r.title(lang));
                println!("{:<30} {:<11} {}", "", "", r.hjemmel.render(lang));
                for (k, v) in r.params_at(date) {
                    println!("{:<30} {:<11} {k} = {}", "", "", serde_json::to_string(&v)?);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
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
