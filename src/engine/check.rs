//! Checking a rule set without data (`rules check`, and before every evaluation): plans every
//! rule against the contract schema, checks its templates and example rows, and reports each
//! problem at `file:line:col`.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;

use super::{Engine, EngineError, EngineOptions, facts};
use crate::contract::{self, load};
use crate::rules::diagnostic::line_col_in_value;
use crate::rules::{Code, Diagnostic, Rule, RuleSet, template};

/// Built-in template variables besides the rule's columns and parameters.
pub const BUILTIN_VARIABLES: &[&str] = &["hjemmel", "tittel", "skanningsdato"];

/// An empty dataset with every table present: what `rules check` plans against.
pub fn empty_dataset() -> load::Dataset {
    let mut tables = BTreeMap::new();
    for spec in contract::TABLES {
        let mut t = load::empty_table(spec);
        t.present = true;
        tables.insert(spec.name, t);
    }
    load::Dataset {
        tables,
        findings: Vec::new(),
        inputs: Vec::new(),
        stonad_maneder: None,
    }
}

/// Checks a loaded rule set; an empty result means every rule plans and renders.
pub async fn check(rules: &RuleSet, date: NaiveDate) -> Result<Vec<Diagnostic>, EngineError> {
    Ok(check_reading(rules, date).await?.0)
}

/// As [`check`], and whether any rule's plan reads the payments (`okonomisk_stonad`) itself:
/// when none does, a scan needs only their months with stønad.
pub async fn check_reading(
    rules: &RuleSet,
    date: NaiveDate,
) -> Result<(Vec<Diagnostic>, bool), EngineError> {
    let mut payments_read = false;
    let engine = Engine::new(
        &empty_dataset(),
        date,
        &EngineOptions {
            target_partitions: 1,
            memory_limit: None,
            ..Default::default()
        },
    )
    .await?;
    let mut diags = Vec::new();
    let mut known: Vec<String> = contract::TABLES
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    known.extend(facts::fact_names().iter().map(|s| s.to_string()));
    for rule in &rules.rules {
        let params = params_planned(rule, date);
        match engine.plan_sql(rule, &params).await {
            Ok(df) => {
                payments_read |= super::plan::scans(df.logical_plan(), contract::OKONOMISK_STONAD.name);
                let columns: HashSet<String> = df
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                check_krav(rule, &df, &mut diags);
                if let Err(e) = engine
                    .context()
                    .register_table(rule.view_name(), df.into_view())
                {
                    diags.push(rule.source.diag(
                        Some(rule.source.sql_span.clone()),
                        Code::Sql,
                        e.to_string(),
                    ));
                }
                check_templates(rule, &columns, &params, &mut diags);
            }
            Err(EngineError::Plan { source, .. }) => {
                diags.push(sql_diagnostic(rule, &source, &known))
            }
            Err(EngineError::NoPersonId { .. }) => diags.push(
                rule.source
                    .diag(
                        Some(rule.source.sql_span.clone()),
                        Code::NoPersonId,
                        "the query does not return a `person_id` column of type string",
                    )
                    .with_help("select person_id (one row per person the rule fires for)"),
            ),
            Err(EngineError::NoScanDate { .. }) => diags.push(
                rule.source
                    .diag(
                        Some(rule.source.sql_span.clone()),
                        Code::NoScanDate,
                        "the query does not return the `skanningsdato` column (a date)",
                    )
                    .with_help(
                        "every fact view has one row per scan date: select skanningsdato, group and join by it \
                         (tables without it: join skanningsdatoer s ON <date column> <= s.skanningsdato)",
                    ),
            ),
            Err(e) => return Err(e),
        }
        known.push(rule.view_name());
        check_examples(rule, &mut diags);
    }
    Ok((diags, payments_read))
}

/// The parameters a rule is checked with on `date`: those in force, and a parameter whose first
/// value starts after the date with that value.
fn params_planned(rule: &Rule, date: NaiveDate) -> BTreeMap<String, crate::rules::ParamValue> {
    let mut params = rule.params_at(date);
    for p in &rule.params {
        if !params.contains_key(&p.name) {
            params.insert(p.name.clone(), p.values[0].1.clone());
        }
    }
    params
}

