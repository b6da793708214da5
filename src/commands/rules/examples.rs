//! `rules test`: runs every rule's example cases through the real loader, validator and engine.

use std::collections::{BTreeMap, HashMap};

use datafusion::arrow::array::RecordBatch;

use crate::contract::load::{self, Dataset, LoadError, Source, Validator};
use crate::contract::quality::Severity;
use crate::contract::{self, Lang, rows};
use crate::engine::{Engine, EngineOptions};
use crate::rules::{Example, Outcome, ParamValue, Rule, RuleSet};

/// The person every example is about, unless the example says otherwise.
/// The outcome of one example case.
#[derive(Debug)]
pub struct CaseResult {
    pub rule: String,
    pub name: String,
    pub location: String,
    pub failure: Option<String>,
    /// What the case exercised (when it ran), for `rules test --coverage`.
    pub observed: Option<Observed>,
}

/// What one example case exercised of its rule and of the rule set.
#[derive(Debug, Clone)]
pub struct Observed {
    pub outcome: Outcome,
    /// The example person's status under the whole rule set.
    pub status: crate::rules::Status,
    /// The rule's conditions with their outcome (when the person is in the rule's scope).
    pub krav: Vec<(String, bool)>,
    pub as_of: chrono::NaiveDate,
    /// Parameters the case overrides (their dated values are not exercised by it).
    pub overridden: Vec<String>,
}

/// Builds the example's dataset through the same validation as a real export.
pub fn example_dataset(ex: &Example, as_of: chrono::NaiveDate) -> Result<Dataset, String> {
    let mut v = Validator::new(as_of);
    let mut tables = BTreeMap::new();
    for (k, spec) in contract::TABLES.iter().enumerate() {
        if ex.mangler.iter().any(|m| m == spec.name) {
            tables.insert(spec.name, load::empty_table(spec));
            continue;
        }
        let rows: Vec<toml::Table> = if spec.name == "personer" {
            vec![ex.person.clone()]
        } else {
            ex.rows(spec.name).to_vec()
        };
        let batch: RecordBatch =
            rows::batch_from_rows(spec, &rows, &rows::example_defaults(spec.name))?;
        let source = Source {
            name: format!("eksempel/{}", spec.name),
            batches: Box::new(std::iter::once(Ok::<_, LoadError>(batch))),
        };
        let t = v
            .load_table(spec, vec![source], k as i32)
            .map_err(|e| e.to_string())?;
        tables.insert(spec.name, t);
    }
    let findings = v.into_findings();
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.severity() == Severity::Feil)
        .map(|f| {
            format!(
                "{} row {} column {}: {}",
                f.table,
                f.row,
                f.column,
                f.problem.reason(Lang::En)
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "the example's rows have data-quality errors: {}",
            errors.join("; ")
        ));
    }
    Ok(Dataset {
        tables,
        findings,
        inputs: Vec::new(),
        stonad_maneder: None,
    })
}

