//! `rules check`, `rules test` and `rules list`: the rule files checked without data, their
//! example cases run through the engine with what they exercise (`--coverage`), and the rules
//! with the parameters in force.

use crate::i18n::Msg;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Subcommand;

use crate::commands::args::{parse_bounded, parse_date, today};
use crate::contract::Lang;
use crate::engine::check;
use crate::rules::RuleSet;
use crate::rules::diagnostic::RuleErrors;

pub mod coverage;
pub mod examples;

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

/// `kvp-scan rules <check|test|list>`.
pub async fn main(cmd: RulesCmd, quiet: bool) -> anyhow::Result<()> {
    match cmd {
        RulesCmd::Check { rules, .. } => check_main(rules, quiet).await,
        RulesCmd::Test {
            rules,
            coverage,
            min,
            coverage_json,
            ..
        } => test_main(rules, coverage, min, coverage_json).await,
        RulesCmd::List { rules, as_of, lang } => list_main(rules, as_of, lang),
    }
}

async fn check_main(rules: Option<PathBuf>, quiet: bool) -> anyhow::Result<()> {
    let set = RuleSet::load(rules.as_deref()).map_err(RuleErrors)?;
    let diags = check::check(&set, today()).await?;
    if !diags.is_empty() {
        return Err(RuleErrors(diags).into());
    }
    if !quiet {
        let n = set.rules.len();
        let lang = crate::i18n::lang();
        eprintln!("{}", Msg::RulesChecked.fill(lang, &[&n, &set.origin]));
    }
    Ok(())
}

/// The coverage table (and its JSON with `--coverage-json`); an error when the lowest
/// coverage is under `--min` (the tally printed first).
fn report_coverage(
    set: &RuleSet,
    results: &[examples::CaseResult],
    (min, coverage_json): (Option<usize>, Option<&std::path::Path>),
    tally: &str,
) -> anyhow::Result<()> {
    let c = coverage::coverage(set, results);
    print!("{}", c.table());
    if let Some(path) = coverage_json {
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
    Ok(())
}

async fn test_main(
    rules: Option<PathBuf>,
    coverage: bool,
    min: Option<usize>,
    coverage_json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let set = crate::engine::session::load_rules(rules.as_deref(), today()).await?;
    let results = examples::run_all(&set).await;
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    let passed = results.len() - failed;
    let tally = Msg::RulesTally.fill(crate::i18n::lang(), &[&passed, &failed]);
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
        let lang = crate::i18n::lang();
        println!("{}", Msg::RulesWithoutExamples.fill(lang, &[&list]));
    }
    if coverage {
        report_coverage(&set, &results, (min, coverage_json.as_deref()), &tally)?;
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
    Ok(())
}

fn list_main(rules: Option<PathBuf>, as_of: Option<NaiveDate>, lang: Lang) -> anyhow::Result<()> {
    let set = RuleSet::load(rules.as_deref()).map_err(RuleErrors)?;
    let date = as_of.unwrap_or_else(today);
    for r in &set.rules {
        println!("{:<30} {:<11} {}", r.id, r.kind.as_str(), r.title(lang));
        println!("{:<30} {:<11} {}", "", "", r.hjemmel.render(lang));
        for (k, v) in r.params_at(date) {
            println!("{:<30} {:<11} {k} = {}", "", "", serde_json::to_string(&v)?);
        }
    }
    Ok(())
}