/// Every `krav_<name>` column is boolean and has a `[krav.<name>]` text, and every text has a column.
fn check_krav(rule: &Rule, df: &datafusion::prelude::DataFrame, diags: &mut Vec<Diagnostic>) {
    let src = &rule.source;
    for f in df.schema().fields() {
        let Some(name) = f.name().strip_prefix("krav_") else {
            continue;
        };
        if f.data_type() != &datafusion::arrow::datatypes::DataType::Boolean {
            diags.push(
                src.diag(Some(src.sql_span.clone()), Code::Krav, format!("column `{}` must be boolean, found {}", f.name(), f.data_type()))
                    .with_help("a condition column is an SQL boolean expression, e.g. count(*) >= $min_maneder AS krav_min_maneder"),
            );
        }
        if !rule.krav.iter().any(|k| k.name == name) {
            diags.push(
                src.diag(
                    Some(src.sql_span.clone()),
                    Code::Krav,
                    format!("column `{}` has no text", f.name()),
                )
                .with_help(format!(
                    "add [krav.{name}] with nb and en texts saying what the condition asks"
                )),
            );
        }
    }
    for (k, span) in rule.krav.iter().zip(&src.krav_spans) {
        if df
            .schema()
            .field_with_unqualified_name(&k.column())
            .is_err()
        {
            diags.push(
                src.diag(
                    Some(span.clone()),
                    Code::Krav,
                    format!(
                        "[krav.{}] has no column `{}` in the SQL",
                        k.name,
                        k.column()
                    ),
                )
                .with_help("return the condition as a boolean column named krav_<name>"),
            );
        }
    }
}

/// The byte offset in the rule file of offset `o` in a template whose text lies in `span`
/// (a string, or a table of nb/en strings): where the template's text is found written out,
/// else from the start of the value.
fn offset_in_template(rule: &Rule, span: &std::ops::Range<usize>, tmpl: &str, o: usize) -> usize {
    let text = &rule.source.text;
    text.get(span.clone())
        .and_then(|v| v.find(tmpl))
        .filter(|_| !tmpl.is_empty())
        .map(|p| span.start + p + o)
        .unwrap_or_else(|| crate::rules::diagnostic::offset_in_value(text, span, o))
}

fn check_templates(
    rule: &Rule,
    columns: &HashSet<String>,
    params: &BTreeMap<String, crate::rules::ParamValue>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut templates: Vec<(String, &String, std::ops::Range<usize>)> = vec![
        (
            "forklaring.nb".into(),
            &rule.template_nb,
            rule.source.template_spans[0].clone(),
        ),
        (
            "forklaring.en".into(),
            &rule.template_en,
            rule.source.template_spans[1].clone(),
        ),
    ];
    for (k, span) in rule.krav.iter().zip(&rule.source.krav_spans) {
        templates.push((format!("krav.{}.nb", k.name), &k.nb, span.clone()));
        templates.push((format!("krav.{}.en", k.name), &k.en, span.clone()));
    }
    if let (Some((nb, en)), Some(span)) = (&rule.kort.forklaring, &rule.source.kort_span) {
        templates.push(("kort_forklaring.nb".into(), nb, span.clone()));
        templates.push(("kort_forklaring.en".into(), en, span.clone()));
    }
    for (what, tmpl, span) in templates {
        let vars = template::variables(tmpl);
        if vars.contains("person_id") {
            let at = tmpl
                .find("person_id")
                .map(|o| offset_in_template(rule, &span, tmpl, o));
            diags.push(
                rule.source
                    .diag(
                        at.map(|a| a..a + "person_id".len()).or(Some(span.clone())),
                        Code::TemplatePersonId,
                        format!(
                            "{what} renders `person_id`: explanations are copied into lists and \
                             pseudonymised outputs, where a raw id must never appear"
                        ),
                    )
                    .with_help(
                        "leave the id out of the text; every output shows the (pseudonymised) id in its own column",
                    ),
            );
        }
        let mut unknown: Vec<String> = vars
            .into_iter()
            .filter(|v| {
                !columns.contains(v)
                    && !params.contains_key(v)
                    && !BUILTIN_VARIABLES.contains(&v.as_str())
            })
            .collect();
        unknown.sort();
        for v in unknown {
            let span = &span;
            let at = tmpl
                .find(v.as_str())
                .map(|o| offset_in_template(rule, span, tmpl, o));
            let mut available: Vec<&str> = columns.iter().map(|s| s.as_str()).collect();
            available.extend(params.keys().map(|s| s.as_str()));
            available.extend(BUILTIN_VARIABLES);
            available.sort();
            available.dedup();
            diags.push(
                rule.source
                    .diag(
                        at.map(|a| a..a + v.len()).or(Some(span.clone())),
                        Code::TemplateVariable,
                        format!("{what} uses `{v}`, which the rule does not provide"),
                    )
                    .with_help(format!("available: {}", available.join(", "))),
            );
        }
    }
}

