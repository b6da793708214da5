//! The `audit` workflow for supervisors (statsforvalteren): were people who met the criteria
//! offered the programme in time? The rules are evaluated for every Monday of a period in one
//! pass (the Mondays a column of the facts); for each person ever flagged, the first KVP event
//! after the first flag decides the verdict. `audit verify` re-runs an audit from its manifest
//! and confirms the outputs are byte-identical.

pub mod aktivitet;

use std::collections::{BTreeMap, HashMap};

use crate::i18n::Msg;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{Datelike, NaiveDate, Weekday};
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Date32Type;
use futures::StreamExt;
use serde::Serialize;
use tracing::info;

use crate::commands::args::{EngineArgs, parse_date};
use crate::contract::Lang;
use crate::contract::load::date_from_days;
use crate::engine::session::Session;
use crate::engine::{Engine, EngineOptions};
use crate::output::categories::age_band;
use crate::output::csv_out::{done, id_cell, safe, writer};
use crate::output::manifest::{Provenance, rule_entries};
use crate::output::suppress::{Shown, Table};
use crate::output::{OutputDir, Staged, sha256_of};
use crate::rules::Status;
use clap::{Args, Subcommand};

pub const PERSONER: &str = "revisjon.csv";
pub const KONTOR: &str = "revisjon_kontor.csv";
pub const KONTOR_XLSX: &str = "revisjon_kontor.xlsx";
/// Seed 002: what followed a § 20 a activity condition for recipients under 30.
pub const AKTIVITET: &str = "revisjon_aktivitet.csv";
pub const HTML: &str = "revisjon.html";
/// The rows of strengt fortrolig (kode 6) persons: only in a file whose name starts with
/// `skjermet`, like every kode-6 output.
pub const SKJERMET: &str = "skjermet_revisjon.csv";
pub const MANIFEST: &str = "manifest.json";
/// The longest audit period: five years of Mondays in one session.
pub const MAX_PERIOD_DAYS: i64 = 5 * 366;

/// The KVP events that count as an offer having been made (or the person having been reached).
pub const OFFER_EVENTS: [&str; 6] = [
    "INFORMERT",
    "VURDERT",
    "SOKNAD",
    "INNVILGET",
    "AVSLATT",
    "BEGYNT",
];

#[derive(Debug, Clone)]
pub struct AuditArgs {
    pub data: PathBuf,
    pub out: PathBuf,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub frist_dager: i64,
    pub rules: Option<PathBuf>,
    pub lang: Lang,
    pub engine: EngineOptions,
}

/// Every Monday from `from` to `to`, inclusive.
pub fn mondays(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut d = from;
    while d.weekday() != Weekday::Mon {
        d = d.succ_opt().expect("date in range");
    }
    let mut out = Vec::new();
    while d <= to {
        out.push(d);
        d += chrono::Duration::days(7);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vurdering {
    TilbudtITide,
    TilbudtForSent,
    IkkeTilbudt,
}

impl Vurdering {
    /// As people read it.
    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::labels::VURDERING.text(self.as_str(), lang)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Vurdering::TilbudtITide => "tilbudt_i_tide",
            Vurdering::TilbudtForSent => "tilbudt_for_sent",
            Vurdering::IkkeTilbudt => "ikke_tilbudt",
        }
    }
}

/// One person ever flagged in the period.
#[derive(Debug, Clone)]
pub struct Flagged {
    pub person_id: String,
    pub nav_kontor: String,
    /// Strengt fortrolig (kode 6) on the first flag date.
    pub skjermet: bool,
    /// KOSTRA gender code.
    pub kjonn: Option<String>,
    pub forste_flagget: NaiveDate,
    pub alder: i64,
    pub regler: Vec<String>,
    pub hendelse: Option<(String, NaiveDate)>,
    pub vurdering: Vurdering,
}

impl Flagged {
    /// What the first event after the flag was, when there was one: `forst_informert` (only
    /// told about KVP: the caseworker list still needs a follow-up) or `forst_vurdert` (assessed,
    /// applied, granted, refused or started).
    pub fn first_event_kind(&self) -> Option<&'static str> {
        self.hendelse.as_ref().map(|(e, _)| {
            if e == "INFORMERT" {
                "forst_informert"
            } else {
                "forst_vurdert"
            }
        })
    }

    pub fn days(&self) -> Option<i64> {
        self.hendelse
            .as_ref()
            .map(|(_, d)| (*d - self.forste_flagget).num_days())
    }
}

