//! The `compare` workflow: what a rule change does before it is made. The same data at the
//! same date under two rule sets (B may be A with `--set RULE.PARAM=VALUE` overrides), in one
//! session: the data is loaded and the facts computed once, each rule set is planned and
//! evaluated on it. Out come the persons whose status, rules or explanation differ, the status
//! transitions per office (small counts hidden), a page for the rule owner and a manifest.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use serde::Serialize;

use crate::commands::args::{EngineArgs, key, parse_date, today};
use crate::contract::Lang;
use crate::contract::load::load_dir;
use crate::engine::{Engine, EngineOptions, Persons, PlannedRule, Verdict};
use crate::output::csv_out::{done, id_cell, writer};
use crate::output::manifest::{Provenance, rule_entries};
use crate::output::suppress::{Shown, Table};
use crate::output::{OutputDir, Staged};
use crate::rules::{ParamValue, RuleSet, Status};
use clap::Args;

pub const PARQUET: &str = "endringer.parquet";
pub const CSV: &str = "endringer.csv";
/// kode-6 persons' changes: only in a `skjermet*` file.
pub const SKJERMET: &str = "skjermet_endringer.parquet";
pub const KONTOR: &str = "endringer_kontor.csv";
pub const HTML: &str = "endringer.html";
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, Clone)]
pub struct CompareArgs {
    pub data: PathBuf,
    pub out: PathBuf,
    pub as_of: NaiveDate,
    /// None: the embedded rule set.
    pub rules_a: Option<PathBuf>,
    /// None: the same rules as A (with `set` applied).
    pub rules_b: Option<PathBuf>,
    /// `RULE.PARAM=VALUE` overrides of set B.
    pub set: Vec<String>,
    pub lang: Lang,
    pub engine: EngineOptions,
    pub pseudonymize: Option<crate::output::pseudonym::Pseudonymizer>,
}

/// What one rule set says about one person, reduced to what a comparison needs (moved out
/// of the verdict, not copied).
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    status: Status,
    /// candidate rules and exclusions that fired, sorted
    rules: crate::engine::Ids,
    sentences: Vec<std::sync::Arc<str>>,
}

impl Outcome {
    fn of(v: &mut Verdict) -> Outcome {
        let mut rules = std::mem::take(&mut v.treff);
        rules.append(&mut v.eksklusjoner);
        rules.sort();
        Outcome {
            status: v.status,
            rules,
            sentences: std::mem::take(&mut v.begrunnelse)
                .into_iter()
                .map(|e| e.text)
                .collect(),
        }
    }

    fn explanation(&self) -> String {
        self.sentences.join(" ")
    }
}

#[derive(Debug, Clone)]
struct Home {
    kontor: String,
    veileder: Option<String>,
    skjermet: bool,
}

/// How a person's outcome changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The status moved.
    Status,
    /// Same status, other candidate rules or exclusions.
    Regler,
    /// Same status and rules; only the explanation's wording differs.
    Forklaring,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Status => "status",
            ChangeKind::Regler => "regler",
            ChangeKind::Forklaring => "forklaring",
        }
    }

    /// The kind in words, for the spreadsheets.
    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::labels::ENDRING.text(self.as_str(), lang)
    }
}

/// One person whose outcome differs.
#[derive(Debug, Clone)]
pub struct Change {
    person_id: String,
    home: Home,
    kind: ChangeKind,
    a: Outcome,
    b: Outcome,
}

impl Change {
    /// Rules (sorted lists) under B and not A.
    fn gained(&self) -> Vec<&str> {
        only_in(&self.b.rules, &self.a.rules)
    }
    fn lost(&self) -> Vec<&str> {
        only_in(&self.a.rules, &self.b.rules)
    }
}

fn only_in<'a>(x: &'a [crate::engine::Short], y: &[crate::engine::Short]) -> Vec<&'a str> {
    x.iter()
        .filter(|r| y.binary_search(r).is_err())
        .map(crate::engine::Short::as_str)
        .collect()
}