async fn run_case(rules: &RuleSet, rule: &Rule, ex: &Example) -> Result<Observed, String> {
    let as_of = rows::parse_date(&ex.skanningsdato).ok_or("skanningsdato is not a date")?;
    let data = example_dataset(ex, as_of)?;
    let engine = Engine::new(
        &data,
        as_of,
        &EngineOptions {
            target_partitions: 1,
            memory_limit: None,
            ..Default::default()
        },
    )
    .await
    .map_err(|e| format!("{e:#}"))?;
    let overrides = example_overrides(rule, ex)?;
    let planned = engine
        .plan_rules(rules, &overrides)
        .await
        .map_err(|e| format!("{e}: {}", root(&e)))?;
    let mut near: Vec<String> = Vec::new();
    let mut texts: BTreeMap<Lang, Option<String>> = BTreeMap::new();
    let mut outcome = Outcome::IkkeTreff;
    for lang in [Lang::Nb, Lang::En] {
        let mut verdicts = Vec::new();
        engine
            .evaluate(rules, &planned, lang, None, |v| {
                verdicts.push(v);
                Ok(())
            })
            .await
            .map_err(|e| format!("{e:#}"))?;
        let v = verdicts.pop().ok_or("the example person got no verdict")?;
        outcome = v.outcome(&rule.id);
        texts.insert(lang, v.sentence(&rule.id).map(str::to_string));
        near = v
            .naer_treff
            .iter()
            .filter(|n| n.rule == rule.id)
            .map(|n| n.krav.to_string())
            .collect();
    }
    check_expectations(ex, outcome, &near, &texts)?;
    let single = planned
        .iter()
        .find(|p| p.rule.id == rule.id)
        .and_then(|p| p.frame.clone());
    if let Some(single) = single {
        same_with_other_dates(rules, rule, ex, as_of, &overrides, single).await?;
    }
    // the conditions, as `explain` sees them: one person evaluated
    let person = ex
        .person
        .get("person_id")
        .and_then(|v| v.as_str())
        .unwrap_or(rows::EXAMPLE_PERSON)
        .to_string();
    let mut verdicts = Vec::new();
    engine
        .evaluate(rules, &planned, Lang::Nb, Some(&person), |v| {
            verdicts.push(v);
            Ok(())
        })
        .await
        .map_err(|e| format!("{e:#}"))?;
    let v = verdicts.pop().ok_or("the example person got no verdict")?;
    Ok(Observed {
        outcome,
        status: v.status,
        krav: v
            .krav
            .iter()
            .filter(|k| k.rule == rule.id)
            .map(|k| (k.krav.to_string(), k.oppfylt))
            .collect(),
        as_of,
        overridden: ex.parametre.keys().cloned().collect(),
    })
}

type Overrides = HashMap<String, BTreeMap<String, ParamValue>>;

/// The example's parameter overrides, for its own rule.
fn example_overrides(rule: &Rule, ex: &Example) -> Result<Overrides, String> {
    let mut overrides = Overrides::new();
    let mut mine = BTreeMap::new();
    for (k, v) in &ex.parametre {
        let v = match v {
            toml::Value::Integer(i) => ParamValue::Int(*i),
            toml::Value::Float(f) => ParamValue::Float(*f),
            toml::Value::String(s) => ParamValue::Text(s.clone()),
            toml::Value::Boolean(b) => ParamValue::Bool(*b),
            _ => return Err(format!("parameter override `{k}` has an unsupported type")),
        };
        mine.insert(k.clone(), v);
    }
    overrides.insert(rule.id.clone(), mine);
    Ok(overrides)
}

/// What the example expects: the outcome, a near miss on one condition, words in the nb
/// explanation, and an explanation in both languages when the rule fires.
fn check_expectations(
    ex: &Example,
    outcome: Outcome,
    near: &[String],
    texts: &BTreeMap<Lang, Option<String>>,
) -> Result<(), String> {
    if outcome != ex.forventet {
        return Err(format!(
            "expected {}, got {}{}",
            ex.forventet.as_str(),
            outcome.as_str(),
            texts[&Lang::Nb]
                .as_ref()
                .map(|t| format!(" («{t}»)"))
                .unwrap_or_default()
        ));
    }
    if let Some(want) = ex.naer_treff.as_ref().filter(|w| near != [w.to_string()]) {
        return Err(format!(
            "expected a near miss on `{want}` alone, got {near:?}"
        ));
    }
    if let Some(want) = &ex.forklaring_inneholder {
        let got = texts[&Lang::Nb].clone().unwrap_or_default();
        if !got.contains(want.as_str()) {
            return Err(format!(
                "the nb explanation «{got}» does not contain «{want}»"
            ));
        }
    }
    if outcome == Outcome::Treff
        && texts
            .values()
            .any(|t| t.as_ref().is_none_or(|t| t.trim().is_empty()))
    {
        return Err("the rule fired but an explanation (nb or en) is empty".into());
    }
    Ok(())
}

