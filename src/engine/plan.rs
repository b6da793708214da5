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