/// The verdict for a flag date and the first offer event on or after it.
pub fn judge(flagged: NaiveDate, event: Option<NaiveDate>, frist_dager: i64) -> Vurdering {
    match event {
        Some(d) if (d - flagged).num_days() <= frist_dager => Vurdering::TilbudtITide,
        Some(_) => Vurdering::TilbudtForSent,
        None => Vurdering::IkkeTilbudt,
    }
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

/// Every person a candidate on at least one of the Mondays, with the first such Monday, in one
/// pass per parameter set: the data is loaded once (as of `--to`) and each rule runs once over
/// all Mondays, the dates being a column of every fact. Mondays whose parameters in force differ
/// (a threshold changed during the period) are evaluated in separate passes.
/// Also returns the offer events of the data as of `--to`, per person, oldest first.
async fn flagged_persons(
    args: &AuditArgs,
    session: &mut Session,
) -> anyhow::Result<(Vec<Flagged>, OfferEvents, Vec<aktivitet::Young>)> {
    let passes = session.passes(&mondays(args.from, args.to));
    let mut first: BTreeMap<String, Flagged> = BTreeMap::new();
    let mut events = None;
    let mut young = Vec::new();
    for (k, dates) in passes.iter().enumerate() {
        let started = std::time::Instant::now();
        let engine = session.dated_engine(dates).await?;
        if events.is_none() {
            // read first: the last pass lets the payments go, and the cohort reads them
            events = Some(offer_events(&engine).await?);
            young = aktivitet::cohort(&engine, args.from, args.to).await?;
        }
        let statuses = if k + 1 == passes.len() {
            session.last_statuses_on(&engine).await?
        } else {
            session.statuses_on(&engine).await?
        };
        let rules = &session.rules;
        // statuses come sorted by date, so the first kandidat row per person is the first flag
        let mut new: Vec<Flagged> = Vec::new();
        let mut seen = vec![false; statuses.persons.len()];
        for s in &statuses.rows {
            let id = &statuses.persons[s.person as usize];
            if s.status != Status::Kandidat || seen[s.person as usize] || first.contains_key(id) {
                continue;
            }
            seen[s.person as usize] = true;
            new.push(Flagged {
                person_id: id.clone(),
                nav_kontor: String::new(),
                skjermet: false,
                kjonn: None,
                forste_flagget: s.dato,
                alder: 0,
                regler: s.treff.iter().map(|i| rules.rules[*i].id.clone()).collect(),
                hendelse: None,
                vurdering: Vurdering::IkkeTilbudt,
            });
        }
        fill_person_facts(&engine, &mut new).await?;
        info!(
            mondays = dates.len(),
            newly_flagged = new.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "audit pass done"
        );
        for f in new {
            first.insert(f.person_id.clone(), f);
        }
    }
    Ok((
        first.into_values().collect(),
        events.expect("at least one Monday"),
        young,
    ))
}

/// The office and age of each newly flagged person on their first flag date: the `person` fact
/// (the same age as the scan's) for just these persons and dates.
async fn fill_person_facts(engine: &Engine, flagged: &mut [Flagged]) -> anyhow::Result<()> {
    use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Int64Type};
    use std::sync::Arc;
    if flagged.is_empty() {
        return Ok(());
    }
    let dates: Vec<NaiveDate> = flagged.iter().map(|f| f.forste_flagget).collect();
    let dates = crate::engine::facts::dates_batch(&dates)?;
    let mut fields: Vec<Field> = dates
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("person_id", DataType::Utf8, false));
    let mut columns: Vec<ArrayRef> = dates.columns().to_vec();
    columns.push(Arc::new(StringArray::from_iter_values(
        flagged.iter().map(|f| f.person_id.as_str()),
    )));
    let batch = RecordBatch::try_new(
        Arc::new(datafusion::arrow::datatypes::Schema::new(fields)),
        columns,
    )?;
    engine.register_rows("_forste_flagg", batch)?;
    let sql = format!(
        "SELECT person_id, nav_kontor, alder, adressebeskyttelse, kjonn FROM ({})",
        crate::engine::facts::person_sql("JOIN _forste_flagg s ON s.person_id = p.person_id")
    );
    let mut found: HashMap<String, (String, i64, bool, Option<String>)> = HashMap::new();
    let mut stream = engine.query(&sql).await?;
    while let Some(b) = stream.next().await {
        let b = b?;
        let ids = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8)?;
        let ids = ids.as_string::<i32>();
        let kontor = datafusion::arrow::compute::cast(b.column(1), &DataType::Utf8)?;
        let kontor = kontor.as_string::<i32>();
        let alder = b.column(2).as_primitive::<Int64Type>();
        let vern_col = datafusion::arrow::compute::cast(b.column(3), &DataType::Utf8)?;
        let vern = vern_col.as_string::<i32>();
        let kjonn_col = datafusion::arrow::compute::cast(b.column(4), &DataType::Utf8)?;
        let kjonn = kjonn_col.as_string::<i32>();
        for i in 0..b.num_rows() {
            let raw = vern.is_valid(i).then(|| vern.value(i));
            found.insert(
                ids.value(i).to_string(),
                (
                    kontor.value(i).to_string(),
                    alder.value(i),
                    crate::contract::Adressebeskyttelse::is_skjermet(raw),
                    kjonn.is_valid(i).then(|| kjonn.value(i).to_string()),
                ),
            );
        }
    }
    engine.deregister_rows("_forste_flagg")?;
    for f in flagged.iter_mut() {
        let (kontor, alder, skjermet, kjonn) = found
            .remove(&f.person_id)
            .with_context(|| "a flagged person is missing from the person facts")?;
        f.nav_kontor = kontor;
        f.alder = alder;
        f.skjermet = skjermet;
        f.kjonn = kjonn;
    }
    Ok(())
}

type OfferEvents = HashMap<String, Vec<(NaiveDate, String)>>;

