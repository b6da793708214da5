//! The command line's shared argument groups (the data, the scan date, the rules, the language;
//! threads and memory) and value parsers. Each command's own arguments live in its module.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;

use crate::contract::Lang;
use crate::engine::EngineOptions;

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
    pub fn scan_date(&self) -> anyhow::Result<NaiveDate> {
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
    pub fn options(&self) -> EngineOptions {
        let mut o = EngineOptions::default();
        if let Some(t) = self.threads {
            o.target_partitions = t.max(1);
            crate::engine::parallel::set_threads(t);
        }
        o.memory_limit = self.memory_limit;
        o
    }
}

/// A whole number within `lo..=hi`.
pub fn parse_bounded(s: &str, lo: usize, hi: usize) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(crate::tr!(
            "`{s}` er ikke et heltall fra {lo} til {hi}",
            "`{s}` is not a whole number from {lo} to {hi}"
        )),
    }
}

/// A date on the command line: YYYY-MM-DD within the contract's range 1900-01-01..2099-12-31.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
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

pub fn parse_size(s: &str) -> Result<usize, String> {
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

pub fn key(
    path: Option<&std::path::Path>,
) -> anyhow::Result<Option<crate::output::pseudonym::Pseudonymizer>> {
    Ok(path
        .map(crate::output::pseudonym::Pseudonymizer::from_file)
        .transpose()?)
}

pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}
