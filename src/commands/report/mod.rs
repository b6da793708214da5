//! The `report` workflow: is KVP available to everyone in the target group? Participants,
//! pending applications, candidates and exclusions per NAV office, per kommune and in total, by
//! age band, gender and rule; participants by measure regi; ended programmes by outcome; a
//! 12-month trend at the month-ends (the month-ends and the scan date evaluated in one pass, as
//! a scan at each would give it); small counts hidden. Aggregates only, no ids.

pub mod charts;
pub mod office;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::{Datelike, Months, NaiveDate};
use datafusion::arrow::array::{Array, AsArray};
use futures::StreamExt;
use rustc_hash::FxHashMap;
use serde::Serialize;
use tracing::info;

use crate::commands::args::{EngineArgs, EvalArgs};
use crate::contract::Lang;
use crate::contract::names::Names;
use crate::engine::session::Session;
use crate::engine::{Engine, EngineOptions};
use crate::output::categories::*;
use crate::output::file_name;
use crate::output::numbers;
use crate::output::suppress::{Shown, Table};
use crate::output::{OutputDir, Staged};
use crate::rules::{Kind, RuleSet, Status};
use clap::Args;

pub const HTML: &str = "rapport.html";
pub const CSV: &str = "rapport.csv";
pub const JSON: &str = "rapport.json";

#[derive(Debug, Clone)]
pub struct ReportArgs {
    pub data: PathBuf,
    pub out: PathBuf,
    pub as_of: NaiveDate,
    pub rules: Option<PathBuf>,
    pub lang: Lang,
    pub engine: EngineOptions,
    /// Month-ends in the trend.
    pub months: u32,
    /// Offices that get a page of their own (`kontor_<id>.html` and `.csv`).
    pub kontor: Vec<String>,
    /// Those pages show the office its own counts unsuppressed (not for sharing).
    pub intern: bool,
    /// CSV files naming offices (`nav_kontor;navn`) and municipalities (`kommune_nr;navn`).
    pub kontornavn: Option<PathBuf>,
    pub kommunenavn: Option<PathBuf>,
}

/// Status figures, in the order shown.
pub const STATUS: [&str; 6] = [
    "deltakere",
    "i_program",
    "permisjon",
    "under_behandling",
    "kandidater",
    "ekskludert",
];

/// Cell key: (level, unit, table, category).
pub type Key = (String, String, String, String);

/// The levels of the report. `totalt` counts every person without strengt fortrolig address;
/// kode-6 persons are counted only in the one national `skjermet` line (never per office,
/// municipality or band, where a small office could reveal them).
pub const LEVELS: [&str; 5] = ["totalt", "fylke", "nav_kontor", "kommune", "skjermet"];

/// The levels with many units, each adding up to `totalt`.
const UNIT_LEVELS: [&str; 3] = ["fylke", "nav_kontor", "kommune"];

/// Levels with a single unit `alle`, published even when empty.
pub fn single_unit(level: &str) -> bool {
    level == "totalt" || level == "skjermet"
}

/// Office, municipality and whether strengt fortrolig (kode 6).
type Home = (String, String, bool);

/// What one person contributes.
#[derive(Debug, Clone)]
struct Person {
    /// Strengt fortrolig (kode 6): counted only in the `skjermet` line.
    skjermet: bool,
    kontor: crate::engine::Short,
    kommune: crate::engine::Short,
    status: Status,
    tilstand: Option<crate::engine::Short>,
    alder: i64,
    kjonn: Option<crate::engine::Short>,
    treff: Vec<crate::engine::Short>,
    eksklusjoner: Vec<crate::engine::Short>,
    /// How many persons this one stands for: 1, or in the trend the persons of one office and
    /// municipality with the same status and leave (they count alike).
    weight: u64,
}

impl Person {
    /// A person known only by office, municipality and status (the trend's figures).
    fn at_home(home: &Home, status: Status) -> Person {
        let (kontor, kommune, skjermet) = home;
        Person {
            skjermet: *skjermet,
            kontor: kontor.as_str().into(),
            kommune: kommune.as_str().into(),
            status,
            tilstand: None,
            alder: 0,
            kjonn: None,
            treff: Vec::new(),
            eksklusjoner: Vec::new(),
            weight: 1,
        }
    }

    /// The units the person counts in (no allocation: called per person and date).
    fn units(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let (units, n) = if self.skjermet {
            ([("skjermet", "alle"), ("", ""), ("", ""), ("", "")], 1)
        } else {
            (
                [
                    ("totalt", "alle"),
                    ("fylke", fylke(&self.kommune)),
                    ("nav_kontor", self.kontor.as_str()),
                    ("kommune", self.kommune.as_str()),
                ],
                4,
            )
        };
        units.into_iter().take(n)
    }
}

/// Counts for one scan date, before suppression.
#[derive(Debug, Default)]
struct Counts {
    cells: BTreeMap<Key, u64>,
    units: BTreeMap<&'static str, BTreeSet<String>>,
}

impl Counts {
    fn add(&mut self, level: &'static str, unit: &str, table: &str, cat: &str, n: u64) {
        self.units
            .entry(level)
            .or_default()
            .insert(unit.to_string());
        *self
            .cells
            .entry((level.into(), unit.into(), table.into(), cat.into()))
            .or_insert(0) += n;
    }
}

