//! Planning a rule set on a session: each rule's SQL with its parameters bound, registered as
//! `regel_<id>` for the rules after it, and its fingerprint (what its rows depend on).

use super::*;

/// A rule planned against the session: its result is visible as `regel_<id>`.
pub struct PlannedRule<'a> {
    pub rule: &'a Rule,
    pub index: usize,
    /// None when a table the rule needs is missing from the export.
    pub frame: Option<DataFrame>,
    pub params: BTreeMap<String, crate::rules::ParamValue>,
    /// Everything the rule's rendered rows depend on in this session: its SQL, parameters,
    /// texts and kind, and the fingerprints of the rules whose views it reads. Equal
    /// fingerprints in one session give equal rows (see [`Engine::with_rule_memo`]).
    pub fingerprint: u64,
}

/// A rule's fingerprint in a session (see [`PlannedRule::fingerprint`]).
pub(crate) fn fingerprint(
    rule: &Rule,
    params: &BTreeMap<String, crate::rules::ParamValue>,
    earlier: &[(String, u64)],
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&rule.id, &rule.sql, &rule.template_nb, &rule.template_en).hash(&mut h);
    (&rule.title_nb, &rule.title_en, &rule.krever).hash(&mut h);
    let short = &rule.kort.forklaring;
    let rest = format!("{:?}{:?}{params:?}{short:?}", rule.hjemmel, rule.gir_status);
    (rule.kind.as_str(), rest).hash(&mut h);
    for k in &rule.krav {
        (&k.name, &k.nb, &k.en).hash(&mut h);
    }
    for (view, fp) in earlier {
        if rule.sql.contains(view.as_str()) {
            (view, fp).hash(&mut h);
        }
    }
    h.finish()
}

/// A rule's result restricted to the rows where every condition (`krav_*`) holds.
pub(crate) fn fired_only(rule: &Rule, df: DataFrame) -> Result<DataFrame, DataFusionError> {
    match rule
        .krav
        .iter()
        .map(|k| col(k.column()).is_true())
        .reduce(|a, b| a.and(b))
    {
        Some(all) => df.filter(all),
        None => Ok(df),
    }
}

impl Engine {
    /// Plans one rule's SQL with its parameters (`$name`) bound.
    pub async fn plan_sql(
        &self,
        rule: &Rule,
        params: &BTreeMap<String, crate::rules::ParamValue>,
    ) -> Result<DataFrame, EngineError> {
        let plan_err = |source| EngineError::Plan {
            rule: rule.id.clone(),
            source,
        };
        let df = self
            .ctx
            .sql_with_options(&rule.sql, sql_options())
            .await
            .map_err(plan_err)?;
        let values: HashMap<String, ScalarValue> = params
            .iter()
            .map(|(k, v)| (k.clone(), v.scalar()))
            .collect();
        let df = df
            .with_param_values(ParamValues::from(values))
            .map_err(plan_err)?;
        match df.schema().field_with_unqualified_name("person_id") {
            Ok(f)
                if matches!(
                    f.data_type(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) => {}
            _ => {
                return Err(EngineError::NoPersonId {
                    rule: rule.id.clone(),
                });
            }
        }
        match df.schema().field_with_unqualified_name("skanningsdato") {
            Ok(f) if f.data_type() == &DataType::Date32 => Ok(df),
            _ => Err(EngineError::NoScanDate {
                rule: rule.id.clone(),
            }),
        }
    }

    /// Plans every rule in order and registers its result as `regel_<id>`, replacing the view
    /// of an earlier plan in the session (`compare` plans two rule sets on one session; a plan
    /// already made keeps the views it was planned with).
    pub async fn plan_rules<'a>(
        &self,
        rules: &'a RuleSet,
        overrides: &HashMap<String, BTreeMap<String, crate::rules::ParamValue>>,
    ) -> Result<Vec<PlannedRule<'a>>, EngineError> {
        let mut planned = Vec::new();
        let mut fingerprints: Vec<(String, u64)> = Vec::new();
        for (index, rule) in rules.rules.iter().enumerate() {
            let mut params = rule.params_at(self.as_of);
            if let Some(o) = overrides.get(&rule.id) {
                params.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let fingerprint = fingerprint(rule, &params, &fingerprints);
            fingerprints.push((rule.view_name(), fingerprint));
            let df = self.plan_sql(rule, &params).await?;
            // Other rules see only the persons the rule fires for: all its conditions hold.
            self.ctx.deregister_table(rule.view_name())?;
            self.ctx
                .register_table(rule.view_name(), fired_only(rule, df.clone())?.into_view())?;
            let decidable = rule.krever.iter().all(|t| !self.missing.contains(t));
            planned.push(PlannedRule {
                rule,
                index,
                frame: decidable.then_some(df),
                params,
                fingerprint,
            });
        }
        Ok(planned)
    }
}