/// The offer events in the session's data, per person, oldest first.
async fn offer_events(engine: &Engine) -> anyhow::Result<OfferEvents> {
    let list = OFFER_EVENTS
        .iter()
        .map(|e| format!("'{e}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT person_id, dato, hendelse FROM kvp_hendelser WHERE hendelse IN ({list}) \
         ORDER BY person_id, dato, hendelse"
    );
    let mut out: OfferEvents = HashMap::new();
    let mut stream = engine.query(&sql).await?;
    while let Some(b) = stream.next().await {
        let b = b?;
        let ids = b.column(0).as_string::<i32>();
        let dates = b.column(1).as_primitive::<Date32Type>();
        let ev = b.column(2).as_string::<i32>();
        for i in 0..b.num_rows() {
            out.entry(ids.value(i).to_string())
                .or_default()
                .push((date_from_days(dates.value(i)), ev.value(i).to_string()));
        }
    }
    Ok(out)
}

/// Counts per group, suppressed: (dimension, value) → columns.
/// Per (dimension, value): the CSV's figures, as text.
type GroupTable = Vec<((String, String), Vec<String>)>;

fn group_table(persons: &[Flagged]) -> GroupTable {
    let cols = [
        "flagget",
        "tilbudt_i_tide",
        "tilbudt_for_sent",
        "ikke_tilbudt",
    ];
    // published after the median: the offered split by their first event (`tilbudt` is a
    // cell, never published, so that the sums between the columns are known to suppression)
    let split = ["forst_informert", "forst_vurdert"];
    let all_cols: Vec<&str> = cols
        .iter()
        .chain(&split)
        .chain(["tilbudt"].iter())
        .copied()
        .collect();
    let (mut cells, days, groups) = count_groups(persons, &all_cols);
    for c in &all_cols {
        cells
            .entry(("totalt".into(), "alle".into(), c.to_string()))
            .or_insert(0);
    }
    let mut t = Table::new(cells);
    add_sums(&mut t, &groups, &all_cols);
    let shown = t.suppress();
    let mut groups: Vec<(String, String)> = groups.into_iter().collect();
    groups.sort_by_key(|(d, v)| {
        (
            [
                "totalt",
                "nav_kontor",
                "aldersgruppe",
                "kjonn",
                "regel",
                "skjermet",
            ]
            .iter()
            .position(|x| x == d)
            .unwrap_or(9),
            v.clone(),
        )
    });
    groups
        .into_iter()
        .map(|g| {
            let cell = |c: &str| shown[&(g.0.clone(), g.1.clone(), c.to_string())].text();
            let mut row: Vec<String> = cols.iter().map(|c| cell(c)).collect();
            let offered = days.get(&g).cloned().unwrap_or_default();
            // a median of fewer than five persons is not published
            row.push(if offered.len() >= 5 {
                median(offered)
                    .map(|m| format!("{m:.1}"))
                    .unwrap_or_default()
            } else if offered.is_empty() {
                String::new()
            } else {
                Shown::Secondary.text()
            });
            row.extend(split.iter().map(|c| cell(c)));
            (g, row)
        })
        .collect()
}

type Cells = BTreeMap<(String, String, String), u64>;
type Groups = std::collections::BTreeSet<(String, String)>;

/// Per group (dimension, value): each column's count, and the days to an offer of each person
/// offered. Kode 6 is counted in one national line only.
fn count_groups(
    persons: &[Flagged],
    all_cols: &[&str],
) -> (Cells, BTreeMap<(String, String), Vec<i64>>, Groups) {
    // Counted per group on borrowed keys, one counter per column; the cells are made once per
    // group at the end.
    type Counted = (Vec<u64>, Vec<i64>);
    let mut counted: BTreeMap<(&str, &str), Counted> = BTreeMap::new();
    counted.insert(("totalt", "alle"), (vec![0; all_cols.len()], Vec::new()));
    let col = |c: &str| all_cols.iter().position(|x| *x == c);
    for p in persons {
        // kode 6 is counted in no per-office, per-band or per-rule figure: one national line
        let gs: Vec<(&str, &str)> = if p.skjermet {
            vec![("skjermet", "alle")]
        } else {
            let mut gs = vec![
                ("totalt", "alle"),
                ("nav_kontor", p.nav_kontor.as_str()),
                ("aldersgruppe", age_band(p.alder)),
                (
                    "kjonn",
                    crate::output::categories::gender(p.kjonn.as_deref()),
                ),
            ];
            gs.extend(p.regler.iter().map(|r| ("regel", r.as_str())));
            gs
        };
        let mut hits = vec!["flagget", p.vurdering.as_str()];
        if let Some(kind) = p.first_event_kind() {
            hits.extend([kind, "tilbudt"]);
        }
        let hits: Vec<usize> = hits.into_iter().filter_map(col).collect();
        for g in gs {
            let (counts, days) = counted
                .entry(g)
                .or_insert_with(|| (vec![0; all_cols.len()], Vec::new()));
            for c in &hits {
                counts[*c] += 1;
            }
            if let Some(d) = p.days() {
                days.push(d);
            }
        }
    }
    let mut cells = Cells::new();
    let mut days = BTreeMap::new();
    let mut groups = Groups::new();
    for ((dim, val), (counts, offered)) in counted {
        let g = (dim.to_string(), val.to_string());
        for (c, n) in all_cols.iter().zip(counts) {
            cells.insert((g.0.clone(), g.1.clone(), c.to_string()), n);
        }
        if !offered.is_empty() {
            days.insert(g.clone(), offered);
        }
        groups.insert(g);
    }
    (cells, days, groups)
}

/// The sums suppression must not let reveal a hidden count: the columns within a group, and
/// the offices, age bands and genders adding up to the total.
fn add_sums(t: &mut Table<(String, String, String)>, groups: &Groups, all_cols: &[&str]) {
    for (dim, val) in groups {
        let k = |c: &str| (dim.clone(), val.clone(), c.to_string());
        t.sum(
            vec![
                k("tilbudt_i_tide"),
                k("tilbudt_for_sent"),
                k("ikke_tilbudt"),
            ],
            k("flagget"),
        );
        t.sum(vec![k("tilbudt"), k("ikke_tilbudt")], k("flagget"));
        t.sum(
            vec![k("tilbudt_i_tide"), k("tilbudt_for_sent")],
            k("tilbudt"),
        );
        t.sum(vec![k("forst_informert"), k("forst_vurdert")], k("tilbudt"));
    }
    for dim in ["nav_kontor", "aldersgruppe", "kjonn"] {
        let vals: Vec<&String> = groups
            .iter()
            .filter(|(d, _)| d == dim)
            .map(|(_, v)| v)
            .collect();
        for c in all_cols {
            t.sum(
                vals.iter()
                    .map(|v| (dim.to_string(), (*v).clone(), c.to_string()))
                    .collect(),
                ("totalt".into(), "alle".into(), c.to_string()),
            );
        }
    }
}

/// What the summary on stderr needs.
pub struct AuditOutcome {
    pub weeks: usize,
    pub flagged: usize,
    pub per_vurdering: BTreeMap<&'static str, usize>,
    pub elapsed: std::time::Duration,
}

/// One row per flagged person (`revisjon.csv`, or `skjermet_revisjon.csv` for kode 6).
fn write_persons(
    out: &OutputDir,
    name: &str,
    persons: &[&Flagged],
    (rules, lang): (&crate::rules::RuleSet, Lang),
) -> anyhow::Result<Staged> {
    let mut w = writer(out.temp(name)?)?;
    w.write_record(crate::output::csv_out::header(
        lang,
        &[
            "Person-ID",
            "NAV-kontor",
            "Første gang flagget",
            "Alder da",
            "Aldersgruppe",
            "Regler",
            "Første KVP-hendelse etter",
            "Dato",
            "Dager",
            "Vurdering",
        ],
        &[
            "Person ID",
            "NAV office",
            "First flagged",
            "Age then",
            "Age band",
            "Rules",
            "First KVP event after",
            "Date",
            "Days",
            "Verdict",
        ],
    ))?;
    for p in persons {
        w.write_record([
            id_cell(&p.person_id),
            id_cell(&p.nav_kontor),
            p.forste_flagget.to_string(),
            p.alder.to_string(),
            crate::output::categories::label(age_band(p.alder), lang),
            p.regler
                .iter()
                .map(|r| rules.title(r, lang))
                .collect::<Vec<_>>()
                .join("; "),
            p.hendelse
                .as_ref()
                .map(|h| crate::contract::label("hendelse", &h.0, lang))
                .unwrap_or_default(),
            p.hendelse
                .as_ref()
                .map(|h| h.1.to_string())
                .unwrap_or_default(),
            p.days().map(|d| d.to_string()).unwrap_or_default(),
            p.vurdering.label(lang).to_string(),
        ])?;
    }
    done(w, name, persons.len() as u64)
}

/// Writes the audit into `args.out`. Outputs carry no timestamps, so a re-run on the same
/// inputs gives the same bytes.
pub async fn run(args: &AuditArgs) -> anyhow::Result<AuditOutcome> {
    run_into(args, OutputDir::create(&args.out)?).await
}

/// [`run`] into `out` (a scratch folder for `audit verify`'s re-run).
async fn run_into(args: &AuditArgs, out: OutputDir) -> anyhow::Result<AuditOutcome> {
    let weeks = check_period(args)?;
    let started = std::time::Instant::now();
    // the data as of --to, loaded once: every Monday is evaluated on it (each fact keeps the
    // rows dated on or before its Monday), and the manifest records its inputs
    let mut session =
        Session::open(&args.data, args.rules.as_deref(), args.to, &args.engine).await?;
    let (mut persons, events, young) = flagged_persons(args, &mut session).await?;
    let (rules, at_to) = (&session.rules, &session.data);
    let known = aktivitet::Known::of(at_to);
    let young = aktivitet::table(&young);
    for p in &mut persons {
        p.hendelse = events
            .get(&p.person_id)
            .and_then(|ev| ev.iter().find(|(d, _)| *d >= p.forste_flagget))
            .map(|(d, e)| (e.clone(), *d));
        p.vurdering = judge(
            p.forste_flagget,
            p.hendelse.as_ref().map(|h| h.1),
            args.frist_dager,
        );
    }
    persons.sort_by(|a, b| {
        (&a.nav_kontor, a.forste_flagget, &a.person_id).cmp(&(
            &b.nav_kontor,
            b.forste_flagget,
            &b.person_id,
        ))
    });

    let (skjermet, listed): (Vec<&Flagged>, Vec<&Flagged>) =
        persons.iter().partition(|p| p.skjermet);
    let mut staged = vec![
        write_persons(&out, PERSONER, &listed, (rules, args.lang))?,
        write_persons(&out, SKJERMET, &skjermet, (rules, args.lang))?,
    ];

    let groups = group_table(&persons);
    staged.extend(write_groups(&out, &groups, rules, args)?);
    staged.push(write_aktivitet(&out, &young, args.lang)?);

    let html = render_html(args, rules, &groups, (&young, known))?;
    staged.push(out.stage_bytes(HTML, html.as_bytes(), groups.len() as u64)?);

    let inputs = at_to.inputs.clone();
    let utdata = crate::output::manifest::output_entries(&staged)?;
    let m = Provenance {
        fra: Some(args.from.to_string()),
        til: Some(args.to.to_string()),
        frist_dager: Some(args.frist_dager),
        mandager: Some(weeks.len()),
        regelsett: Some(rule_entries(rules, args.to)),
        inndata: inputs,
        utdata,
        ..Provenance::new("kvp-scan audit", args.lang)
    };
    staged.push(out.stage_json(MANIFEST, &m)?);
    out.commit(staged)?;

    let mut per_vurdering = BTreeMap::new();
    for p in &persons {
        *per_vurdering.entry(p.vurdering.as_str()).or_insert(0) += 1;
    }
    Ok(AuditOutcome {
        weeks: weeks.len(),
        flagged: persons.len(),
        per_vurdering,
        elapsed: started.elapsed(),
    })
}

/// The period must run forwards, be at most five years, and hold a Monday: its Mondays.
fn check_period(args: &AuditArgs) -> anyhow::Result<Vec<NaiveDate>> {
    anyhow::ensure!(
        args.from <= args.to,
        "{}",
        crate::tr!(
            "--from {} er etter --to {}",
            "--from {} is after --to {}",
            args.from,
            args.to
        )
    );
    anyhow::ensure!(
        (args.to - args.from).num_days() <= MAX_PERIOD_DAYS,
        "{}",
        crate::tr!(
            "tilsynsperioden {} til {} er lengre enn {} dager (fem år); gjør tilsyn med en \
             kortere periode, f.eks. ett år om gangen",
            "the audit period {} to {} is longer than {} days (five years); audit a shorter \
             period, e.g. one year at a time",
            args.from,
            args.to,
            MAX_PERIOD_DAYS
        )
    );
    let weeks = mondays(args.from, args.to);
    anyhow::ensure!(
        !weeks.is_empty(),
        "{}",
        crate::tr!(
            "det er ingen mandag fra {} til {}",
            "there is no Monday from {} to {}",
            args.from,
            args.to
        )
    );
    Ok(weeks)
}

/// `revisjon_kontor.csv` and `.xlsx`: the groups (office, age band, rule, gender) in words.
fn write_groups(
    out: &OutputDir,
    groups: &GroupTable,
    rules: &crate::rules::RuleSet,
    args: &AuditArgs,
) -> anyhow::Result<Vec<Staged>> {
    let mut staged = Vec::new();
    let mut w = writer(out.temp(KONTOR)?)?;
    let head = crate::output::csv_out::header(
        args.lang,
        &[
            "Dimensjon",
            "Verdi",
            "Flagget",
            "Tilbudt i tide",
            "Tilbudt for sent",
            "Ikke tilbudt",
            "Median dager til tilbud",
            "Tilbudt: først bare informert",
            "Tilbudt: først vurdert, søkt eller startet",
        ],
        &[
            "Dimension",
            "Value",
            "Flagged",
            "Offered in time",
            "Offered late",
            "Not offered",
            "Median days to an offer",
            "Offered: at first only informed",
            "Offered: at first assessed, applied or started",
        ],
    );
    w.write_record(&head)?;
    let mut sheet_rows = Vec::with_capacity(groups.len());
    for ((dim, val), row) in groups {
        use crate::output::xlsx_out::Cell;
        let dimension = dimension_label(dim, args.lang).to_string();
        let mut r = vec![dimension.clone(), value_label(dim, val, rules, args.lang)];
        r.extend(row.iter().cloned());
        // the median with a decimal comma in Norwegian
        r[6] = crate::output::numbers::decimal_mark(&r[6], args.lang);
        let mut cells = vec![
            Cell::Text(dimension),
            match dim.as_str() {
                "nav_kontor" => Cell::Id(val.clone()),
                _ => Cell::Text(r[1].clone()),
            },
        ];
        cells.extend(r[2..].iter().map(|c| Cell::figure(c)));
        sheet_rows.push(cells);
        w.write_record(r)?;
    }
    staged.push(done(w, KONTOR, groups.len() as u64)?);
    // the same table as a workbook, dated with the period's end so a re-run gives the same bytes
    let sheet = crate::i18n::pages::REVISJON.text("ark", args.lang);
    staged.push(crate::output::xlsx_out::write(
        out,
        KONTOR_XLSX,
        sheet,
        &head,
        &sheet_rows,
        args.to,
    )?);

    Ok(staged)
}

/// A dimension of `revisjon_kontor.csv` as people read it.
fn dimension_label(dim: &str, lang: Lang) -> &'static str {
    let t = &crate::i18n::labels::REVISJON_NIVA;
    t.get(dim, lang).unwrap_or_else(|| t.text("skjermet", lang))
}