/// The categories of every table, so that every unit has every cell (zeros included); the
/// page's breakdown tables list the same categories (see [`category`]).
fn categories(rules: &RuleSet, full: bool) -> Vec<(&'static str, Vec<String>)> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let ids = |k: Kind| rules.ids(k);
    let mut t = vec![("status", s(&STATUS))];
    if full {
        t.push(("alder_kandidater", s(&AGE_BANDS)));
        t.push(("alder_deltakere", s(&AGE_BANDS)));
        t.push(("kjonn_kandidater", s(&GENDERS)));
        t.push(("kjonn_deltakere", s(&GENDERS)));
        t.push(("regel_kandidater", ids(Kind::Kandidat)));
        t.push(("regel_deltakere", ids(Kind::Kandidat)));
        // exclusions that set a status of their own (deltaker, under_behandling) are not
        // reasons for `ekskludert`
        t.push((
            "ekskludert_grunn",
            rules
                .rules
                .iter()
                .filter(|r| r.kind == Kind::Eksklusjon && r.gir_status.is_none())
                .map(|r| r.id.clone())
                .collect(),
        ));
        t.push(("regi_deltakere", s(&REGI)));
        t.push(("deltakere_tiltak", s(&TILTAK)));
        t.push(("deltakere_aldersgruppe", s(&ALDERSGRUPPE)));
        let mut o = vec!["alle".to_string()];
        o.extend(s(&OUTCOMES));
        t.push(("avsluttet_siste_12_mnd", o.clone()));
        t.push(("avsluttet_planmessig", o.clone()));
        t.push(("avsluttet_avbrudd", o));
    }
    t
}

/// The categories of one table of the full figures.
fn category(rules: &RuleSet, table: &str) -> Vec<String> {
    categories(rules, true)
        .into_iter()
        .find(|(t, _)| *t == table)
        .map(|(_, c)| c)
        .unwrap_or_default()
}

/// Everything for one scan date (after suppression: raw counts are not kept).
pub struct DateFigures {
    date: NaiveDate,
    shown: BTreeMap<Key, Shown>,
    units: BTreeMap<&'static str, BTreeSet<String>>,
    /// Whether `kvp_tiltak` was in the export (else regi is unknown).
    regi_known: bool,
    /// Unsuppressed counts of the offices given with `--kontor --intern` only (their own page).
    raw: BTreeMap<Key, u64>,
    /// Each office's county: the one most of its persons live in (scan-date figures only).
    office_fylke: BTreeMap<String, String>,
}

