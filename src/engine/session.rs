//! The one way a command opens an evaluation: a rule set (parsed and fully checked) and the data
//! loaded as of a date, with the engine sessions over them: one for the scan date, or one per
//! group of dates that share the rules' parameters. Commands consume verdicts, dated statuses
//! or read-only query results from those; none builds a DataFusion session of its own.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use super::{DatedStatuses, Engine, EngineOptions, PlannedRule, check, facts};
use crate::contract::load::{Dataset, LoadOptions, load_dir_with};
use crate::rules::RuleSet;
use crate::rules::diagnostic::RuleErrors;

/// Loads the rule set from `dir` (the embedded one without) and checks it as of `date`: every
/// rule parses, plans against the contract schema and renders. Problems are [`RuleErrors`].
pub async fn load_rules(dir: Option<&Path>, date: NaiveDate) -> anyhow::Result<RuleSet> {
    Ok(load_rules_reading(dir, date).await?.0)
}

/// As [`load_rules`], and whether any rule reads the payments themselves
/// ([`check::check_reading`]).
async fn load_rules_reading(
    dir: Option<&Path>,
    date: NaiveDate,
) -> anyhow::Result<(RuleSet, bool)> {
    let rules = RuleSet::load(dir).map_err(RuleErrors)?;
    let (diags, payments_read) = check::check_reading(&rules, date).await?;
    if !diags.is_empty() {
        return Err(RuleErrors(diags).into());
    }
    Ok((rules, payments_read))
}

/// A checked rule set and the data as of a date, ready to evaluate.
pub struct Session {
    pub rules: RuleSet,
    pub data: Dataset,
    as_of: NaiveDate,
    opts: EngineOptions,
}

impl Session {
    /// The rules in `rules` (the embedded set without) checked as of `as_of`, and the data in
    /// `data` as of `as_of` (rows dated after it are left out).
    pub async fn open(
        data: &Path,
        rules: Option<&Path>,
        as_of: NaiveDate,
        opts: &EngineOptions,
    ) -> anyhow::Result<Session> {
        Session::open_with(data, rules, as_of, opts, None).await
    }

    /// As [`Session::open`], for a session with one engine, on `as_of`, whose rules are all
    /// planned on it (a scan): when no rule reads the payments themselves, the loader keeps
    /// only their months with stønad for `as_of`, reducing each part of the file as it is
    /// read, so no payment row is ever held ([`LoadOptions::payment_months`]).
    pub async fn open_for_scan(
        data: &Path,
        rules: Option<&Path>,
        as_of: NaiveDate,
        opts: &EngineOptions,
    ) -> anyhow::Result<Session> {
        Session::open_for_dates(data, rules, as_of, opts, &[as_of]).await
    }

    /// As [`Session::open_for_scan`], for a session whose engines (any number) are on `dates`
    /// and `as_of` and which queries no payment itself (the report): the months are kept for
    /// all of them, and each engine takes those of its own dates.
    pub async fn open_for_dates(
        data: &Path,
        rules: Option<&Path>,
        as_of: NaiveDate,
        opts: &EngineOptions,
        dates: &[NaiveDate],
    ) -> anyhow::Result<Session> {
        Session::open_with(data, rules, as_of, opts, Some(dates)).await
    }

    /// The rules checked and the data loaded as of `as_of`; with `months_for`, the payments
    /// kept only as their months for those dates and `as_of` when no rule reads them.
    async fn open_with(
        data: &Path,
        rules: Option<&Path>,
        as_of: NaiveDate,
        opts: &EngineOptions,
        months_for: Option<&[NaiveDate]>,
    ) -> anyhow::Result<Session> {
        let (rules, payments_read) = load_rules_reading(rules, as_of).await?;
        let payment_months = months_for.filter(|_| !payments_read).map(|dates| {
            let all: Vec<NaiveDate> = dates.iter().copied().chain([as_of]).collect();
            facts::months_window(&all)
        });
        let data = load_dir_with(data, as_of, LoadOptions { payment_months })?;
        Ok(Session {
            rules,
            data,
            as_of,
            opts: opts.clone(),
        })
    }

    /// The engine over the data for the scan date the session was opened with.
    pub async fn engine(&self) -> anyhow::Result<Engine> {
        Ok(Engine::new(&self.data, self.as_of, &self.opts).await?)
    }

    /// Every rule of the set planned on `engine`, with the parameters in force.
    pub async fn plan<'a>(&'a self, engine: &Engine) -> anyhow::Result<Vec<PlannedRule<'a>>> {
        Ok(engine.plan_rules(&self.rules, &HashMap::new()).await?)
    }

    /// The scan dates in groups that share the rules' parameters: each group is evaluated in
    /// one pass ([`Session::statuses`]).
    pub fn passes(&self, dates: &[NaiveDate]) -> Vec<Vec<NaiveDate>> {
        self.rules.group_by_parameters(dates)
    }

    /// Every person's status on each of `dates` (which must share the rules' parameters, see
    /// [`Session::passes`]) in one pass over the same data, with the engine over those dates
    /// for further read-only queries.
    pub async fn statuses(&self, dates: &[NaiveDate]) -> anyhow::Result<(Engine, DatedStatuses)> {
        let engine = self.dated_engine(dates).await?;
        let statuses = self.statuses_on(&engine).await?;
        Ok((engine, statuses))
    }

    /// The engine over `dates` (which must share the rules' parameters, see
    /// [`Session::passes`]), for [`Session::statuses_on`] and read-only queries.
    pub async fn dated_engine(&self, dates: &[NaiveDate]) -> anyhow::Result<Engine> {
        Ok(Engine::for_dates(&self.data, dates, &self.opts).await?)
    }

    /// Every person's status on each of `engine`'s dates, in one pass.
    pub async fn statuses_on(&self, engine: &Engine) -> anyhow::Result<DatedStatuses> {
        let planned = self.plan(engine).await?;
        Ok(engine.dated_statuses(&self.rules, &planned).await?)
    }

    /// As [`Session::statuses_on`], for the session's last engine once every other query on it
    /// has run: the tables only the facts read (the payments) are let go first when no rule
    /// reads them ([`Engine::release_unread`]), so the statuses are computed in less memory.
    pub async fn last_statuses_on(&mut self, engine: &Engine) -> anyhow::Result<DatedStatuses> {
        let planned = plan_releasing(engine, &self.rules, &mut self.data).await?;
        Ok(engine.dated_statuses(&self.rules, &planned).await?)
    }
}

/// Every rule of `rules` planned on `engine` (as [`Session::plan`]), then the tables only the
/// facts read let go from `data` when no planned rule reads them ([`Engine::release_unread`]):
/// for the last engine a session builds. Takes the session's two fields apart, so the plans
/// (which borrow the rules) can live while the data is changed.
pub async fn plan_releasing<'a>(
    engine: &Engine,
    rules: &'a RuleSet,
    data: &mut Dataset,
) -> anyhow::Result<Vec<PlannedRule<'a>>> {
    let planned = engine.plan_rules(rules, &HashMap::new()).await?;
    engine.release_unread(&planned, data)?;
    Ok(planned)
}