/// A value of a dimension as people read it: offices as text (leading zeros kept in Excel),
/// rules by title, age bands and genders in words.
fn value_label(dim: &str, val: &str, rules: &crate::rules::RuleSet, lang: Lang) -> String {
    match dim {
        "nav_kontor" => id_cell(val),
        "regel" => safe(&rules.title(val, lang)),
        "aldersgruppe" | "kjonn" => crate::output::categories::label(val, lang),
        _ if val == "alle" => crate::i18n::labels::REVISJON_NIVA.word("alle", lang),
        _ => safe(val),
    }
}

/// A share in per cent, with a decimal comma in Norwegian.
fn pct(part: u64, whole: u64, lang: Lang) -> String {
    let p = if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    };
    crate::output::numbers::decimal(p, 1, lang)
}

/// One row of a section of the page: the counts as published, and the shares when shown.
#[derive(Serialize)]
struct PageRow {
    navn: String,
    tall: Vec<String>,
    andel_i_tide: Option<String>,
    andel_ikke: Option<String>,
    /// bar widths in per cent of the row's flagged persons
    bredde_i_tide: f64,
    bredde_for_sent: f64,
}

#[derive(Serialize)]
struct PageSection {
    id: &'static str,
    tittel: &'static str,
    rader: Vec<PageRow>,
}