/// The counts of the offices whose own pages show them unsuppressed (`--intern`).
fn raw_cells(table: &Table<Key>, args: &ReportArgs) -> BTreeMap<Key, u64> {
    if !args.intern {
        return BTreeMap::new();
    }
    table
        .cells
        .iter()
        .filter(|((l, u, _, _), _)| l == "nav_kontor" && args.kontor.contains(u))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// Each office's county: where most of its (not kode-6) persons live; ties to the lower code.
fn office_counties(persons: &[Person]) -> BTreeMap<String, String> {
    let mut n: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for p in persons.iter().filter(|p| !p.skjermet) {
        *n.entry((p.kontor.as_str(), fylke(&p.kommune))).or_default() += 1;
    }
    let mut best: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for ((kontor, f), c) in n {
        let e = best.entry(kontor.to_string()).or_insert((0, String::new()));
        if c > e.0 {
            *e = (c, f.to_string());
        }
    }
    best.into_iter().map(|(k, (_, f))| (k, f)).collect()
}

/// Adds `persons` (each with its position, by which `regi` knows it) to `counts`.
fn count_persons<'a>(
    persons: impl IntoIterator<Item = (usize, &'a Person)>,
    counts: &mut Counts,
    full: bool,
    regi: &HashMap<usize, BTreeSet<&'static str>>,
) {
    // summed under borrowed keys first, so each distinct cell is allocated once
    let mut cells: FxHashMap<(&'static str, &'a str, &'static str, &'a str), u64> =
        Default::default();
    for (i, p) in persons {
        let deltaker = p.status == Status::Deltaker;
        let kandidat = p.status == Status::Kandidat;
        for (level, unit) in p.units() {
            // registers the unit even when nobody in it counts anywhere (zeros are published)
            cells
                .entry((level, unit, "status", "deltakere"))
                .or_insert(0);
            let mut add = |table: &'static str, cat: &'a str| {
                *cells.entry((level, unit, table, cat)).or_insert(0) += p.weight;
            };
            match p.status {
                Status::Deltaker => {
                    add("status", "deltakere");
                    if p.tilstand.as_deref() == Some("permisjon") {
                        add("status", "permisjon");
                    } else {
                        add("status", "i_program");
                    }
                }
                Status::UnderBehandling => add("status", "under_behandling"),
                Status::Kandidat => add("status", "kandidater"),
                Status::Ekskludert => add("status", "ekskludert"),
                Status::IkkeTreff => {}
            }
            // kode 6: the status line only, no breakdown
            if !full || p.skjermet {
                continue;
            }
            let band = age_band(p.alder);
            let g = gender(p.kjonn.as_deref());
            if kandidat {
                add("alder_kandidater", band);
                add("kjonn_kandidater", g);
                for r in &p.treff {
                    add("regel_kandidater", r);
                }
            }
            if deltaker {
                add("alder_deltakere", band);
                add("kjonn_deltakere", g);
                add("deltakere_aldersgruppe", aldersgruppe(p.alder));
                for r in &p.treff {
                    add("regel_deltakere", r);
                }
                let (regier, tiltak) = regi_categories(regi.get(&i));
                for r in regier {
                    add("regi_deltakere", r);
                }
                add("deltakere_tiltak", tiltak);
            }
            if p.status == Status::Ekskludert {
                for e in &p.eksklusjoner {
                    add("ekskludert_grunn", e);
                }
            }
        }
    }
    for ((level, unit, table, cat), n) in cells {
        counts.add(level, unit, table, cat, n);
    }
}

/// A participant's categories of `regi_deltakere` (each regi of their measures, or `ingen`)
/// and of `deltakere_tiltak`.
fn regi_categories(set: Option<&BTreeSet<&'static str>>) -> (Vec<&'static str>, &'static str) {
    let set = set.filter(|set| !set.is_empty());
    let regier = match set {
        Some(set) => set.iter().copied().collect(),
        None => vec!["ingen"],
    };
    let tiltak = match set.map(|s| s.iter().copied().collect::<Vec<_>>()) {
        None => "ingen",
        Some(v) if v == ["statlig"] => "kun_statlig",
        Some(v) if v == ["kommunal"] => "kun_kommunal",
        Some(_) => "annen_eller_flere",
    };
    (regier, tiltak)
}

/// Fills in zero cells so every unit has every category, and declares the sums.
fn table_of(
    counts: Counts,
    rules: &RuleSet,
    full: bool,
) -> (Table<Key>, BTreeMap<&'static str, BTreeSet<String>>) {
    let mut cells = counts.cells;
    let cats = categories(rules, full);
    let units = counts.units;
    let mut all_units: Vec<(&'static str, String)> = vec![
        ("totalt", "alle".to_string()),
        ("skjermet", "alle".to_string()),
    ];
    for level in UNIT_LEVELS {
        for u in units.get(level).into_iter().flatten() {
            all_units.push((level, u.clone()));
        }
    }
    let key =
        |l: &str, u: &str, t: &str, c: &str| -> Key { (l.into(), u.into(), t.into(), c.into()) };
    for (l, u) in &all_units {
        for (t, cs) in &cats {
            // the kode-6 line has status figures only
            if *l == "skjermet" && *t != "status" {
                continue;
            }
            for c in cs {
                cells.entry(key(l, u, t, c)).or_insert(0);
            }
        }
    }
    let mut table = Table::new(cells);
    for (l, u) in &all_units {
        table.sum(
            vec![
                key(l, u, "status", "i_program"),
                key(l, u, "status", "permisjon"),
            ],
            key(l, u, "status", "deltakere"),
        );
        if full && *l != "skjermet" {
            for (t, total) in [
                ("alder_kandidater", "kandidater"),
                ("alder_deltakere", "deltakere"),
                ("kjonn_kandidater", "kandidater"),
                ("kjonn_deltakere", "deltakere"),
                ("deltakere_tiltak", "deltakere"),
                ("deltakere_aldersgruppe", "deltakere"),
            ] {
                let parts = cats
                    .iter()
                    .find(|(n, _)| *n == t)
                    .map(|(_, cs)| cs.iter().map(|c| key(l, u, t, c)).collect())
                    .unwrap_or_default();
                table.sum(parts, key(l, u, "status", total));
            }
        }
    }
    // offices add up to the total, and so do kommuner and counties
    for level in UNIT_LEVELS {
        let us: Vec<&String> = units.get(level).into_iter().flatten().collect();
        for (t, cs) in &cats {
            for c in cs {
                table.sum(
                    us.iter().map(|u| key(level, u, t, c)).collect(),
                    key("totalt", "alle", t, c),
                );
            }
        }
    }
    (table, units)
}

/// The last `n` month-ends before the scan date's month, oldest first.
pub fn month_ends(as_of: NaiveDate, n: u32) -> Vec<NaiveDate> {
    let first_of_month = as_of.with_day(1).expect("day 1 exists");
    (1..=n)
        .rev()
        .map(|i| {
            first_of_month
                .checked_sub_months(Months::new(i - 1))
                .and_then(|d| d.pred_opt())
                .expect("a date in range")
        })
        .collect()
}

/// Each person's office, municipality and whether they are kode 6 (`skjermet`).
async fn read_homes(engine: &Engine) -> anyhow::Result<FxHashMap<String, Home>> {
    let mut homes = FxHashMap::default();
    let sql = "SELECT person_id, nav_kontor, kommune_nr, adressebeskyttelse FROM personer";
    let mut stream = engine.query(sql).await?;
    while let Some(b) = stream.next().await {
        let b = b?;
        let (ids, kontor, kommune, vern) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
            b.column(2).as_string::<i32>(),
            b.column(3).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            let raw = vern.is_valid(i).then(|| vern.value(i));
            homes.insert(
                ids.value(i).to_string(),
                (
                    kontor.value(i).to_string(),
                    kommune.value(i).to_string(),
                    crate::contract::Adressebeskyttelse::is_skjermet(raw),
                ),
            );
        }
    }
    Ok(homes)
}

/// The participants on leave, per scan date (in days).
type OnLeave = FxHashMap<i32, rustc_hash::FxHashSet<String>>;

/// The (scan date in days, person) pairs of the participants on leave.
async fn on_leave(engine: &Engine) -> anyhow::Result<OnLeave> {
    let mut on_leave = OnLeave::default();
    let sql = "SELECT skanningsdato, person_id FROM kvp_status WHERE tilstand = 'permisjon'";
    let mut stream = engine.query(sql).await?;
    while let Some(b) = stream.next().await {
        let b = b?;
        let days = b
            .column(0)
            .as_primitive::<datafusion::arrow::datatypes::Date32Type>();
        let ids = b.column(1).as_string::<i32>();
        for i in 0..b.num_rows() {
            on_leave
                .entry(days.value(i))
                .or_default()
                .insert(ids.value(i).to_string());
        }
    }
    Ok(on_leave)
}