/// Contract tables the engine reads only while it is built: the payments' months with stønad
/// are computed then (`facts::stonad_kjent`), and no fact view reads `okonomisk_stonad` after.
const READ_WHEN_BUILT: &[&str] = &["okonomisk_stonad"];

impl Engine {
    /// Lets go of each table of [`READ_WHEN_BUILT`] that no planned rule reads: deregistered
    /// from the session and its rows dropped from `data` (its counts stay, for the manifest).
    /// The payments are most of the rows held, and a scan's memory peaks later, while the
    /// verdicts are made. Only for a session whose rules are all planned (no second rule set
    /// or date group comes after). Returns the tables let go.
    ///
    /// An engine used once ([`Engine::releasing_rows`]) whose facts are kept (one scan date)
    /// lets go of every contract table and internal copy no planned rule reads: the kept facts
    /// and the evaluation's own query read only the facts and the months with stønad.
    pub fn release_unread(
        &self,
        planned: &[PlannedRule<'_>],
        data: &mut Dataset,
    ) -> Result<Vec<&'static str>, EngineError> {
        let mut released = Vec::new();
        let all: Vec<&'static str> = data
            .tables
            .keys()
            .copied()
            .chain([facts::VEDTAK_NESTE, facts::HENDELSER_NESTE])
            .collect();
        let names = match self.release_rows && self.facts_kept {
            true => &all[..],
            false => READ_WHEN_BUILT,
        };
        for name in names {
            let read = planned
                .iter()
                .filter_map(|p| p.frame.as_ref())
                .any(|df| scans(df.logical_plan(), name));
            if read {
                continue;
            }
            self.ctx.deregister_table(*name)?;
            if let Some(t) = data.tables.get_mut(name) {
                t.batches = Vec::new();
            }
            released.push(*name);
        }
        debug!(tables = ?released, "tables no rule reads let go");
        Ok(released)
    }
}

/// Whether `plan` (its subqueries included) reads the table `table`.
pub(crate) fn scans(plan: &datafusion::logical_expr::LogicalPlan, table: &str) -> bool {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::logical_expr::LogicalPlan;
    let mut found = false;
    // the closure never fails
    let _ = plan.apply_with_subqueries(|p| {
        if let LogicalPlan::TableScan(s) = p
            && s.table_name.table() == table
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{Field, Schema};

    #[test]
    fn a_table_read_in_a_subquery_counts_as_read() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let ctx = SessionContext::new();
            let schema = Arc::new(Schema::new(vec![Field::new(
                "person_id",
                DataType::Utf8,
                true,
            )]));
            for t in ["okonomisk_stonad", "personer"] {
                let mem = MemTable::try_new(Arc::clone(&schema), vec![vec![]]).unwrap();
                ctx.register_table(t, Arc::new(mem)).unwrap();
            }
            let plan = |sql: &'static str| {
                let ctx = ctx.clone();
                async move { ctx.sql(sql).await.unwrap().logical_plan().clone() }
            };
            let direct = plan("SELECT person_id FROM okonomisk_stonad").await;
            let nested = plan(
                "SELECT person_id FROM personer WHERE person_id IN \
                 (SELECT person_id FROM okonomisk_stonad)",
            )
            .await;
            let other = plan("SELECT person_id FROM personer").await;
            assert!(scans(&direct, "okonomisk_stonad"));
            assert!(scans(&nested, "okonomisk_stonad"));
            assert!(!scans(&other, "okonomisk_stonad"));
        });
    }
}