/// The supervisor's page: a headline sentence, then per office (lowest share offered in time
/// first), per age band (in age order) and per rule, with shares and bars; the national
/// `skjermet` line last. Only published (suppressed) counts are used.
/// `revisjon_aktivitet.csv`: the § 20 a follow-up per office and in total.
fn write_aktivitet(out: &OutputDir, young: &[AktivitetRow], lang: Lang) -> anyhow::Result<Staged> {
    let mut w = writer(out.temp(AKTIVITET)?)?;
    w.write_record(aktivitet::headings(lang))?;
    for ((level, unit), cells) in young {
        let mut r = vec![aktivitet_unit(level, unit, lang)];
        r.extend(cells.iter().map(|c| c.text()));
        w.write_record(r)?;
    }
    done(w, AKTIVITET, young.len() as u64)
}

type AktivitetRow = ((String, String), Vec<Shown>);

fn aktivitet_unit(level: &str, unit: &str, lang: Lang) -> String {
    match level {
        "nav_kontor" => id_cell(unit),
        "totalt" => crate::i18n::labels::REVISJON_NIVA.word("totalt", lang),
        _ => crate::i18n::labels::REVISJON_NIVA.word("skjermet", lang),
    }
}

fn render_html(
    args: &AuditArgs,
    rules: &crate::rules::RuleSet,
    groups: &[((String, String), Vec<String>)],
    (young, known): (&[AktivitetRow], aktivitet::Known),
) -> anyhow::Result<String> {
    let lang = args.lang;
    let total = groups
        .iter()
        .find(|((d, _), _)| d == "totalt")
        .map(|(_, r)| r.clone())
        .unwrap_or_default();
    let headline = headline(&total, args.frist_dager, lang);
    let sections = page_sections(groups, &total, rules, lang);
    let mut env = minijinja::Environment::new();
    crate::output::numbers::register(&mut env, args.lang);
    env.add_template("revisjon.html", include_str!("audit.html"))?;
    Ok(env
        .get_template("revisjon.html")?
        .render(minijinja::context! {
            t => crate::i18n::pages::REVISJON.map(lang),
            fra => args.from.to_string(),
            til => args.to.to_string(),
            frist => args.frist_dager,
            overskrift => headline,
            seksjoner => sections,
            aktivitet_kolonner => &aktivitet::headings(lang)[1..],
            aktivitet => young.iter().map(|((level, unit), cells)| {
                let label = match level.as_str() {
                    "nav_kontor" => unit.clone(),
                    _ => aktivitet_unit(level, unit, lang),
                };
                (label, cells.iter().map(|c| c.text()).collect::<Vec<_>>())
            }).collect::<Vec<_>>(),
            aktivitet_kjent => known.vilkar,
            ytelser_kjent => known.ytelser,
            hendelser_kjent => known.kvp_hendelser,
            versjon => env!("CARGO_PKG_VERSION"),
        })?)
}