/// Every figure of the report in one pass over the month-ends and the scan date (a pass per
/// set of rule parameters in force; see [`Session::passes`]): each rule runs once over all the
/// dates, and gives the statuses a scan on each date gives. The scan date's own facts (ages,
/// genders, leave, measures by regi, ended programmes) are read beside the statuses. Returns
/// the scan date's figures and the month-ends', in date order.
async fn figures(
    args: &ReportArgs,
    session: &Session,
    ends: &[NaiveDate],
) -> anyhow::Result<(DateFigures, Vec<DateFigures>)> {
    let started = std::time::Instant::now();
    let mut dates = ends.to_vec();
    dates.push(args.as_of);
    let mut homes: FxHashMap<String, Home> = FxHashMap::default();
    let mut passes = Vec::new();
    let mut at_scan_date = None;
    for group in session.passes(&dates) {
        let engine = session.dated_engine(&group).await?;
        let scan_date = async {
            if group.contains(&args.as_of) {
                scan_date_facts(&engine, args.as_of).await.map(Some)
            } else {
                Ok(None)
            }
        };
        // offices and municipalities do not depend on the date: read in the first pass
        let first = passes.is_empty();
        let home = async {
            if first {
                read_homes(&engine).await.map(Some)
            } else {
                Ok(None)
            }
        };
        let (statuses, leave, facts, home) = futures::try_join!(
            session.statuses_on(&engine),
            on_leave(&engine),
            scan_date,
            home
        )?;
        if let Some(h) = home {
            homes = h;
        }
        if let Some(facts) = facts {
            at_scan_date = Some(facts.with_statuses(&statuses, args.as_of, &session.rules));
        }
        passes.push((statuses, leave));
    }
    let at_scan_date = at_scan_date.expect("the scan date is in one of the passes");
    let regi_known = session
        .data
        .tables
        .get("kvp_tiltak")
        .is_some_and(|t| t.present);
    let (current, trend) = rayon::join(
        || current_figures(args, &session.rules, at_scan_date, regi_known),
        || trend_figures(args, &session.rules, (&homes, &passes), ends, regi_known),
    );
    info!(
        dates = dates.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "report figures computed"
    );
    Ok((current, trend))
}

/// The scan date's persons as the figures count them, before their statuses are known.
struct ScanDateFacts {
    persons: Vec<Person>,
    /// Position in `persons` by person id.
    index: FxHashMap<String, usize>,
    /// Each participant's measures by regi, by position.
    regi: HashMap<usize, BTreeSet<&'static str>>,
    /// The ended programmes, counted.
    counts: Counts,
}

/// Every person of `personer` on `date` (office, municipality, kode 6, age, gender, KVP state:
/// the key facts the figures use) with no status yet, their measures by regi and the ended
/// programmes.
async fn scan_date_facts(engine: &Engine, date: NaiveDate) -> anyhow::Result<ScanDateFacts> {
    use crate::engine::values::StrCells;
    let d = Engine::sql_date(date);
    let sql = format!(
        "SELECT p.person_id, p.nav_kontor, p.kommune_nr, p.adressebeskyttelse, p.alder, p.kjonn,
                k.tilstand
         FROM person p
         LEFT JOIN kvp_status k ON k.person_id = p.person_id AND k.skanningsdato = p.skanningsdato
         WHERE p.skanningsdato = {d}"
    );
    let mut persons = Vec::new();
    let mut index: FxHashMap<String, usize> = FxHashMap::default();
    let mut stream = engine.query(&sql).await?;
    while let Some(b) = stream.next().await {
        let b = b?;
        let text = |c: usize| StrCells::of(b.column(c));
        let (ids, kontor, kommune, vern, kjonn, tilstand) =
            (text(0), text(1), text(2), text(3), text(5), text(6));
        let alder = b
            .column(4)
            .as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>();
        for i in 0..b.num_rows() {
            let id: String = ids.get(i).unwrap_or_default();
            let vern: Option<String> = vern.get(i);
            index.insert(id, persons.len());
            persons.push(Person {
                skjermet: crate::contract::Adressebeskyttelse::is_skjermet(vern.as_deref()),
                kontor: kontor.get(i).unwrap_or_default(),
                kommune: kommune.get(i).unwrap_or_default(),
                status: Status::IkkeTreff,
                tilstand: tilstand.get(i),
                alder: alder.filter(|a| a.is_valid(i)).map_or(0, |a| a.value(i)),
                kjonn: kjonn.get(i),
                treff: Vec::new(),
                eksklusjoner: Vec::new(),
                weight: 1,
            });
        }
    }
    let regi = measures_regi(engine, date, &index).await?;
    let mut counts = Counts::default();
    count_ended(engine, date, (&persons, &index), &mut counts).await?;
    Ok(ScanDateFacts {
        persons,
        index,
        regi,
        counts,
    })
}