/// Counts over every person: the status transitions, each rule's persons under A and B, and
/// the persons' homes in verdict order.
#[derive(Default)]
struct Tally {
    transitions: BTreeMap<(Status, Status), u64>,
    rule_counts: BTreeMap<String, (u64, u64)>,
    homes: Vec<Home>,
}

impl Tally {
    /// One person under B (`a` counted under A already). A person B gives no verdict for is one
    /// no changed rule fired for: the same outcome under both, `add(home, a, a)`.
    fn add(&mut self, home: Home, a: &Outcome, b: &Outcome) {
        for r in &b.rules {
            self.rule_counts.entry(r.to_string()).or_default().1 += 1;
        }
        *self.transitions.entry((a.status, b.status)).or_default() += 1;
        self.homes.push(home);
    }
}

/// What the summary on stderr and the tests read.
pub struct CompareOutcome {
    pub persons: u64,
    /// (from, to) → persons, every status pair including unchanged ones
    pub transitions: BTreeMap<(Status, Status), u64>,
    pub per_kind: BTreeMap<ChangeKind, u64>,
    /// rule → (persons A, persons B), rules whose counts differ
    pub rules_changed: BTreeMap<String, (u64, u64)>,
    pub elapsed: std::time::Duration,
}

/// Applies `RULE.PARAM=VALUE` to a rule set's parameters in force on `as_of`, typed like the
/// value it replaces.
fn overrides(
    rules: &RuleSet,
    set: &[String],
    as_of: NaiveDate,
) -> anyhow::Result<HashMap<String, BTreeMap<String, ParamValue>>> {
    let mut out: HashMap<String, BTreeMap<String, ParamValue>> = HashMap::new();
    for s in set {
        let (key, value) = s.split_once('=').with_context(|| {
            crate::tr!(
                "--set {s}: forventet REGEL.PARAMETER=VERDI",
                "--set {s}: expected RULE.PARAM=VALUE"
            )
        })?;
        let (rule_id, param) = key.split_once('.').with_context(|| {
            crate::tr!(
                "--set {s}: forventet REGEL.PARAMETER=VERDI",
                "--set {s}: expected RULE.PARAM=VALUE"
            )
        })?;
        let rule = rules.get(rule_id).with_context(|| {
            crate::tr!(
                "--set {s}: ingen regel `{rule_id}` i regelsett B (se `kvp-scan rules list`)",
                "--set {s}: no rule `{rule_id}` in rule set B (see `kvp-scan rules list`)"
            )
        })?;
        let current = rule.params_at(as_of).remove(param).with_context(|| {
            let names = rule
                .params_at(as_of)
                .into_keys()
                .collect::<Vec<_>>()
                .join(", ");
            crate::tr!(
                "--set {s}: regel `{rule_id}` har ingen parameter `{param}` (den har: {names})",
                "--set {s}: rule `{rule_id}` has no parameter `{param}` (it has: {names})"
            )
        })?;
        let v = value.trim();
        let typed = match current {
            ParamValue::Int(_) => v.parse().map(ParamValue::Int).ok(),
            ParamValue::Float(_) => v.parse().map(ParamValue::Float).ok(),
            ParamValue::Bool(_) => v.parse().map(ParamValue::Bool).ok(),
            ParamValue::Text(_) => Some(ParamValue::Text(v.to_string())),
        }
        .with_context(|| {
            crate::tr!(
                "--set {s}: `{v}` har ikke parameterens type",
                "--set {s}: `{v}` is not of the parameter's type"
            )
        })?;
        out.entry(rule_id.to_string())
            .or_default()
            .insert(param.to_string(), typed);
    }
    Ok(out)
}

/// The rules (positions in B) whose rows may differ between the two plans: other fingerprint.
/// None when the rule sets differ in shape (other rules, or in another order) or a differing
/// rule cannot be decided (its sentence would be everyone's): then every person is evaluated
/// under B.
fn changed_rules(a: &[PlannedRule], b: &[PlannedRule]) -> Option<Vec<usize>> {
    let same_shape = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.rule.id == y.rule.id);
    if !same_shape {
        return None;
    }
    let changed: Vec<(&PlannedRule, &PlannedRule)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.fingerprint != y.fingerprint)
        .collect();
    changed
        .iter()
        .all(|(x, y)| x.frame.is_some() && y.frame.is_some())
        .then(|| changed.iter().map(|(_, y)| y.index).collect())
}