/// A figure of the CSV as a number (a hidden one is none).
fn num(s: &str) -> Option<u64> {
    s.parse::<u64>().ok()
}

/// One row of the page: the figures, the shares offered in time and never, and the bar widths.
fn page_row(name: String, r: &[String], lang: Lang) -> PageRow {
    let median =
        |s: &str| crate::output::numbers::decimal_mark(s.strip_suffix(".0").unwrap_or(s), lang);
    let (flagget, i_tide, for_sent, ikke) = (num(&r[0]), num(&r[1]), num(&r[2]), num(&r[3]));
    let share = |x: Option<u64>| match (x, flagget) {
        (Some(x), Some(f)) if f > 0 => Some(pct(x, f, lang)),
        _ => None,
    };
    let width = |x: Option<u64>| match (x, flagget) {
        (Some(x), Some(f)) if f > 0 => x as f64 * 100.0 / f as f64,
        _ => 0.0,
    };
    let mut tall: Vec<String> = r[..4].to_vec();
    tall.push(median(&r[4]));
    PageRow {
        navn: name,
        andel_i_tide: share(i_tide),
        andel_ikke: share(ikke),
        bredde_i_tide: width(i_tide),
        bredde_for_sent: width(for_sent),
        tall,
    }
}

/// The page's first sentence: how many of the flagged were offered KVP in time, how many never,
/// and how the offered first heard of it.
fn headline(total: &[String], frist_dager: i64, lang: Lang) -> String {
    use crate::i18n::pages::Revisjon;
    let g = |n: u64| crate::output::numbers::group(n, lang);
    let headline = match (
        total.first().and_then(|s| num(s)),
        total.get(1).and_then(|s| num(s)),
        total.get(3).and_then(|s| num(s)),
    ) {
        (Some(f), Some(t), Some(i)) if f > 0 => Revisjon::Tilbudt.fill(
            lang,
            &[
                &g(t),
                &g(f),
                &pct(t, f, lang),
                &frist_dager,
                &pct(i, f, lang),
            ],
        ),
        (Some(0), _, _) => Revisjon::IngenFlagget.text(lang).to_string(),
        _ => Revisjon::ForSma.text(lang).to_string(),
    };
    // the offered, split by their first event (informed only, or further)
    match (
        total.get(5).and_then(|s| num(s)),
        total.get(6).and_then(|s| num(s)),
    ) {
        (Some(x), Some(y)) if x + y > 0 => Revisjon::ForstInformert.fill(
            lang,
            &[&headline, &g(x + y), &g(x), &pct(x, x + y, lang), &g(y)],
        ),
        _ => headline,
    }
}

/// The page's sections: total, offices (worst first), age bands, genders and rules.
fn page_sections(
    groups: &[((String, String), Vec<String>)],
    total: &[String],
    rules: &crate::rules::RuleSet,
    lang: Lang,
) -> Vec<PageSection> {
    let row = |name: String, r: &Vec<String>| page_row(name, r, lang);
    let of = |dim: &str| -> Vec<&((String, String), Vec<String>)> {
        groups.iter().filter(|((d, _), _)| d == dim).collect()
    };
    let (offices, bands, genders) = (
        office_rows(&of("nav_kontor"), lang),
        band_rows(&of("aldersgruppe"), lang),
        gender_rows(&of("kjonn"), lang),
    );
    let by_rule: Vec<PageRow> = of("regel")
        .into_iter()
        .map(|((_, v), r)| row(rules.title(v, lang), r))
        .collect();
    let niva = &crate::i18n::labels::REVISJON_NIVA;
    let mut all = vec![page_row(niva.word("alle", lang), total, lang)];
    all.extend(
        of("skjermet")
            .into_iter()
            .map(|(_, r)| row(niva.word("skjermet", lang), r)),
    );
    let t = |key| crate::i18n::pages::REVISJON.text(key, lang);
    vec![
        PageSection {
            id: "totalt",
            tittel: t("totalt"),
            rader: all,
        },
        PageSection {
            id: "kontor",
            tittel: t("per_kontor"),
            rader: offices,
        },
        PageSection {
            id: "alder",
            tittel: t("per_alder"),
            rader: bands,
        },
        PageSection {
            id: "kjonn",
            tittel: t("per_kjonn"),
            rader: genders,
        },
        PageSection {
            id: "regel",
            tittel: t("per_regel"),
            rader: by_rule,
        },
    ]
}

type Group = ((String, String), Vec<String>);

/// The offices, the lowest share offered in time first (hidden shares last).
fn office_rows(groups: &[&Group], lang: Lang) -> Vec<PageRow> {
    let mut offices: Vec<PageRow> = groups
        .iter()
        .map(|((_, v), r)| page_row(v.clone(), r, lang))
        .collect();
    offices.sort_by(|a, b| {
        let key = |r: &PageRow| (r.andel_i_tide.is_none(), (r.bredde_i_tide * 1000.0) as i64);
        key(a).cmp(&key(b)).then_with(|| a.navn.cmp(&b.navn))
    });
    offices
}

/// The age bands in age order.
fn band_rows(groups: &[&Group], lang: Lang) -> Vec<PageRow> {
    crate::output::categories::AGE_BANDS
        .iter()
        .filter_map(|b| {
            groups.iter().find(|((_, v), _)| v == b).map(|(_, r)| {
                let name = b
                    .replace('_', "–")
                    .replace("–plus", "+")
                    .replace("under–", "under ");
                page_row(name, r, lang)
            })
        })
        .collect()
}