impl ScanDateFacts {
    /// Each person's status and rules on `date`, from the pass's statuses (a person with no
    /// row there has none: `ikke_treff`).
    fn with_statuses(
        mut self,
        statuses: &crate::engine::DatedStatuses,
        date: NaiveDate,
        rules: &RuleSet,
    ) -> Self {
        let ids = |at: &[usize]| -> Vec<crate::engine::Short> {
            at.iter()
                .map(|i| rules.rules[*i].id.as_str().into())
                .collect()
        };
        for s in statuses.rows.iter().filter(|s| s.dato == date) {
            // a rule may return ids that are not in personer; the scan does not use them either
            let Some(&at) = self.index.get(&statuses.persons[s.person as usize]) else {
                continue;
            };
            let p = &mut self.persons[at];
            p.status = s.status;
            p.treff = ids(&s.treff);
            p.eksklusjoner = ids(&s.eksklusjoner);
        }
        self
    }
}

/// Every figure at the scan date (ages, genders, rules, regi, outcomes).
fn current_figures(
    args: &ReportArgs,
    rules: &RuleSet,
    at: ScanDateFacts,
    regi_known: bool,
) -> DateFigures {
    let ScanDateFacts {
        persons,
        regi,
        mut counts,
        ..
    } = at;
    let office_fylke = office_counties(&persons);
    // a person without a status only registers their units (zeros are published): such
    // persons of one office and municipality count as one (most persons have no status)
    let mut seen: FxHashMap<(&str, &str, bool), ()> = FxHashMap::default();
    let counted: Vec<usize> = (0..persons.len())
        .filter(|i| {
            let p = &persons[*i];
            p.status != Status::IkkeTreff
                || seen
                    .insert((p.kontor.as_str(), p.kommune.as_str(), p.skjermet), ())
                    .is_none()
        })
        .collect();
    count_persons(
        counted.iter().map(|i| (*i, &persons[*i])),
        &mut counts,
        true,
        &regi,
    );
    let (table, units) = table_of(counts, rules, true);
    DateFigures {
        date: args.as_of,
        shown: table.suppress(),
        raw: raw_cells(&table, args),
        units,
        regi_known,
        office_fylke,
    }
}

/// The status figures at each month-end of the trend, from the passes' statuses.
fn trend_figures(
    args: &ReportArgs,
    rules: &RuleSet,
    (homes, passes): (
        &FxHashMap<String, Home>,
        &[(crate::engine::DatedStatuses, OnLeave)],
    ),
    dates: &[NaiveDate],
    regi_known: bool,
) -> Vec<DateFigures> {
    // persons of one home with the same status and leave count alike: counted once, weighted;
    // each distinct home numbered once, and each pass's persons given theirs once, so the
    // ~50 000 rows a date has are counted by number, not by hashing their home's texts
    let mut distinct: FxHashMap<&Home, usize> = FxHashMap::default();
    let mut numbered: Vec<&Home> = Vec::new();
    let home_no: FxHashMap<&str, usize> = homes
        .iter()
        .map(|(id, home)| {
            let n = *distinct.entry(home).or_insert_with(|| {
                numbered.push(home);
                numbered.len() - 1
            });
            (id.as_str(), n)
        })
        .collect();
    type Weights = FxHashMap<(usize, Status, bool), u64>;
    let mut per_date: BTreeMap<NaiveDate, Weights> = BTreeMap::new();
    for (statuses, on_leave) in passes {
        let home_of: Vec<Option<usize>> = statuses
            .persons
            .iter()
            .map(|id| home_no.get(id.as_str()).copied())
            .collect();
        // the scan date's rows are its own figures (`current_figures`)
        for s in statuses.rows.iter().filter(|s| s.dato != args.as_of) {
            // a rule may return ids that are not in personer; the scan does not use them either
            let Some(home) = home_of[s.person as usize] else {
                continue;
            };
            // leave only splits the participants
            let leave = s.status == Status::Deltaker
                && on_leave
                    .get(&crate::contract::load::days_since_epoch(s.dato))
                    .is_some_and(|ids| ids.contains(&statuses.persons[s.person as usize]));
            *per_date
                .entry(s.dato)
                .or_default()
                .entry((home, s.status, leave))
                .or_insert(0) += 1;
        }
    }
    // every unit is published at every date, zeros included (an office or municipality only
    // kode-6 persons live in is not a unit: they are counted in the `skjermet` line)
    let units: BTreeSet<&Home> = homes.values().filter(|h| !h.2).collect();
    // each date's figures on every core, in date order
    let weights: Vec<(NaiveDate, Weights)> = dates
        .iter()
        .map(|d| (*d, per_date.remove(d).unwrap_or_default()))
        .collect();
    use rayon::prelude::*;
    weights
        .into_par_iter()
        .map(|(d, weights)| {
            let mut persons: Vec<Person> = weights
                .into_iter()
                .map(|((home, status, leave), n)| {
                    let mut p = Person::at_home(numbered[home], status);
                    p.tilstand = leave.then(|| "permisjon".into());
                    p.weight = n;
                    p
                })
                .collect();
            persons.extend(
                units
                    .iter()
                    .map(|home| Person::at_home(home, Status::IkkeTreff)),
            );
            let mut counts = Counts::default();
            count_persons(
                persons.iter().enumerate(),
                &mut counts,
                false,
                &HashMap::new(),
            );
            let (table, units) = table_of(counts, rules, false);
            DateFigures {
                date: d,
                shown: table.suppress(),
                raw: raw_cells(&table, args),
                units,
                regi_known,
                office_fylke: BTreeMap::new(),
            }
        })
        .collect()
}