async fn outcomes(
    engine: &Engine,
    (rules, planned): (&RuleSet, &[PlannedRule<'_>]),
    persons: Persons<'_>,
    lang: Lang,
    mut each: impl FnMut(Verdict, Outcome) -> anyhow::Result<()> + Send,
) -> anyhow::Result<()> {
    engine
        .evaluate_persons(rules, planned, lang, persons, |mut v| {
            let o = Outcome::of(&mut v);
            each(v, o)
        })
        .await?;
    Ok(())
}

pub async fn run(args: &CompareArgs) -> anyhow::Result<CompareOutcome> {
    let started = std::time::Instant::now();
    let rules_a = crate::engine::session::load_rules(args.rules_a.as_deref(), args.as_of).await?;
    let rules_b = match &args.rules_b {
        Some(dir) => crate::engine::session::load_rules(Some(dir), args.as_of).await?,
        None => crate::engine::session::load_rules(args.rules_a.as_deref(), args.as_of).await?,
    };
    let set_b = overrides(&rules_b, &args.set, args.as_of)?;
    let data = load_dir(&args.data, args.as_of)?;
    // one session: the data and its facts, then each rule set planned and evaluated on it
    let engine = Engine::new(&data, args.as_of, &args.engine)
        .await?
        .with_rule_memo();
    // both planned first: a plan keeps the rule views it was planned with
    let planned_a = engine.plan_rules(&rules_a, &HashMap::new()).await?;
    let planned_b = engine.plan_rules(&rules_b, &set_b).await?;
    let (mut changes, tally, persons) = diff(
        &engine,
        (&rules_a, &planned_a[..]),
        (&rules_b, &planned_b[..]),
        args,
    )
    .await?;
    let Tally {
        transitions,
        rule_counts,
        homes,
    } = tally;
    changes.sort_by(|x, y| {
        (x.kind, &x.home.kontor, &x.person_id).cmp(&(y.kind, &y.home.kontor, &y.person_id))
    });
    let mut per_kind = BTreeMap::new();
    for c in &changes {
        *per_kind.entry(c.kind).or_default() += 1;
    }

    write_outputs(
        args,
        (&rules_a, &rules_b),
        &data.inputs,
        &changes,
        (&homes, &transitions),
    )?;
    let rules_changed = rule_counts
        .into_iter()
        .filter(|(_, (x, y))| x != y)
        .collect();
    Ok(CompareOutcome {
        persons,
        transitions,
        per_kind,
        rules_changed,
        elapsed: started.elapsed(),
    })
}

/// Every person's outcome under rule set A with their home, in the verdicts' order, and the
/// persons a rule that differs in B fired for (or would have, by one condition).
async fn outcomes_a(
    engine: &Engine,
    set_a: (&RuleSet, &[PlannedRule<'_>]),
    changed_ids: &BTreeSet<&str>,
    lang: Lang,
) -> anyhow::Result<(Vec<(String, Home, Outcome)>, rustc_hash::FxHashSet<String>)> {
    let mut a: Vec<(String, Home, Outcome)> = Vec::new();
    let mut touched_a = rustc_hash::FxHashSet::default();
    outcomes(engine, set_a, Persons::All, lang, |v, o| {
        let fired = v.treff.iter().chain(&v.eksklusjoner).chain(&v.hint);
        if fired
            .map(|r| r.as_str())
            .chain(o.rules.iter().map(|r| r.as_str()))
            .any(|r| changed_ids.contains(r))
        {
            touched_a.insert(v.facts.person_id.to_string());
        }
        let home = Home {
            skjermet: v.facts.skjermet(),
            kontor: v.facts.nav_kontor.into(),
            veileder: v.facts.veileder.map(Into::into),
        };
        a.push((v.facts.person_id.into(), home, o));
        Ok(())
    })
    .await?;
    Ok((a, touched_a))
}

/// How a person's outcome changed from A to B, if it did: status first, then rules, then
/// only the explanation's wording.
fn change_kind(a: &Outcome, b: &Outcome) -> Option<ChangeKind> {
    if a.status != b.status {
        Some(ChangeKind::Status)
    } else if a.rules != b.rules {
        Some(ChangeKind::Regler)
    } else if a.sentences != b.sentences {
        Some(ChangeKind::Forklaring)
    } else {
        None
    }
}

/// Every person under both rule sets on one engine: the persons whose outcome differs, the
/// tallies of both, and how many persons there are. B's verdicts are made only for the persons
/// a changed rule fired for (everyone else's outcome is the same under both).
async fn diff(
    engine: &Engine,
    (rules_a, planned_a): (&RuleSet, &[PlannedRule<'_>]),
    (rules_b, planned_b): (&RuleSet, &[PlannedRule<'_>]),
    args: &CompareArgs,
) -> anyhow::Result<(Vec<Change>, Tally, u64)> {
    let changed = changed_rules(planned_a, planned_b);
    let changed_ids: BTreeSet<&str> = changed
        .iter()
        .flatten()
        .map(|i| rules_b.rules[*i].id.as_str())
        .collect();
    // verdicts come in the same order (office, caseworker, person) under both rule sets
    let pseudo = args.pseudonymize.as_ref();
    let (a, touched_a) = outcomes_a(engine, (rules_a, planned_a), &changed_ids, args.lang).await?;
    let mut changes = Vec::new();
    let mut tally = Tally::default();
    for (_, _, o) in &a {
        for r in &o.rules {
            tally.rule_counts.entry(r.to_string()).or_default().0 += 1;
        }
    }
    let persons = a.len() as u64;
    tally.homes.reserve(a.len());
    let mut next = a.into_iter();
    let persons_b = match &changed {
        Some(rules) => Persons::Touched {
            ids: &touched_a,
            rules,
        },
        None => Persons::All,
    };
    let set_b = (rules_b, planned_b);
    outcomes(engine, set_b, persons_b, args.lang, |v, b| {
        let (id, home, a) = loop {
            let person = next
                .next()
                .context("the two rule sets' verdicts came in another order")?;
            if person.0 == v.facts.person_id {
                break person;
            }
            anyhow::ensure!(
                changed.is_some(),
                "the two rule sets' verdicts came in another order"
            );
            tally.add(person.1, &person.2, &person.2);
        };
        tally.add(home.clone(), &a, &b);
        let Some(kind) = change_kind(&a, &b) else {
            return Ok(());
        };
        changes.push(Change {
            person_id: pseudo.map_or(id, |p| p.person(&v.facts.person_id)),
            home,
            kind,
            a,
            b,
        });
        Ok(())
    })
    .await?;
    for (_, home, a) in next {
        tally.add(home, &a, &a);
    }
    Ok((changes, tally, persons))
}

/// The comparison's files: `endringer.parquet` (and the kode-6 persons' own), `endringer.csv`,
/// `endringer_kontor.csv`, the page and the manifest, all at once.
fn write_outputs(
    args: &CompareArgs,
    (rules_a, rules_b): (&RuleSet, &RuleSet),
    inputs: &[crate::contract::load::InputFile],
    changes: &[Change],
    (homes, transitions): (&[Home], &BTreeMap<(Status, Status), u64>),
) -> anyhow::Result<()> {
    let pseudo = args.pseudonymize.as_ref();
    let outputs_started = std::time::Instant::now();
    let out = OutputDir::create(&args.out)?;
    let (skjermet, listed): (Vec<&Change>, Vec<&Change>) =
        changes.iter().partition(|c| c.home.skjermet);
    let mut staged = vec![
        write_parquet(&out, PARQUET, &listed)?,
        write_parquet(&out, SKJERMET, &skjermet)?,
        // the spreadsheet holds the changes people act on; wording-only changes (often every
        // person a rule fires for, when a threshold appears in its sentence) are counted and
        // kept in the Parquet file
        write_csv(
            &out,
            &listed
                .iter()
                .filter(|c| c.kind != ChangeKind::Forklaring)
                .copied()
                .collect::<Vec<_>>(),
            (rules_a, rules_b),
            args.lang,
        )?,
    ];
    let office_rows = office_table(homes, changes);
    staged.push(write_offices(&out, &office_rows, args.lang)?);
    let html = render_html(args, rules_a, rules_b, transitions, &office_rows, &listed)?;
    staged.push(out.stage_bytes(HTML, html.as_bytes(), listed.len() as u64)?);
    let utdata = crate::output::manifest::output_entries(&staged)?;
    let manifest = Provenance {
        skanningsdato: Some(args.as_of.to_string()),
        person_id: Some(crate::output::manifest::person_ids(pseudo.is_some()).to_string()),
        regelsett_a: Some(rule_entries(rules_a, args.as_of)),
        regelsett_b: Some(rule_entries(rules_b, args.as_of)),
        overstyrt_i_b: Some(args.set.clone()),
        inndata: inputs.to_vec(),
        utdata,
        ..Provenance::new("kvp-scan compare", args.lang)
    };
    staged.push(out.stage_json(MANIFEST, &manifest)?);
    out.commit(staged)?;
    tracing::debug!(
        changes = changes.len(),
        elapsed_ms = outputs_started.elapsed().as_millis() as u64,
        "comparison written"
    );
    Ok(())
}

fn write_parquet(out: &OutputDir, name: &str, changes: &[&Change]) -> anyhow::Result<Staged> {
    let list_field = |n: &str| {
        Field::new(
            n,
            DataType::List(std::sync::Arc::new(Field::new(
                "item",
                DataType::Utf8,
                true,
            ))),
            false,
        )
    };
    let schema = std::sync::Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Utf8, false),
        Field::new("nav_kontor", DataType::Utf8, false),
        Field::new("veileder", DataType::Utf8, true),
        Field::new("endring", DataType::Utf8, false),
        Field::new("status_a", DataType::Utf8, false),
        Field::new("status_b", DataType::Utf8, false),
        list_field("regler_lagt_til"),
        list_field("regler_falt_bort"),
        Field::new("begrunnelse_a", DataType::Utf8, false),
        Field::new("begrunnelse_b", DataType::Utf8, false),
    ]));
    let strs = |f: &dyn Fn(&Change) -> Option<String>| -> ArrayRef {
        std::sync::Arc::new(changes.iter().map(|c| f(c)).collect::<StringArray>())
    };
    let lists = |f: &dyn Fn(&Change) -> Vec<&str>| -> ArrayRef {
        let mut b = datafusion::arrow::array::ListBuilder::new(StringBuilder::new());
        for c in changes {
            for v in f(c) {
                b.values().append_value(v);
            }
            b.append(true);
        }
        std::sync::Arc::new(b.finish())
    };
    let cols = vec![
        strs(&|c| Some(c.person_id.clone())),
        strs(&|c| Some(c.home.kontor.clone())),
        strs(&|c| c.home.veileder.clone()),
        strs(&|c| Some(c.kind.as_str().into())),
        strs(&|c| Some(c.a.status.as_str().into())),
        strs(&|c| Some(c.b.status.as_str().into())),
        lists(&|c| c.gained()),
        lists(&|c| c.lost()),
        strs(&|c| Some(c.a.explanation())),
        strs(&|c| Some(c.b.explanation())),
    ];
    let batch = RecordBatch::try_new(schema, cols)?;
    let props = crate::output::parquet_out::writer_properties();
    crate::output::parquet_out::stage_batch(out, name, &batch, props)
}

fn status_label(s: Status, lang: Lang) -> &'static str {
    crate::i18n::labels::STATUS.text(s.as_str(), lang)
}

/// The header of `endringer.csv`, codes in the last columns.
const HEADER: [&str; 12] = [
    "Person-ID",
    "NAV-kontor",
    "Veileder",
    "Endring",
    "Status med A",
    "Status med B",
    "Regler lagt til",
    "Regler falt bort",
    "Begrunnelse med A",
    "Begrunnelse med B",
    "endring",
    "regler_lagt_til",
];
const HEADER_EN: [&str; 12] = [
    "Person ID",
    "NAV office",
    "Caseworker",
    "Change",
    "Status under A",
    "Status under B",
    "Rules added",
    "Rules dropped",
    "Explanation under A",
    "Explanation under B",
    "change",
    "rules_added",
];

fn write_csv(
    out: &OutputDir,
    changes: &[&Change],
    (a, b): (&RuleSet, &RuleSet),
    lang: Lang,
) -> anyhow::Result<Staged> {
    let mut w = writer(out.temp(CSV)?)?;
    let head = crate::output::csv_out::header(lang, &HEADER, &HEADER_EN);
    w.write_record(head)?;
    for c in changes {
        w.write_record([
            id_cell(&c.person_id),
            id_cell(&c.home.kontor),
            c.home.veileder.clone().unwrap_or_default(),
            c.kind.label(lang).to_string(),
            status_label(c.a.status, lang).to_string(),
            status_label(c.b.status, lang).to_string(),
            titles(b, &c.gained(), lang),
            titles(a, &c.lost(), lang),
            c.a.explanation(),
            c.b.explanation(),
            c.kind.as_str().to_string(),
            c.gained().join(","),
        ])?;
    }
    done(w, CSV, changes.len() as u64)
}

/// Rules named by their titles, `, `-separated (a CSV cell, made safe).
fn titles(rules: &RuleSet, ids: &[&str], lang: Lang) -> String {
    let t: Vec<String> = ids.iter().map(|id| rules.title(id, lang)).collect();
    crate::output::csv_out::safe(&t.join(", "))
}

type Key = (String, String, String);

/// Per office (and the total, and one national `skjermet` line for kode 6): persons per status
/// transition `a→b` among the persons whose status changed, and the persons changed at all,
/// suppressed (1–4 hidden, and no sum of offices reveals one).
fn office_table(homes: &[Home], changes: &[Change]) -> BTreeMap<Key, Shown> {
    let mut cells: BTreeMap<Key, u64> = BTreeMap::new();
    let mut offices: BTreeSet<String> = BTreeSet::new();
    for h in homes.iter().filter(|h| !h.skjermet) {
        offices.insert(h.kontor.clone());
    }
    let mut columns: BTreeSet<String> = BTreeSet::from(["endret".to_string()]);
    for c in changes {
        let unit = if c.home.skjermet {
            ("skjermet".to_string(), "alle".to_string())
        } else {
            ("nav_kontor".to_string(), c.home.kontor.clone())
        };
        let mut add = |col: String| {
            columns.insert(col.clone());
            *cells
                .entry((unit.0.clone(), unit.1.clone(), col.clone()))
                .or_default() += 1;
            if unit.0 != "skjermet" {
                *cells
                    .entry(("totalt".into(), "alle".into(), col))
                    .or_default() += 1;
            }
        };
        add("endret".into());
        if c.kind == ChangeKind::Status {
            add(format!("{}→{}", c.a.status.as_str(), c.b.status.as_str()));
        }
    }
    let mut units: Vec<(String, String)> = vec![
        ("totalt".into(), "alle".into()),
        ("skjermet".into(), "alle".into()),
    ];
    units.extend(
        offices
            .iter()
            .map(|o| ("nav_kontor".to_string(), o.clone())),
    );
    for (l, u) in &units {
        for col in &columns {
            cells
                .entry((l.clone(), u.clone(), col.clone()))
                .or_insert(0);
        }
    }
    let mut t = Table::new(cells);
    for col in &columns {
        t.sum(
            offices
                .iter()
                .map(|o| ("nav_kontor".to_string(), o.clone(), col.clone()))
                .collect(),
            ("totalt".into(), "alle".into(), col.clone()),
        );
    }
    t.suppress()
}

fn write_offices(
    out: &OutputDir,
    shown: &BTreeMap<Key, Shown>,
    lang: Lang,
) -> anyhow::Result<Staged> {
    let mut w = writer(out.temp(KONTOR)?)?;
    w.write_record(crate::output::csv_out::header(
        lang,
        &[
            "Nivå",
            "NAV-kontor",
            "Endring",
            "Personer",
            "nivå",
            "endring",
        ],
        &[
            "Level",
            "NAV office",
            "Change",
            "Persons",
            "level",
            "change",
        ],
    ))?;
    let order = |l: &str| {
        ["totalt", "skjermet", "nav_kontor"]
            .iter()
            .position(|x| *x == l)
    };
    let mut rows: Vec<(&Key, &Shown)> = shown.iter().collect();
    rows.sort_by_key(|((l, u, c), _)| (order(l), u.clone(), c != "endret", c.clone()));
    for ((l, u, c), s) in &rows {
        let niva = &crate::i18n::labels::ENDRING_NIVA;
        let level = niva
            .get(l, lang)
            .unwrap_or_else(|| niva.text("nav_kontor", lang));
        let office = if l == "nav_kontor" {
            id_cell(u)
        } else {
            String::new()
        };
        let change = match c.split_once('→') {
            Some((a, b)) => {
                fn label(s: &str, lang: Lang) -> &str {
                    Status::from_code(s).map_or(s, |s| status_label(s, lang))
                }
                format!("{} → {}", label(a, lang), label(b, lang))
            }
            None => crate::tr!("Endret i alt", "Changed in all"),
        };
        w.write_record([level, &office, &change, &s.text(), l.as_str(), c.as_str()])?;
    }
    done(w, KONTOR, rows.len() as u64)
}

/// The ten offices with the most persons changed (as published: hidden counts by their
/// text), most first.
fn most_affected(offices: &BTreeMap<Key, Shown>) -> Vec<(String, String, u64)> {
    let mut affected: Vec<(String, String, u64)> = offices
        .iter()
        .filter(|((l, _, c), _)| l == "nav_kontor" && c == "endret")
        .map(|((_, u, _), s)| (u.clone(), s.text(), s.value().unwrap_or(0)))
        .filter(|(_, text, _)| text != "0")
        .collect();
    affected.sort_by(|x, y| y.2.cmp(&x.2).then_with(|| x.0.cmp(&y.0)));
    affected.truncate(10);
    affected
}

/// Up to three example persons per transition (status changes first), with both
/// explanations.
fn examples(changes: &[&Change], lang: Lang) -> Vec<serde_json::Value> {
    let mut examples: BTreeMap<(ChangeKind, &str, &str), Vec<&Change>> = BTreeMap::new();
    for c in changes {
        let v = examples
            .entry((c.kind, c.a.status.as_str(), c.b.status.as_str()))
            .or_default();
        if v.len() < 3 {
            v.push(c);
        }
    }
    examples
        .into_iter()
        .map(|((kind, _, _), cs)| {
            serde_json::json!({
                "tittel": format!("{}: {} → {}", kind.as_str(), status_label(cs[0].a.status, lang), status_label(cs[0].b.status, lang)),
                "personer": cs.iter().map(|c| serde_json::json!({
                    "id": c.person_id, "kontor": c.home.kontor,
                    "lagt_til": c.gained().join(", "), "falt_bort": c.lost().join(", "),
                    "a": c.a.explanation(), "b": c.b.explanation(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The rule owner's page: the headline, the transition matrix, the offices most affected and
/// a few example persons per transition with both explanations.
fn render_html(
    args: &CompareArgs,
    rules_a: &RuleSet,
    rules_b: &RuleSet,
    transitions: &BTreeMap<(Status, Status), u64>,
    offices: &BTreeMap<Key, Shown>,
    changes: &[&Change],
) -> anyhow::Result<String> {
    let lang = args.lang;
    let count = |f: &dyn Fn(Status, Status) -> bool| -> u64 {
        transitions
            .iter()
            .filter(|((a, b), _)| f(*a, *b))
            .map(|(_, n)| n)
            .sum()
    };
    let cand_a = count(&|a, _| a == Status::Kandidat);
    let cand_b = count(&|_, b| b == Status::Kandidat);
    let statuses = Status::ALL;
    let matrix: Vec<(String, Vec<u64>)> = statuses
        .iter()
        .map(|a| {
            (
                status_label(*a, lang).to_string(),
                statuses
                    .iter()
                    .map(|b| transitions.get(&(*a, *b)).copied().unwrap_or(0))
                    .collect(),
            )
        })
        .collect();
    let affected = most_affected(offices);
    let examples = examples(changes, lang);
    let diff = cand_b as i64 - cand_a as i64;
    let g = |n: u64| crate::output::numbers::group(n, lang);
    let (ca, cb, d) = (g(cand_a), g(cand_b), g(diff.unsigned_abs()));
    use crate::i18n::pages::Page;
    let headline = match diff.signum() {
        1 => Page::EndringFlere.fill(lang, &[&d, &ca, &cb]),
        -1 => Page::EndringFaerre.fill(lang, &[&d, &ca, &cb]),
        _ => Page::EndringLike.fill(lang, &[&ca]),
    };
    let mut env = minijinja::Environment::new();
    crate::output::numbers::register(&mut env, lang);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("endringer.html", include_str!("compare.html"))?;
    Ok(env
        .get_template("endringer.html")?
        .render(minijinja::context! {
            t => crate::i18n::pages::ENDRINGER.map(lang),
            dato => args.as_of.to_string(),
            a => format!("{} ({})", rules_a.origin, &rules_a.hash()[..12]),
            b => format!("{} ({})", rules_b.origin, &rules_b.hash()[..12]),
            satt => args.set.clone(),
            headline => headline,
            statuses => statuses.iter().map(|s| status_label(*s, lang)).collect::<Vec<_>>(),
            matrix => matrix,
            kontorer => affected,
            eksempler => examples,
            endret => changes.len(),
            bare_ordlyd => changes.iter().filter(|c| c.kind == ChangeKind::Forklaring).count(),
            versjon => env!("CARGO_PKG_VERSION"),
        })?)
}

/// The summary on stderr: the transition matrix and the rules whose hits changed.
pub fn summary_text(o: &CompareOutcome, lang: Lang) -> String {
    use crate::i18n::{Msg, push};
    use std::fmt::Write as _;
    let mut t = String::new();
    let took = crate::output::numbers::seconds(o.elapsed, lang);
    push(&mut t, lang, Msg::Compared, &[&o.persons, &took]);
    let _ = write!(t, "  {:<18}", "A \\ B");
    for s in Status::ALL {
        let _ = write!(t, "{:>18}", s.as_str());
    }
    let _ = writeln!(t);
    for a in Status::ALL {
        let _ = write!(t, "  {:<18}", a.as_str());
        for b in Status::ALL {
            let n = o.transitions.get(&(a, b)).copied().unwrap_or(0);
            let _ = write!(t, "{n:>18}");
        }
        let _ = writeln!(t);
    }
    let k = |kind| o.per_kind.get(&kind).copied().unwrap_or(0);
    if o.per_kind.is_empty() {
        push(&mut t, lang, Msg::NoChange, &[]);
    } else {
        let (s, r, f) = (
            k(ChangeKind::Status),
            k(ChangeKind::Regler),
            k(ChangeKind::Forklaring),
        );
        push(&mut t, lang, Msg::Changed, &[&s, &r, &f]);
    }
    for (rule, (a, b)) in &o.rules_changed {
        push(
            &mut t,
            lang,
            Msg::RuleCounts,
            &[&format!("{rule:<28}{a:>8} → {b}")],
        );
    }
    t
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

/// `kvp-scan compare`: compares two rule sets and prints the summary.
pub async fn main(cmd: CompareCmd, quiet: bool) -> anyhow::Result<()> {
    let args = CompareArgs {
        data: cmd.data,
        out: cmd.out,
        as_of: cmd.as_of.unwrap_or_else(today),
        rules_a: cmd.rules_a,
        rules_b: cmd.rules_b,
        set: cmd.set,
        lang: cmd.lang,
        engine: cmd.engine.options(),
        pseudonymize: key(cmd.pseudonymize.as_deref())?,
    };
    let o = run(&args).await?;
    if !quiet {
        eprint!("{}", summary_text(&o, args.lang));
    }
    Ok(())
}