/// Women, men, unknown.
fn gender_rows(groups: &[&Group], lang: Lang) -> Vec<PageRow> {
    ["kvinne", "mann", "ukjent"]
        .iter()
        .filter_map(|g| {
            groups.iter().find(|((_, v), _)| v == g).map(|(_, r)| {
                let name = crate::i18n::labels::KJONN_GRUPPE.word(g, lang);
                page_row(name, r, lang)
            })
        })
        .collect()
}

/// The outcome of `audit verify`: one line per output file.
pub struct VerifyOutcome {
    pub lines: Vec<String>,
    pub ok: bool,
    /// The audit's language (from its manifest): the lines are in it.
    pub lang: Lang,
}

/// The largest manifest `audit verify` reads.
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// A path from a manifest: relative, plain components only (no `..`, no root, no prefix).
fn checked_relative(fil: &str, what: &str) -> anyhow::Result<PathBuf> {
    use std::path::Component;
    let p = Path::new(fil);
    let plain = !fil.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    anyhow::ensure!(
        plain,
        "{}",
        crate::tr!(
            "manifestet nevner {what} `{}`, som ikke er en enkel relativ sti inne i mappen; \
             manifestet er ikke skrevet av kvp-scan",
            "the manifest names {what} `{}`, which is not a plain relative path inside the \
             folder; the manifest was not written by kvp-scan",
            fil.chars().take(80).collect::<String>()
        )
    );
    Ok(p.to_path_buf())
}