/// Each participant's measures by regi on the date (`statlig`, `kommunal`, `annen`).
async fn measures_regi(
    engine: &Engine,
    date: NaiveDate,
    index: &FxHashMap<String, usize>,
) -> anyhow::Result<HashMap<usize, BTreeSet<&'static str>>> {
    let mut regi: HashMap<usize, BTreeSet<&'static str>> = HashMap::new();
    let d = Engine::sql_date(date);
    let sql = format!(
        "SELECT DISTINCT person_id, regi FROM kvp_tiltak WHERE fom <= {d} AND (tom IS NULL OR tom >= {d})"
    );
    let mut stream = engine.query(&sql).await?;
    while let Some(b) = stream.next().await {
        let b = b?;
        let ids = b.column(0).as_string::<i32>();
        let rs = b.column(1).as_string::<i32>();
        for i in 0..b.num_rows() {
            if let Some(&p) = index.get(ids.value(i)) {
                let r = match rs.value(i) {
                    "STATLIG" => "statlig",
                    "KOMMUNAL" => "kommunal",
                    _ => "annen",
                };
                regi.entry(p).or_default().insert(r);
            }
        }
    }
    Ok(regi)
}

/// Programmes ended in the 12 months up to the date, by how they ended and the outcome.
async fn count_ended(
    engine: &Engine,
    date: NaiveDate,
    (persons, index): (&[Person], &FxHashMap<String, usize>),
    counts: &mut Counts,
) -> anyhow::Result<()> {
    let d = Engine::sql_date(date);
    let from = date
        .checked_sub_months(Months::new(12))
        .expect("a date in range");
    let sql = format!(
        "SELECT h.person_id, h.avslutning_situasjon, h.status_kode FROM kvp_hendelser h
         WHERE h.hendelse = 'AVSLUTTET' AND h.dato > {} AND h.dato <= {d}",
        Engine::sql_date(from)
    );
    let mut stream = engine.query(&sql).await?;
    while let Some(b) = stream.next().await {
        let b = b?;
        let ids = b.column(0).as_string::<i32>();
        let lists = b.column(1).as_list::<i32>();
        let codes = b.column(2).as_string::<i32>();
        for i in 0..b.num_rows() {
            let Some(&p) = index.get(ids.value(i)) else {
                continue;
            };
            let person = &persons[p];
            if person.skjermet {
                continue;
            }
            let mut cats: BTreeSet<&'static str> = BTreeSet::new();
            if !lists.is_null(i) {
                let v = lists.value(i);
                let s = v.as_string::<i32>();
                for j in 0..s.len() {
                    if !s.is_null(j) {
                        cats.insert(outcome(s.value(j)));
                    }
                }
            }
            if cats.is_empty() {
                cats.insert("annet");
            }
            let how = avslutning(codes.is_valid(i).then(|| codes.value(i)));
            for (level, unit) in person.units() {
                for table in std::iter::once("avsluttet_siste_12_mnd").chain(how) {
                    counts.add(level, unit, table, "alle", 1);
                    for c in &cats {
                        counts.add(level, unit, table, c, 1);
                    }
                }
            }
        }
    }
    Ok(())
}

/// The median of some values (the mean of the two middle ones for an even count).
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Participants / (participants + candidates), when neither is hidden.
fn uptake(f: &DateFigures, level: &str, unit: &str) -> Option<f64> {
    let get = |c: &str| {
        f.shown
            .get(&(level.into(), unit.into(), "status".into(), c.into()))
            .and_then(|s| s.value())
    };
    let (d, k) = (get("deltakere")?, get("kandidater")?);
    (d + k > 0).then(|| d as f64 / (d + k) as f64)
}

#[derive(Serialize)]
struct JsonUnit {
    niva: String,
    enhet: String,
    /// The unit's name, where known (`--kontornavn`, `--kommunenavn`, counties).
    #[serde(skip_serializing_if = "Option::is_none")]
    navn: Option<String>,
    tall: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    andel_deltakere: Option<f64>,
}

#[derive(Serialize)]
struct JsonDate {
    dato: String,
    enheter: Vec<JsonUnit>,
}

#[derive(Serialize)]
struct JsonReport {
    verktoy: &'static str,
    versjon: &'static str,
    skanningsdato: String,
    regelsett_sha256: String,
    skjuling: BTreeMap<&'static str, &'static str>,
    regi_kjent: bool,
    enheter: Vec<JsonUnit>,
    trend: Vec<JsonDate>,
}

fn json_units(f: &DateFigures, names: &Names) -> Vec<JsonUnit> {
    // every unit's published figures, gathered in one pass over the cells
    type Tall = BTreeMap<String, BTreeMap<String, serde_json::Value>>;
    let mut by_unit: HashMap<(&str, &str), Tall> = HashMap::new();
    for ((l, un, t, c), s) in &f.shown {
        by_unit
            .entry((l.as_str(), un.as_str()))
            .or_default()
            .entry(t.clone())
            .or_default()
            .insert(c.clone(), s.json());
    }
    let mut out = Vec::new();
    for level in LEVELS {
        let units: Vec<&str> = if single_unit(level) {
            vec!["alle"]
        } else {
            f.units
                .get(level)
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect()
        };
        for u in units {
            let tall = by_unit.remove(&(level, u)).unwrap_or_default();
            let navn = match level {
                "nav_kontor" => names.kontor(u),
                "kommune" => names.kommune(u),
                "fylke" => names.fylke(u),
                _ => None,
            };
            out.push(JsonUnit {
                navn: navn.map(str::to_string),
                niva: level.into(),
                andel_deltakere: uptake(f, level, u).map(|x| (x * 1000.0).round() / 1000.0),
                enhet: u.to_string(),
                tall,
            });
        }
    }
    out
}