fn check_examples(rule: &Rule, diags: &mut Vec<Diagnostic>) {
    for (i, ex) in rule.examples.iter().enumerate() {
        let span = rule.source.example_spans.get(i).cloned();
        let mut tables: Vec<(&contract::TableSpec, Vec<toml::Table>)> =
            vec![(&contract::PERSONER, vec![ex.person.clone()])];
        for spec in &contract::TABLES[1..] {
            tables.push((*spec, ex.rows(spec.name).to_vec()));
        }
        for (spec, rows) in tables {
            if let Err(e) = contract::rows::batch_from_rows(
                spec,
                &rows,
                &crate::contract::rows::example_defaults(spec.name),
            ) {
                diags.push(
                    rule.source
                        .diag(span.clone(), Code::Example, format!("example {} (`{}`): {e}", i + 1, ex.navn))
                        .with_help("example rows use the contract's column names and types (data-contract.md)"),
                );
            }
        }
    }
}

/// Turns a planning error into a diagnostic at the place in the rule file's SQL it concerns.
pub fn sql_diagnostic(rule: &Rule, err: &DataFusionError, known_tables: &[String]) -> Diagnostic {
    let src = &rule.source;
    let root = err.find_root();
    let mut message = root.to_string();
    let mut at: Option<(usize, usize, usize)> = None; // line, col, width
    let mut helps = Vec::new();
    if let Some(d) = err.diagnostic() {
        message = d.message.clone();
        if let Some(s) = d.span {
            let width = if s.end.line == s.start.line {
                (s.end.column.saturating_sub(s.start.column)) as usize
            } else {
                1
            };
            at = Some((s.start.line as usize, s.start.column as usize, width.max(1)));
        }
        helps.extend(d.helps.iter().map(|h| h.message.clone()));
        if helps.is_empty() {
            helps.extend(d.notes.iter().map(|n| n.message.clone()));
        }
    }
    let text = root.to_string();
    if at.is_none() {
        at = parse_line_col(&text).map(|(l, c)| (l, c, 1));
    }
    if let DataFusionError::SQL(e, _) = root {
        // sqlparser's message without the Debug wrapping
        message = match e.as_ref() {
            datafusion::sql::sqlparser::parser::ParserError::ParserError(m)
            | datafusion::sql::sqlparser::parser::ParserError::TokenizerError(m) => m.clone(),
            other => other.to_string(),
        };
        if let Some(i) = message.find(" at Line: ") {
            message.truncate(i);
        }
    }
    let end_of_sql = at.is_none() && text.contains("found: EOF");
    let code = classify(root);
    if helps.is_empty() {
        helps.push(default_help(code, &text, known_tables));
    }
    // A parameter without a value: point at its first use.
    if let Some(name) = text
        .split("placeholder with name ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        && at.is_none()
        && let Some(o) = rule.sql.find(name)
    {
        let before = &rule.sql[..o];
        let line = before.matches('\n').count() + 1;
        let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        at = Some((line, col, name.len()));
    }
    if text.contains("$skanningsdato") {
        helps = vec![
            "`$skanningsdato` is no longer a parameter: use the `skanningsdato` column of the facts, \
             or join skanningsdatoer s ON <date column> <= s.skanningsdato"
                .into(),
        ];
    }
    if code == Code::UnknownTable
        && !helps
            .iter()
            .any(|h| h.contains("the tables a rule can read"))
    {
        helps.push(format!(
            "the tables a rule can read are {}",
            known_tables.join(", ")
        ));
    }
    let span = sql_span(rule, at, end_of_sql);
    src.diag(
        Some(span),
        code,
        format!("rule `{}`: {}", rule.id, message.trim()),
    )
    .with_help(helps.join("; "))
}

/// The diagnostic's code, by the error's variant (DataFusion has none for an unknown table,
/// only a plan error).
fn classify(root: &DataFusionError) -> Code {
    match root {
        DataFusionError::SchemaError(e, _) if matches!(**e, SchemaError::FieldNotFound { .. }) => {
            Code::UnknownColumn
        }
        DataFusionError::SQL(..) => Code::SqlSyntax,
        DataFusionError::Plan(m) if m.starts_with("table '") && m.ends_with("' not found") => {
            Code::UnknownTable
        }
        _ => Code::Sql,
    }
}

/// The help when DataFusion gives none: valid columns, the tables a rule can read, the dialect.
fn default_help(code: Code, text: &str, known_tables: &[String]) -> String {
    match code {
        Code::UnknownColumn => {
            if let Some(valid) = text.split("Valid fields are").nth(1) {
                format!("valid columns here are{}", valid.trim_end_matches('.'))
            } else {
                "check the column name against the contract (data-contract.md) and the facts (README, \"Facts\")".into()
            }
        }
        Code::UnknownTable => format!("the tables a rule can read are {}", known_tables.join(", ")),
        Code::SqlSyntax => {
            "the SQL is DataFusion's dialect (https://datafusion.apache.org/user-guide/sql/)".into()
        }
        _ => "see the README, \"Rule files\", for what a rule's SQL must return".into(),
    }
}

/// Where in the rule file the problem is: DataFusion's line and column in the SQL, just after
/// a statement that ends too early, or the whole SQL.
fn sql_span(
    rule: &Rule,
    at: Option<(usize, usize, usize)>,
    end_of_sql: bool,
) -> std::ops::Range<usize> {
    let src = &rule.source;
    match at {
        Some((line, col, width)) => {
            let start = line_col_in_value(&src.text, &src.sql_span, line, col);
            start..start + width
        }
        None if end_of_sql => {
            // The statement ends too early: point just after its last character.
            let content_start = crate::rules::diagnostic::content_start(&src.text, &src.sql_span);
            let content = &src.text[content_start..src.sql_span.end];
            let end = content_start + content.trim_end_matches(['\'', '"']).trim_end().len();
            end..end + 1
        }
        None => src.sql_span.clone(),
    }
}

/// Finds "Line: 3, Column: 7" (sqlparser's error positions) in a message.
fn parse_line_col(msg: &str) -> Option<(usize, usize)> {
    let i = msg.find("Line: ")?;
    let rest = &msg[i + 6..];
    let line: usize = rest
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let j = rest.find("Column: ")?;
    let col: usize = rest[j + 8..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    Some((line, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_tells_whether_a_rule_reads_the_payments() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let read = |dir: Option<&str>| {
            let rules = RuleSet::load(dir.map(std::path::Path::new)).unwrap();
            let (diags, read) = rt.block_on(check_reading(&rules, date)).unwrap();
            assert!(diags.is_empty());
            read
        };
        // the bundled rules read the months with stønad, never the payments
        assert!(!read(None));
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/regler_utbetaling");
        assert!(read(Some(dir)));
    }

    #[test]
    fn finds_sqlparser_positions() {
        assert_eq!(
            parse_line_col(
                "sql parser error: Expected: end of statement, found: x at Line: 3, Column: 7"
            ),
            Some((3, 7))
        );
        assert_eq!(parse_line_col("no position"), None);
    }
}