/// Every file below `dir`, as relative paths with `/` (the manifest's form).
fn files_below(dir: &Path) -> anyhow::Result<std::collections::BTreeSet<String>> {
    let mut out = std::collections::BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let list = || crate::tr!("kan ikke liste {}", "cannot list {}", d.display());
        for e in std::fs::read_dir(&d).with_context(list)? {
            let e = e.with_context(list)?;
            let kind = e.file_type()?;
            if kind.is_dir() {
                todo.push(e.path());
            } else {
                let rel = e.path();
                let rel = rel.strip_prefix(dir).unwrap_or(&rel);
                out.insert(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    Ok(out)
}

fn read_recorded(path: &Path) -> anyhow::Result<Provenance> {
    use std::io::Read;
    let cannot = || crate::tr!("kan ikke lese {}", "cannot read {}", path.display());
    let f = std::fs::File::open(path).with_context(cannot)?;
    let mut bytes = Vec::new();
    f.take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(cannot)?;
    anyhow::ensure!(
        bytes.len() as u64 <= MAX_MANIFEST_BYTES,
        "{}",
        crate::tr!(
            "{} er større enn {} MiB: ikke et tilsynsmanifest",
            "{} is larger than {} MiB: not an audit manifest",
            path.display(),
            MAX_MANIFEST_BYTES >> 20
        )
    );
    let m: Provenance = serde_json::from_slice(&bytes).with_context(|| {
        crate::tr!(
            "{} er ikke et tilsynsmanifest (forventet JSON-en `audit` skriver)",
            "{} is not an audit manifest (expected the JSON `audit` writes)",
            path.display()
        )
    })?;
    for f in m.utdata.iter() {
        checked_relative(&f.fil, &crate::tr!("utdatafilen", "the output"))?;
    }
    for f in m.inndata.iter() {
        checked_relative(&f.fil, &crate::tr!("inndatafilen", "the input"))?;
    }
    Ok(m)
}

fn short(sha: &str) -> String {
    sha.chars().take(12).collect()
}

/// Re-runs the audit recorded in `out/manifest.json` on `data` and compares every output. The
/// audit folder must hold exactly the files the manifest names (a missing, extra or altered
/// file fails), and the re-run must write exactly those files with those hashes.
pub async fn verify(
    out: &Path,
    data: &Path,
    rules: Option<PathBuf>,
    engine: EngineOptions,
) -> anyhow::Result<VerifyOutcome> {
    let mpath = out.join(MANIFEST);
    let m = read_recorded(&mpath)?;
    let tmp = tempfile::tempdir()?;
    let (args, recorded_rules) = recorded_args(&m, &mpath, (data, rules, engine), tmp.path())?;
    let mut v = VerifyLines {
        lines: Vec::new(),
        ok: true,
        lang: m.sprak,
    };
    // the outputs as given, hashed while the audit runs again
    let mut present = files_below(out)?;
    let given = {
        let out = out.to_path_buf();
        let names: Vec<String> = m
            .utdata
            .iter()
            .filter(|o| present.contains(&o.fil))
            .map(|o| o.fil.clone())
            .collect();
        tokio::task::spawn_blocking(move || -> HashMap<String, String> {
            names
                .into_iter()
                .filter_map(|n| sha256_of(&out.join(&n)).ok().map(|h| (n, h)))
                .collect()
        })
    };
    // the re-run, whose manifest records the inputs as they are now (read once, by the run);
    // its files are only hashed, so nothing of it is synced to disk
    run_into(&args, OutputDir::scratch(&args.out)?).await?;
    let given = given.await?;
    let again = read_recorded(&tmp.path().join("ut").join(MANIFEST))?;
    // the inputs first: a changed input explains a changed output
    v.inputs(&m.inndata, &again.inndata);
    // the folder holds exactly the manifest's outputs (and the manifest)
    let recorded: std::collections::BTreeSet<String> =
        m.utdata.iter().map(|o| o.fil.clone()).collect();
    present.remove(MANIFEST);
    for extra in present.difference(&recorded) {
        v.fail(Msg::VerifyExtra.fill(v.lang, &[extra]));
    }
    if again.regelsett.as_ref().map(|r| &r.sha256) != Some(&recorded_rules) {
        v.fail(Msg::VerifyRules.text(v.lang).to_string());
    }
    for o in again.utdata.iter().filter(|o| !recorded.contains(&o.fil)) {
        v.fail(Msg::VerifyNotInManifest.fill(v.lang, &[&o.fil]));
    }
    for o in &m.utdata {
        let given = given.get(&o.fil).cloned();
        v.output(o, given, again.utdata.iter().find(|x| x.fil == o.fil));
    }
    Ok(VerifyOutcome {
        lines: v.lines,
        ok: v.ok,
        lang: v.lang,
    })
}

/// The audit the manifest records, to re-run into `tmp`; and its rule set's hash. A manifest
/// without period, deadline or rule set is not an audit's.
fn recorded_args(
    m: &Provenance,
    mpath: &Path,
    (data, rules, engine): (&Path, Option<PathBuf>, EngineOptions),
    tmp: &Path,
) -> anyhow::Result<(AuditArgs, String)> {
    let (Some(fra), Some(til), Some(frist_dager), Some(recorded_rules)) = (
        m.fra.as_deref(),
        m.til.as_deref(),
        m.frist_dager,
        m.regelsett.as_ref(),
    ) else {
        anyhow::bail!(
            "{}",
            crate::tr!(
                "{} er ikke et tilsynsmanifest (mangler periode, frist eller regelsett)",
                "{} is not an audit manifest (no period, deadline or rule set)",
                mpath.display()
            )
        );
    };
    let date = |s: &str, k: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| {
            crate::tr!(
                "{}: `{k}` er ikke en dato",
                "{}: `{k}` is not a date",
                mpath.display()
            )
        })
    };
    let args = AuditArgs {
        data: data.to_path_buf(),
        out: tmp.join("ut"),
        from: date(fra, "fra")?,
        to: date(til, "til")?,
        frist_dager,
        rules,
        lang: m.sprak,
        engine,
    };
    Ok((args, recorded_rules.sha256.clone()))
}

/// What `audit verify` has found so far, in the audit's language.
struct VerifyLines {
    lines: Vec<String>,
    ok: bool,
    lang: Lang,
}

impl VerifyLines {
    fn fail(&mut self, line: String) {
        self.ok = false;
        self.lines.push(line);
    }

    /// Every recorded input is there unchanged, and none was added.
    fn inputs(
        &mut self,
        recorded: &[crate::contract::load::InputFile],
        now: &[crate::contract::load::InputFile],
    ) {
        let lang = self.lang;
        for r in recorded {
            match now.iter().find(|i| i.fil == r.fil) {
                Some(i) if i.sha256 == r.sha256 => {}
                Some(_) => self.fail(Msg::VerifyInputChanged.fill(lang, &[&r.fil])),
                None => self.fail(Msg::VerifyInputMissing.fill(lang, &[&r.fil])),
            }
        }
        for i in now
            .iter()
            .filter(|i| !recorded.iter().any(|r| r.fil == i.fil))
        {
            self.fail(Msg::VerifyInputAdded.fill(lang, &[&i.fil]));
        }
    }

    /// One recorded output: present with the recorded hash, and rewritten with it by the re-run.
    fn output(
        &mut self,
        o: &crate::output::manifest::OutputEntry,
        given: Option<String>,
        rerun: Option<&crate::output::manifest::OutputEntry>,
    ) {
        let lang = self.lang;
        match (given, rerun) {
            (None, _) => self.fail(Msg::VerifyMissing.fill(lang, &[&o.fil])),
            (Some(g), _) if g != o.sha256 => {
                self.fail(Msg::VerifyDiffersManifest.fill(lang, &[&o.fil]))
            }
            (Some(_), None) => self.fail(Msg::VerifyNotRewritten.fill(lang, &[&o.fil])),
            (Some(_), Some(r)) if r.sha256 != o.sha256 => {
                self.fail(Msg::VerifyDiffersRerun.fill(lang, &[&o.fil]))
            }
            (Some(_), Some(_)) => self
                .lines
                .push(Msg::VerifyIdentical.fill(lang, &[&o.fil, &short(&o.sha256)])),
        }
    }
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

/// `kvp-scan audit` and `audit verify`.
pub async fn main(cmd: AuditCmd, quiet: bool) -> anyhow::Result<()> {
    match cmd.verify {
        Some(AuditSub::Verify { out, data, rules }) => {
            let v = verify(&out, &data, rules, EngineOptions::default()).await?;
            for l in &v.lines {
                println!("{l}");
            }
            if !v.ok {
                let (out, data) = (out.display(), data.display());
                anyhow::bail!(crate::i18n::Msg::AuditMismatch.fill(v.lang, &[&out, &data]));
            }
            if !quiet {
                eprintln!("{}", crate::i18n::Msg::AuditVerified.text(v.lang));
            }
            Ok(())
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
            let args = AuditArgs {
                data: cmd.data.ok_or_else(|| need("data"))?,
                out: cmd.out.ok_or_else(|| need("out"))?,
                from: cmd.from.ok_or_else(|| need("from"))?,
                to: cmd.to.ok_or_else(|| need("to"))?,
                frist_dager: cmd.frist_dager,
                rules: cmd.rules,
                lang: cmd.lang,
                engine: cmd.engine.options(),
            };
            let o = run(&args).await?;
            if !quiet {
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
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_has_words() {
        for v in [
            Vurdering::TilbudtITide,
            Vurdering::TilbudtForSent,
            Vurdering::IkkeTilbudt,
        ] {
            assert_ne!(v.label(Lang::Nb), v.as_str(), "{v:?}");
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn mondays_of_a_period() {
        let m = mondays(d("2026-11-01"), d("2026-11-30"));
        assert_eq!(
            m,
            [
                d("2026-11-02"),
                d("2026-11-09"),
                d("2026-11-16"),
                d("2026-11-23"),
                d("2026-11-30")
            ]
        );
        assert!(mondays(d("2026-11-03"), d("2026-11-08")).is_empty());
    }

    #[test]
    fn verdicts_by_deadline() {
        assert_eq!(
            judge(d("2026-11-02"), Some(d("2026-11-30")), 28),
            Vurdering::TilbudtITide
        );
        assert_eq!(
            judge(d("2026-11-02"), Some(d("2026-12-01")), 28),
            Vurdering::TilbudtForSent
        );
        assert_eq!(judge(d("2026-11-02"), None, 28), Vurdering::IkkeTilbudt);
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(vec![5, 1, 3]), Some(3.0));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