/// `rapport.csv` for people: the level and table in words, the unit's number (as text, so
/// Excel keeps `0312`) and name, the category in words, the published value (shares as
/// percentages with a decimal comma in Norwegian); the codes `rapport.json` uses follow in the
/// last columns, for tools.
fn write_csv(
    out: &OutputDir,
    (current, trend): (&DateFigures, &[DateFigures]),
    (rules, names): (&RuleSet, &Names),
    lang: Lang,
) -> anyhow::Result<Staged> {
    use crate::output::csv_out::{header, id_cell, safe};
    let tmp = out.temp(CSV)?;
    let mut w = crate::output::csv_out::writer(tmp)?;
    w.write_record(header(
        lang,
        &[
            "Nivå", "Enhet", "Navn", "Dato", "Tabell", "Kategori", "Verdi", "nivå", "tabell",
            "kategori",
        ],
        &[
            "Level", "Unit", "Name", "Date", "Table", "Category", "Value", "level", "table",
            "category",
        ],
    ))?;
    let mut rows = 0u64;
    // the current figures, then the trend's month-ends as `trend_<tabell>`
    let dates = std::iter::once((current, "")).chain(trend.iter().map(|f| (f, "trend_")));
    for (f, prefix) in dates {
        let date = f.date.to_string();
        for u in json_units(f, names) {
            let level = office::level_label(&u.niva, lang);
            let enhet = if single_unit(&u.niva) {
                String::new()
            } else {
                id_cell(&u.enhet)
            };
            let navn = safe(u.navn.as_deref().unwrap_or_default());
            for (t, cats) in &u.tall {
                let tabell = office::table_title(t, lang);
                let tabell = match prefix {
                    "" => tabell.to_string(),
                    _ => crate::tr!("{tabell}, utvikling", "{tabell}, trend"),
                };
                for (c, v) in cats {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let kategori = safe(&office::category_label(t, c, rules, lang));
                    let code = format!("{prefix}{t}");
                    w.write_record([
                        level, &enhet, &navn, &date, &tabell, &kategori, &v, &u.niva, &code, c,
                    ])?;
                    rows += 1;
                }
            }
            if prefix.is_empty() {
                let share = u
                    .andel_deltakere
                    .map(|x| numbers::percent(x, lang))
                    .unwrap_or_else(|| ":".into());
                let ord = &crate::i18n::pages::RAPPORT_ORD;
                let (tabell, kategori) = (
                    ord.text("andel_tabell", lang),
                    ord.text("andel_kategori", lang),
                );
                w.write_record([
                    level,
                    &enhet,
                    &navn,
                    &date,
                    tabell,
                    kategori,
                    &share,
                    &u.niva,
                    "andel_deltakere",
                    "andel",
                ])?;
                rows += 1;
            }
        }
    }
    crate::output::csv_out::done(w, CSV, rows)
}

/// What the summary on stderr needs.
pub struct ReportOutcome {
    pub dates: usize,
    pub offices: usize,
    pub kommuner: usize,
    pub hidden: usize,
    pub elapsed: std::time::Duration,
}

/// Every `--kontor` is an office in the data (else the known ones are named).
fn check_offices(kontor: &[String], current: &DateFigures) -> anyhow::Result<()> {
    let offices = current.units.get("nav_kontor");
    for office in kontor {
        if !offices.is_some_and(|o| o.contains(office)) {
            let known: Vec<&String> = offices.into_iter().flatten().take(8).collect();
            let known = known
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            anyhow::bail!(
                "{}",
                crate::tr!(
                    "--kontor {office}: det finnes ikke noe NAV-kontor {office} i personer (kontorer er blant annet: {known})",
                    "--kontor {office}: no NAV office {office} in personer (offices include: {known})"
                )
            );
        }
    }
    Ok(())
}

/// `rapport.json`: the figures of the scan date (the last of `trend_all`) and the trend.
fn json_report(
    as_of: NaiveDate,
    rules: &RuleSet,
    trend_all: &[&DateFigures],
    names: &Names,
) -> JsonReport {
    let current = trend_all.last().expect("the trend ends with the scan date");
    JsonReport {
        verktoy: "kvp-scan",
        versjon: env!("CARGO_PKG_VERSION"),
        skanningsdato: as_of.to_string(),
        regelsett_sha256: rules.hash(),
        skjuling: [
            ("under_fem", "<5: antall 1–4"),
            (
                "sekundaer",
                ":: skjult fordi en sum ellers ville avslørt et lite antall",
            ),
        ]
        .into_iter()
        .collect(),
        regi_kjent: current.regi_known,
        enheter: json_units(current, names),
        trend: trend_all
            .iter()
            .map(|f| JsonDate {
                dato: f.date.to_string(),
                enheter: json_units(f, names),
            })
            .collect(),
    }
}