/// Every rule's parameters on `as_of`, with the example's overrides.
fn params_on(
    rules: &RuleSet,
    as_of: chrono::NaiveDate,
    overrides: &HashMap<String, BTreeMap<String, ParamValue>>,
) -> HashMap<String, BTreeMap<String, ParamValue>> {
    let mut fixed: HashMap<String, BTreeMap<String, ParamValue>> = rules
        .rules
        .iter()
        .map(|r| (r.id.clone(), r.params_at(as_of)))
        .collect();
    for (id, o) in overrides {
        fixed
            .entry(id.clone())
            .or_default()
            .extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    fixed
}

/// A rule's rows sorted by person, as one batch.
async fn sorted_rows(
    df: datafusion::prelude::DataFrame,
) -> Result<RecordBatch, datafusion::error::DataFusionError> {
    use datafusion::prelude::col;
    let batches = df
        .sort(vec![col("person_id").sort(true, true)])?
        .collect()
        .await?;
    let schema = batches
        .first()
        .map(|b| b.schema())
        .unwrap_or_else(|| std::sync::Arc::new(datafusion::arrow::datatypes::Schema::empty()));
    datafusion::arrow::compute::concat_batches(&schema, &batches)
        .map_err(datafusion::error::DataFusionError::from)
}

/// The rule's rows for the example's date must not change when the session also holds a date a
/// year before and a year after it (with the data known by then), as in `audit`: a rule that
/// joins facts without `skanningsdato`, or reads a contract table without keeping the rows
/// dated on or before the scan date, fails here.
async fn same_with_other_dates(
    rules: &RuleSet,
    rule: &Rule,
    ex: &Example,
    as_of: chrono::NaiveDate,
    overrides: &HashMap<String, BTreeMap<String, ParamValue>>,
    single: datafusion::prelude::DataFrame,
) -> Result<(), String> {
    use datafusion::prelude::{col, lit};
    let year = chrono::Duration::days(366);
    let later = as_of + year;
    let data = example_dataset(ex, later)?;
    let engine = Engine::for_dates(
        &data,
        &[as_of - year, as_of, later],
        &EngineOptions {
            target_partitions: 1,
            memory_limit: None,
            ..Default::default()
        },
    )
    .await
    .map_err(|e| format!("{e:#}"))?;
    // the parameters in force on the example's date, not on the later one
    let fixed = params_on(rules, as_of, overrides);
    let planned = engine
        .plan_rules(rules, &fixed)
        .await
        .map_err(|e| format!("{e}: {}", root(&e)))?;
    let Some(multi) = planned
        .iter()
        .find(|p| p.rule.id == rule.id)
        .and_then(|p| p.frame.clone())
    else {
        return Ok(());
    };
    let day = datafusion::scalar::ScalarValue::Date32(Some(load::days_since_epoch(as_of)));
    let fail = |e: datafusion::error::DataFusionError| format!("{e:#}");
    let one = sorted_rows(single).await.map_err(fail)?;
    let many = sorted_rows(
        multi
            .filter(col("skanningsdato").eq(lit(day)))
            .map_err(fail)?,
    )
    .await
    .map_err(fail)?;
    if one.num_rows() != many.num_rows() || (one.num_rows() > 0 && one != many) {
        let what = if one.num_rows() == many.num_rows() {
            format!("the same {} row(s), other values", one.num_rows())
        } else {
            format!(
                "{} row(s) alone, {} with other dates",
                one.num_rows(),
                many.num_rows()
            )
        };
        return Err(format!(
            "the rule gives other rows for {as_of} when the session also holds other scan dates, \
             as in `audit` ({what}): join and group facts by skanningsdato, and join contract \
             tables to skanningsdatoer on <date column> <= skanningsdato"
        ));
    }
    Ok(())
}

fn root(e: &crate::engine::EngineError) -> String {
    match e {
        crate::engine::EngineError::Plan { source, .. } => source.find_root().to_string(),
        other => other.to_string(),
    }
}

/// Runs every example of every rule.
pub async fn run_all(rules: &RuleSet) -> Vec<CaseResult> {
    let mut results = Vec::new();
    for rule in &rules.rules {
        for (i, ex) in rule.examples.iter().enumerate() {
            let span = rule.source.example_spans.get(i).cloned();
            let d = rule.source.diag(span, crate::rules::Code::Example, "");
            let location = match d.line_col() {
                Some((l, c)) => format!("{}:{l}:{c}", rule.source.path),
                None => rule.source.path.clone(),
            };
            let (failure, observed) = match run_case(rules, rule, ex).await {
                Ok(o) => (None, Some(o)),
                Err(e) => (Some(e), None),
            };
            results.push(CaseResult {
                rule: rule.id.clone(),
                name: ex.navn.clone(),
                location,
                failure,
                observed,
            });
        }
    }
    results
}