/// Each `--kontor`'s own page, table and workbook (`kontor_<id>.html/.csv/.xlsx`).
fn write_office_pages(
    out: &OutputDir,
    args: &ReportArgs,
    trend_all: &[&DateFigures],
    (rules, names): (&RuleSet, &Names),
) -> anyhow::Result<Vec<Staged>> {
    let current = trend_all.last().expect("the trend ends with the scan date");
    let mut files = crate::output::file_name::Names::default();
    let mut staged = Vec::new();
    for office in &args.kontor {
        let page = office::OfficePage {
            office,
            current,
            trend: trend_all,
            rules,
            lang: args.lang,
            intern: args.intern,
            names,
        };
        let stem = files.unique(format!("kontor_{}", file_name::file_stem(office, &[])));
        let html = page.render_html()?;
        staged.push(out.stage_bytes(&format!("{stem}.html"), html.as_bytes(), 0)?);
        staged.push(page.write_csv(out, &format!("{stem}.csv"))?);
        staged.push(page.write_xlsx(out, &format!("{stem}.xlsx"))?);
    }
    Ok(staged)
}

pub async fn run(args: ReportArgs) -> anyhow::Result<ReportOutcome> {
    let started = std::time::Instant::now();
    let names = crate::contract::names::Names::load(
        args.kontornavn.as_deref(),
        args.kommunenavn.as_deref(),
    )?;
    // the report counts statuses and rules: it shows no explanation, so none is rendered
    let engine = EngineOptions {
        explanations: false,
        ..args.engine.clone()
    };
    // the payments kept only as their months with stønad for the scan date and the month-ends
    let ends = month_ends(args.as_of, args.months);
    let session = Session::open_for_dates(
        &args.data,
        args.rules.as_deref(),
        args.as_of,
        &engine,
        &ends,
    )
    .await?;
    // the scan date and the month-ends in one pass: the scan date's figures need its
    // statuses, rules and key facts, not a full evaluation with verdicts
    let (current, trend) = figures(&args, &session, &ends).await?;
    check_offices(&args.kontor, &current)?;
    let rules = &session.rules;
    // the trend ends with the scan date itself
    let mut trend_all: Vec<&DateFigures> = trend.iter().collect();
    trend_all.push(&current);

    let out = OutputDir::create(&args.out)?;
    // the files made side by side on every core, staged in this order
    let json = || -> anyhow::Result<Staged> {
        let report = json_report(args.as_of, rules, &trend_all, &names);
        let json = serde_json::to_vec_pretty(&report)?;
        out.stage_bytes(JSON, &json, report.enheter.len() as u64)
    };
    let csv = || write_csv(&out, (&current, &trend), (rules, &names), args.lang);
    let html = || -> anyhow::Result<Staged> {
        let html = charts::render_html(&current, &trend_all, (rules, &names), args.lang)?;
        out.stage_bytes(HTML, html.as_bytes(), 0)
    };
    let offices = || write_office_pages(&out, &args, &trend_all, (rules, &names));
    let ((json, csv), (html, offices)) =
        rayon::join(|| rayon::join(json, csv), || rayon::join(html, offices));
    let mut staged = vec![json?, csv?, html?];
    staged.extend(offices?);
    // where the figures come from, as every run records it: what was read, the rules, and the
    // hash of each file written
    let utdata = crate::output::manifest::output_entries(&staged)?;
    let manifest = crate::output::manifest::Provenance {
        skanningsdato: Some(args.as_of.to_string()),
        regelsett: Some(crate::output::manifest::rule_entries(rules, args.as_of)),
        inndata: session.data.inputs.clone(),
        utdata,
        ..crate::output::manifest::Provenance::new("kvp-scan report", args.lang)
    };
    staged.push(out.stage_json(crate::output::manifest::FILE, &manifest)?);
    out.commit(staged)?;
    Ok(ReportOutcome {
        dates: trend_all.len(),
        offices: current.units.get("nav_kontor").map_or(0, |u| u.len()),
        kommuner: current.units.get("kommune").map_or(0, |u| u.len()),
        hidden: current
            .shown
            .values()
            .filter(|s| !matches!(s, Shown::Value(_)))
            .count(),
        elapsed: started.elapsed(),
    })
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

/// `kvp-scan report`: writes the report and prints its summary.
pub async fn main(cmd: ReportCmd, quiet: bool) -> anyhow::Result<()> {
    let as_of = cmd.eval.scan_date()?;
    let args = ReportArgs {
        data: cmd.eval.data,
        out: cmd.out,
        as_of,
        rules: cmd.eval.rules,
        lang: cmd.eval.lang,
        engine: cmd.engine.options(),
        months: cmd.months,
        kontor: cmd.kontor,
        intern: cmd.intern,
        kontornavn: cmd.kontornavn,
        kommunenavn: cmd.kommunenavn,
    };
    let (out, lang) = (args.out.clone(), args.lang);
    let o = run(args).await?;
    if !quiet {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn kostra_age_bands() {
        assert_eq!(age_band(18), "under_20");
        assert_eq!(age_band(20), "20_24");
        assert_eq!(age_band(29), "25_29");
        assert_eq!(age_band(30), "30_39");
        assert_eq!(age_band(66), "50_66");
        assert_eq!(age_band(67), "67_plus");
    }

    #[test]
    fn month_ends_before_the_scan_month() {
        let m = month_ends(d("2026-11-16"), 12);
        assert_eq!(m.len(), 12);
        assert_eq!(m[0], d("2025-11-30"));
        assert_eq!(m[2], d("2026-01-31"));
        assert_eq!(m[3], d("2026-02-28"));
        assert_eq!(m[11], d("2026-10-31"));
    }

    #[test]
    fn outcomes_map_kostra_codes() {
        assert_eq!(outcome("01"), "ordinaert_arbeid");
        assert_eq!(outcome("16"), "okonomisk_stonad");
        assert_eq!(outcome("03"), "annet");
    }
}
