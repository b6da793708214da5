//! `generate`: a synthetic population at any scale, calibrated to public figures
//! (docs/synthetic-data.md), written chunk by chunk so memory stays bounded.
//!
//! Deterministic: the same arguments give byte-identical files. Every person id is a synthetic
//! fødselsnummer (month + 80, valid check digits), so it can never be a real person's.

use crate::i18n::Msg;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::{Datelike, Months, NaiveDate};
use datafusion::arrow::array::{
    ArrayRef, Date32Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use fastrand::Rng;
use tempfile::NamedTempFile;

use crate::commands::args::{parse_date, today};
use crate::contract::Lang;
use crate::contract::load::days_since_epoch;
use crate::contract::{self, ColType, TableSpec, fnr};
use crate::output::OutputDir;
use clap::Args;

/// Persons generated per chunk (one row group step per table).
const CHUNK: u64 = 10_000;

pub struct GenerateArgs {
    pub persons: u64,
    pub out: PathBuf,
    pub seed: u64,
    pub as_of: NaiveDate,
    pub years: u32,
    pub progress: bool,
}

/// Row counts per table.
pub type GenerateStats = Vec<(&'static str, u64)>;

// ------------------------------------------------------------------ calibration (documented)

/// Chance that a person receives økonomisk stønad in a given calendar year. After months before
/// the 18th birthday and months with only annulled payments drop out, 86.7 % of persons are
/// recipients in a year: 150 000 persons give about 130 000 recipients (SSB: 129 894 in 2019).
pub const P_RECIPIENT_YEAR: f64 = 0.88;
/// The effective share the tests check.
pub const RECIPIENT_SHARE: f64 = 0.867;
/// Months with stønad per year among recipients (SSB 2009): 1 month 21 %, 2–3 months 25 %,
/// 4–5 months 14 %, 6–11 months 28 %, 12 months 12 % (6+ months 40 %).
pub const MONTH_CLASSES: [(f64, u32, u32); 5] = [
    (0.21, 1, 1),
    (0.25, 2, 3),
    (0.14, 4, 5),
    (0.28, 6, 11),
    (0.12, 12, 12),
];
/// Age bands at the scan date: under 25 about 22 %, under 30 about 35 % of recipients.
pub const AGE_BANDS: [(f64, u32, u32); 6] = [
    (0.22, 18, 24),
    (0.13, 25, 29),
    (0.24, 30, 39),
    (0.19, 40, 49),
    (0.20, 50, 66),
    (0.02, 67, 80),
];
/// Share of persons whose only income is økonomisk stønad (SSB: main income for about 41 %).
pub const P_ONLY_STONAD: f64 = 0.41;
/// In KVP on the scan date (seed 003: 6 818 participants in Aug 2020; 150 000 × 4 % = 6 000),
/// started within the last 18 months, so about 2.7 % (4 000) start in a year.
pub const P_KVP_NOW: f64 = 0.04;
pub const P_KVP_PENDING: f64 = 0.005;
pub const P_KVP_ENDED: f64 = 0.06;
/// Share with a § 14 a vedtak, and the mix of innsatsgrupper among them.
pub const P_VEDTAK: f64 = 0.80;
pub const INNSATS_MIX: [(f64, &str); 5] = [
    (0.20, "STANDARD_INNSATS"),
    (0.40, "SITUASJONSBESTEMT_INNSATS"),
    (0.30, "SPESIELT_TILPASSET_INNSATS"),
    (0.03, "GRADERT_VARIG_TILPASSET_INNSATS"),
    (0.07, "VARIG_TILPASSET_INNSATS"),
];
/// Share of recipients under 30 with an active § 20 a activity condition.
pub const P_20A_UNDER_30: f64 = 0.60;
/// Municipalities and NAV offices (Oslo has one office per bydel; small municipalities share).
pub const KOMMUNER: usize = 356;
pub const PERSONS_PER_VEILEDER: f64 = 250.0;

fn pick<T: Copy>(rng: &mut Rng, table: &[(f64, T)]) -> T {
    let mut x = rng.f64();
    for (p, v) in table {
        if x < *p {
            return *v;
        }
        x -= p;
    }
    table[table.len() - 1].1
}

// ------------------------------------------------------------------ geography

struct Office {
    id: String,
    /// The municipalities the office serves, with their share of the office's population.
    kommuner: Vec<(f64, usize)>,
    kommune_nr: Vec<String>,
    bydel: Option<String>,
    veiledere: u32,
}

/// Offices with their share of the population (Zipf over municipalities).
fn geography(persons: u64) -> (Vec<Office>, Vec<f64>) {
    const PREFIX: [&str; 14] = [
        "11", "15", "18", "31", "32", "33", "34", "39", "40", "42", "46", "50", "55", "56",
    ];
    let weights: Vec<f64> = (1..=KOMMUNER).map(|r| 1.0 / r as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut offices = Vec::new();
    let mut shares = Vec::new();
    let kommune_nr = |rank: usize| {
        if rank == 1 {
            "0301".to_string()
        } else {
            format!(
                "{}{:02}",
                PREFIX[rank % PREFIX.len()],
                1 + rank / PREFIX.len()
            )
        }
    };
    let mut push = |id: String, ranks: &[usize], bydel: Option<String>, share: f64| {
        let veiledere = ((persons as f64 * share) / PERSONS_PER_VEILEDER)
            .round()
            .max(1.0) as u32;
        let sum: f64 = ranks.iter().map(|r| weights[r - 1]).sum();
        let kommuner = ranks
            .iter()
            .enumerate()
            .map(|(i, r)| (weights[r - 1] / sum, i))
            .collect();
        let kommune_nr = ranks.iter().map(|r| kommune_nr(*r)).collect();
        offices.push(Office {
            id,
            kommuner,
            kommune_nr,
            bydel,
            veiledere,
        });
        shares.push(share);
    };
    // Oslo: 15 bydeler, one office each.
    for b in 1..=15 {
        push(
            format!("03{:02}", 10 + b),
            &[1],
            Some(format!("{b:02}")),
            weights[0] / total / 15.0,
        );
    }
    // Ranks 2..=200 have their own office; the 156 smallest share one office per four.
    for rank in 2..=200 {
        push(
            format!("{}", 1000 + rank),
            &[rank],
            None,
            weights[rank - 1] / total,
        );
    }
    for group in (201..=KOMMUNER).collect::<Vec<_>>().chunks(4) {
        let share: f64 = group.iter().map(|r| weights[r - 1] / total).sum();
        push(format!("{}", 1000 + group[0]), group, None, share);
    }
    (offices, shares)
}

// ------------------------------------------------------------------ table builders

/// Column builders for one table, filled per chunk and written as one batch.
struct TableBuf {
    spec: &'static TableSpec,
    schema: SchemaRef,
    cols: Vec<Col>,
    writer: ArrowWriter<NamedTempFile>,
    rows: u64,
}

enum Col {
    Str(StringBuilder),
    Date(Date32Builder),
    Int(Int64Builder),
    List(ListBuilder<StringBuilder>),
}

/// One cell value for [`TableBuf::row`].
enum V<'a> {
    S(&'a str),
    D(NaiveDate),
    I(i64),
    L(&'a [&'a str]),
    N,
}

impl TableBuf {
    fn new(spec: &'static TableSpec, tmp: NamedTempFile) -> anyhow::Result<Self> {
        let schema: SchemaRef = Arc::new(Schema::new(
            spec.columns
                .iter()
                .map(|c| Field::new(c.name, c.ty.canonical(), c.nullable))
                .collect::<Vec<_>>(),
        ));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
            .set_max_row_group_row_count(Some(256 * 1024))
            .build();
        let writer = ArrowWriter::try_new(tmp, schema.clone(), Some(props))?;
        let cols = spec
            .columns
            .iter()
            .map(|c| match c.ty {
                ColType::Str => Col::Str(StringBuilder::new()),
                ColType::Date => Col::Date(Date32Builder::new()),
                ColType::Int => Col::Int(Int64Builder::new()),
                ColType::StrList => Col::List(ListBuilder::new(StringBuilder::new())),
            })
            .collect();
        Ok(TableBuf {
            spec,
            schema,
            cols,
            writer,
            rows: 0,
        })
    }

    fn row(&mut self, values: &[V]) {
        debug_assert_eq!(values.len(), self.cols.len(), "{}", self.spec.name);
        for (c, v) in self.cols.iter_mut().zip(values) {
            match (c, v) {
                (Col::Str(b), V::S(s)) => b.append_value(s),
                (Col::Str(b), V::N) => b.append_null(),
                (Col::Date(b), V::D(d)) => b.append_value(days_since_epoch(*d)),
                (Col::Date(b), V::N) => b.append_null(),
                (Col::Int(b), V::I(i)) => b.append_value(*i),
                (Col::Int(b), V::N) => b.append_null(),
                (Col::List(b), V::L(items)) => {
                    for i in *items {
                        b.values().append_value(i);
                    }
                    b.append(true);
                }
                (Col::List(b), V::N) => b.append_null(),
                _ => unreachable!("value of the wrong type for {}", self.spec.name),
            }
        }
        self.rows += 1;
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Col::Str(b) => Arc::new(b.finish()),
                    Col::Date(b) => Arc::new(b.finish()),
                    Col::Int(b) => Arc::new(b.finish()),
                    Col::List(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        if arrays[0].is_empty() {
            return Ok(());
        }
        self.writer
            .write(&RecordBatch::try_new(self.schema.clone(), arrays)?)?;
        Ok(())
    }
}

// ------------------------------------------------------------------ the population

struct Ctx<'a> {
    rng: Rng,
    as_of: NaiveDate,
    first_day: NaiveDate,
    offices: &'a [Office],
    shares: &'a [f64],
    used_ids: HashMap<NaiveDate, u16>,
}

fn add_months(d: NaiveDate, m: i32) -> NaiveDate {
    if m >= 0 {
        d + Months::new(m as u32)
    } else {
        d - Months::new((-m) as u32)
    }
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap()
}

fn month_end(d: NaiveDate) -> NaiveDate {
    add_months(month_start(d), 1).pred_opt().unwrap()
}

impl Ctx<'_> {
    fn date_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days().max(0);
        from + chrono::Duration::days(self.rng.i64(0..=span))
    }

    /// A unique synthetic fødselsnummer for a birth date.
    fn fnr(&mut self, born: NaiveDate) -> String {
        let start = *self.used_ids.get(&born).unwrap_or(&0);
        for ind in start..1000 {
            let prefix = format!(
                "{:02}{:02}{:02}{:03}",
                born.day(),
                born.month() + 80,
                born.year() % 100,
                ind
            );
            if let Some(id) = fnr::with_check_digits(&prefix) {
                self.used_ids.insert(born, ind + 1);
                return id;
            }
        }
        // 1000 numbers per date are used up: take the next day (only at absurd scales).
        self.fnr(born.succ_opt().unwrap())
    }
}

struct Tables {
    personer: TableBuf,
    stonad: TableBuf,
    ytelser: TableBuf,
    vedtak: TableBuf,
    vilkar: TableBuf,
    hendelser: TableBuf,
    tiltak: TableBuf,
}

impl Tables {
    fn all(&mut self) -> [&mut TableBuf; 7] {
        [
            &mut self.personer,
            &mut self.stonad,
            &mut self.ytelser,
            &mut self.vedtak,
            &mut self.vilkar,
            &mut self.hendelser,
            &mut self.tiltak,
        ]
    }
}

/// One synthetic person with every row of theirs, the random draws always in the same order (the
/// same seed gives the same files).
fn person(c: &mut Ctx, t: &mut Tables) {
    let (id, born, age) = who(c, t);
    let recent_months = stonad_months(c, t, &id, born);
    benefits(c, t, &id, age);
    let group = vedtak(c, t, &id);
    vilkar(c, t, &id, age, recent_months);
    kvp_history(c, t, (&id, born, age), group);
}

/// Who and where: born, office, caseworker, gender, address protection, municipality.
fn who(c: &mut Ctx, t: &mut Tables) -> (String, NaiveDate, u32) {
    let as_of = c.as_of;
    let (age_lo, age_hi) = pick(&mut c.rng, &AGE_BANDS.map(|(p, lo, hi)| (p, (lo, hi))));
    let age = c.rng.u32(age_lo..=age_hi);
    let born = c.date_between(
        add_months(as_of, -12 * (age as i32 + 1)) + chrono::Duration::days(1),
        add_months(as_of, -12 * age as i32),
    );
    let id = c.fnr(born);
    let office_ix = {
        let x = c.rng.f64();
        let mut acc = 0.0;
        let mut ix = c.shares.len() - 1;
        for (i, s) in c.shares.iter().enumerate() {
            acc += s;
            if x < acc {
                ix = i;
                break;
            }
        }
        ix
    };
    let office = &c.offices[office_ix];
    let veileder = if c.rng.f64() < 0.03 {
        None
    } else {
        Some(format!(
            "{}V{:03}",
            office.id,
            c.rng.u32(1..=office.veiledere)
        ))
    };
    let kjonn = if c.rng.f64() < 0.55 { "1" } else { "2" };
    let beskyttelse = match c.rng.f64() {
        x if x < 0.0005 => Some("STRENGT_FORTROLIG"),
        x if x < 0.0035 => Some("FORTROLIG"),
        _ => None,
    };
    let k = pick(&mut c.rng, &office.kommuner);
    let kommune = office.kommune_nr[k].clone();
    let bydel = office.bydel.clone();
    let office_id = office.id.clone();
    t.personer.row(&[
        V::S(&id),
        V::D(born),
        V::S(kjonn),
        V::S(&kommune),
        bydel.as_deref().map_or(V::N, V::S),
        V::S(&office_id),
        veileder.as_deref().map_or(V::N, V::S),
        beskyttelse.map_or(V::N, V::S),
    ]);

    (id, born, age)
}

/// Months with økonomisk stønad: a persistent U-shaped intensity class, year by year; returns
/// the months within the last 12.
fn stonad_months(c: &mut Ctx, t: &mut Tables, id: &str, born: NaiveDate) -> u32 {
    let as_of = c.as_of;
    let mut class = pick(&mut c.rng, &MONTH_CLASSES.map(|(p, lo, hi)| (p, (lo, hi))));
    let adult_from = add_months(born, 12 * 18);
    let mut recent_months = 0u32;
    let mut y = c.first_day.year();
    while y <= as_of.year() {
        if c.rng.f64() < 0.2 {
            class = pick(&mut c.rng, &MONTH_CLASSES.map(|(p, lo, hi)| (p, (lo, hi))));
        }
        if c.rng.f64() < P_RECIPIENT_YEAR {
            let n = c.rng.u32(class.0..=class.1) as i32;
            let start = c.rng.i32(1..=(13 - n));
            for m in start..start + n {
                let first = NaiveDate::from_ymd_opt(y, m as u32, 1).unwrap();
                if first < month_start(c.first_day) || first < month_start(adult_from) {
                    continue;
                }
                if first > as_of {
                    // the rest of the year has not happened; a planned payment for next month
                    if first <= add_months(month_start(as_of), 1) && c.rng.f64() < 0.3 {
                        payment(c, t, id, first, Some("PLANLAGT_UTBETALING"));
                    }
                    break;
                }
                if add_months(first, 12) > as_of {
                    recent_months += 1;
                }
                payment(c, t, id, first, None);
                match c.rng.f64() {
                    x if x < 0.08 => payment(c, t, id, first, None),
                    // a payment that was annulled or stopped, beside the one that was paid
                    x if x < 0.09 => payment(c, t, id, first, Some("ANNULLERT")),
                    x if x < 0.10 => payment(c, t, id, first, Some("STOPPET")),
                    _ => {}
                }
            }
        }
        y += 1;
    }

    recent_months
}

/// Income and benefits: about 41 % live on økonomisk stønad alone.
fn benefits(c: &mut Ctx, t: &mut Tables, id: &str, age: u32) {
    let as_of = c.as_of;
    if c.rng.f64() >= P_ONLY_STONAD {
        let ytelse = pick(
            &mut c.rng,
            &[
                (0.40, "ARBEIDSINNTEKT"),
                (0.16, "AAP"),
                (0.07, "UFORETRYGD"),
                (0.07, "DAGPENGER"),
                (0.05, "SYKEPENGER"),
                (0.03, "OVERGANGSSTONAD"),
                (0.05, "INTRODUKSJONSSTONAD"),
                (0.08, "TILTAKSPENGER"),
                (0.05, "STIPEND_LAN"),
                (0.04, "ANNEN_INNTEKT"),
            ],
        );
        let ytelse = if age >= 67 { "ALDERSPENSJON" } else { ytelse };
        let fom = c.date_between(add_months(as_of, -36), as_of);
        // active on the scan date, so the share is what a scan sees
        let tom = if c.rng.f64() < 0.5 {
            None
        } else {
            Some(c.date_between(as_of, add_months(as_of, 12)))
        };
        t.ytelser
            .row(&[V::S(id), V::S(ytelse), V::D(fom), tom.map_or(V::N, V::D)]);
    }
    // an earlier, ended benefit period for some
    if c.rng.f64() < 0.15 {
        let fom = c.date_between(c.first_day, add_months(as_of, -13));
        let tom = c.date_between(fom, add_months(fom, 12).min(add_months(as_of, -1)));
        t.ytelser
            .row(&[V::S(id), V::S("DAGPENGER"), V::D(fom), V::D(tom)]);
    }
    for (p, code) in [(0.25, "BOSTOTTE"), (0.20, "BARNETRYGD")] {
        if c.rng.f64() < p {
            let fom = c.date_between(c.first_day, as_of);
            t.ytelser.row(&[V::S(id), V::S(code), V::D(fom), V::N]);
        }
    }
}

/// § 14 a vedtak: one or two, with the codes of the system of their time; returns the last
/// innsatsgruppe.
fn vedtak(c: &mut Ctx, t: &mut Tables, id: &str) -> Option<&'static str> {
    let as_of = c.as_of;
    let mut group = None;
    if c.rng.f64() < P_VEDTAK {
        let n = if c.rng.f64() < 0.3 { 2 } else { 1 };
        for _ in 0..n {
            let g = pick(&mut c.rng, &INNSATS_MIX);
            let dato = c.date_between(c.first_day, as_of);
            let code = if dato < NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() && c.rng.f64() < 0.5 {
                match g {
                    "STANDARD_INNSATS" => "IKVAL",
                    "SITUASJONSBESTEMT_INNSATS" => "BFORM",
                    "SPESIELT_TILPASSET_INNSATS" => "BATT",
                    "VARIG_TILPASSET_INNSATS" => "VARIG",
                    other => other,
                }
            } else if dato >= NaiveDate::from_ymd_opt(2025, 6, 1).unwrap() && c.rng.f64() < 0.5 {
                match g {
                    "STANDARD_INNSATS" => "GODE_MULIGHETER",
                    "SITUASJONSBESTEMT_INNSATS" => "TRENGER_VEILEDNING",
                    "SPESIELT_TILPASSET_INNSATS" => "TRENGER_VEILEDNING_NEDSATT_ARBEIDSEVNE",
                    "GRADERT_VARIG_TILPASSET_INNSATS" => "JOBBE_DELVIS",
                    _ => "LITEN_MULIGHET_TIL_A_JOBBE",
                }
            } else {
                g
            };
            let mal = ["SKAFFE_ARBEID", "BEHOLDE_ARBEID", "OKE_DELTAKELSE"][c.rng.usize(0..3)];
            t.vedtak.row(&[V::S(id), V::D(dato), V::S(code), V::S(mal)]);
            group = Some(g);
        }
    }

    group
}

/// § 20 a activity conditions for young recipients, and § 20 conditions for some others.
fn vilkar(c: &mut Ctx, t: &mut Tables, id: &str, age: u32, recent_months: u32) {
    let as_of = c.as_of;
    if age < 30 && recent_months > 0 && c.rng.f64() < P_20A_UNDER_30 {
        let fom = c.date_between(add_months(as_of, -12), as_of);
        let tom = if c.rng.f64() < 0.6 {
            None
        } else {
            Some(c.date_between(as_of, add_months(as_of, 6)))
        };
        let kode = ["06", "08", "16", "17", "19", "04"][c.rng.usize(0..6)];
        let status = if c.rng.f64() < 0.03 {
            Some("ANNULLERT")
        } else {
            None
        };
        t.vilkar.row(&[
            V::S(id),
            V::S("20a"),
            V::S(kode),
            V::D(fom),
            tom.map_or(V::N, V::D),
            status.map_or(V::N, V::S),
        ]);
    } else if recent_months > 0 && c.rng.f64() < 0.2 {
        let fom = c.date_between(add_months(as_of, -24), as_of);
        let kode = ["06", "10", "14", "18"][c.rng.usize(0..4)];
        t.vilkar
            .row(&[V::S(id), V::S("20"), V::S(kode), V::D(fom), V::N, V::N]);
    }
}

/// A KVP history (participant, pending, ended, informed or assessed) for persons of working
/// age, more likely with situasjonsbestemt or spesielt tilpasset innsats.
fn kvp_history(
    c: &mut Ctx,
    t: &mut Tables,
    (id, born, age): (&str, NaiveDate, u32),
    group: Option<&str>,
) {
    let as_of = c.as_of;
    let working_age = (18..67).contains(&age);
    if !working_age || as_of < add_months(born, 12 * 19) {
        return;
    }
    let fits = matches!(
        group,
        Some("SITUASJONSBESTEMT_INNSATS") | Some("SPESIELT_TILPASSET_INNSATS")
    );
    // KVP is mostly for situasjonsbestemt / spesielt tilpasset innsats; the boost averages 1.
    let boost = if fits { 1.5 } else { 0.36 };
    let x = c.rng.f64() / boost;
    let ev = |t: &mut Tables, dato: NaiveDate, h: &str| event(t, id, dato, h);
    if x < P_KVP_NOW {
        kvp_now(c, t, id);
    } else if x < P_KVP_NOW + P_KVP_PENDING {
        let soknad = c.date_between(as_of - chrono::Duration::days(42), as_of);
        ev(t, add_months(soknad, -1), "INFORMERT");
        ev(t, soknad, "SOKNAD");
    } else if x < P_KVP_NOW + P_KVP_PENDING + P_KVP_ENDED {
        kvp_ended(c, t, id);
    } else if x < P_KVP_NOW + P_KVP_PENDING + P_KVP_ENDED + 0.03 {
        let dato = c.date_between(add_months(as_of, -12), as_of);
        ev(t, dato, "INFORMERT");
    } else if x < P_KVP_NOW + P_KVP_PENDING + P_KVP_ENDED + 0.05 {
        let dato = c.date_between(add_months(as_of, -12), as_of);
        ev(
            t,
            dato,
            if c.rng.f64() < 0.7 {
                "VURDERT"
            } else {
                "AVSLATT"
            },
        );
    }
}

/// One KVP event of a person.
fn event(t: &mut Tables, id: &str, dato: NaiveDate, h: &str) {
    t.hendelser
        .row(&[V::S(id), V::D(dato), V::S(h), V::N, V::N, V::N]);
}

/// A participant now: informed, applied, granted, begun (perhaps on leave), with the regi of
/// their measure.
fn kvp_now(c: &mut Ctx, t: &mut Tables, id: &str) {
    let as_of = c.as_of;
    let ev = |t: &mut Tables, dato: NaiveDate, h: &str| event(t, id, dato, h);
    let begynt = c.date_between(add_months(as_of, -18), as_of);
    ev(t, add_months(begynt, -2), "INFORMERT");
    ev(t, add_months(begynt, -1), "SOKNAD");
    ev(t, begynt - chrono::Duration::days(14), "INNVILGET");
    ev(t, begynt, "BEGYNT");
    if c.rng.f64() < 0.05 {
        ev(t, c.date_between(begynt, as_of), "PERMISJON");
    }
    let regi = pick(
        &mut c.rng,
        &[
            (0.56, Some("STATLIG")),
            (0.24, Some("KOMMUNAL")),
            (0.07, Some("ANNEN")),
            (0.13, None),
        ],
    );
    if let Some(regi) = regi {
        let tom = add_months(begynt, 6).max(as_of + chrono::Duration::days(30));
        t.tiltak
            .row(&[V::S(id), V::D(begynt), V::D(tom), V::S(regi)]);
    }
}

/// A programme ended before the last 12 months, with its status and the situation after.
fn kvp_ended(c: &mut Ctx, t: &mut Tables, id: &str) {
    let as_of = c.as_of;
    let ev = |t: &mut Tables, dato: NaiveDate, h: &str| event(t, id, dato, h);
    let begynt = c.date_between(c.first_day, add_months(as_of, -13));
    let slutt = c.date_between(
        add_months(begynt, 6),
        add_months(begynt, 12).min(as_of - chrono::Duration::days(1)),
    );
    ev(t, add_months(begynt, -1), "SOKNAD");
    ev(t, begynt, "BEGYNT");
    // outcomes as in seed 004: 41 work, 6 with wage subsidy, 15 school, 40 uføre/AAP, 16 stønad, rest other
    let outcome = pick(
        &mut c.rng,
        &[
            (0.31, "01"),
            (0.045, "11"),
            (0.11, "04"),
            (0.15, "13"),
            (0.15, "14"),
            (0.12, "16"),
            (0.115, "10"),
        ],
    );
    let status = if c.rng.f64() < 0.8 { "3" } else { "4" };
    let situasjon = [outcome];
    t.hendelser.row(&[
        V::S(id),
        V::D(slutt),
        V::S("AVSLUTTET"),
        V::S(status),
        V::L(&situasjon),
        V::S(outcome),
    ]);
}

fn payment(c: &mut Ctx, t: &mut Tables, id: &str, month: NaiveDate, status: Option<&str>) {
    let utbetalt = c.date_between(
        month,
        (month + chrono::Duration::days(27)).min(month_end(month)),
    );
    let utbetalt = if status.is_none() {
        utbetalt.min(c.as_of.max(month))
    } else {
        utbetalt
    };
    let with_period = c.rng.f64() < 0.4;
    let status = status.or_else(|| {
        if c.rng.f64() < 0.5 {
            Some("UTBETALT")
        } else {
            None
        }
    });
    let belop = c.rng.i64(10..=200) * 100;
    let kind = if c.rng.f64() < 0.05 { "LAAN" } else { "BIDRAG" };
    let (fom, tom) = if with_period {
        (V::D(month), V::D(month_end(month)))
    } else {
        (V::N, V::N)
    };
    t.stonad.row(&[
        V::S(id),
        V::D(utbetalt),
        fom,
        tom,
        V::I(belop),
        V::S(kind),
        status.map_or(V::N, V::S),
    ]);
}

impl Tables {
    /// One buffered Parquet writer per contract table, into temporary files in `out`.
    fn new(out: &OutputDir) -> anyhow::Result<Tables> {
        let spec = |n| contract::table(n).expect("contract table");
        Ok(Tables {
            personer: TableBuf::new(spec("personer"), out.temp("personer.parquet")?)?,
            stonad: TableBuf::new(
                spec("okonomisk_stonad"),
                out.temp("okonomisk_stonad.parquet")?,
            )?,
            ytelser: TableBuf::new(spec("ytelser"), out.temp("ytelser.parquet")?)?,
            vedtak: TableBuf::new(
                spec("oppfolgingsvedtak"),
                out.temp("oppfolgingsvedtak.parquet")?,
            )?,
            vilkar: TableBuf::new(spec("vilkar"), out.temp("vilkar.parquet")?)?,
            hendelser: TableBuf::new(spec("kvp_hendelser"), out.temp("kvp_hendelser.parquet")?)?,
            tiltak: TableBuf::new(spec("kvp_tiltak"), out.temp("kvp_tiltak.parquet")?)?,
        })
    }

    /// The finished files, staged, and each table's rows.
    fn finish(self) -> anyhow::Result<(Vec<crate::output::Staged>, GenerateStats)> {
        let mut staged = Vec::new();
        let mut stats = Vec::new();
        for tb in [
            self.personer,
            self.stonad,
            self.ytelser,
            self.vedtak,
            self.vilkar,
            self.hendelser,
            self.tiltak,
        ] {
            stats.push((tb.spec.name, tb.rows));
            let tmp = tb.writer.into_inner()?;
            staged.push(crate::output::Staged::new(
                format!("{}.parquet", tb.spec.name),
                tmp,
                tb.rows,
            ));
        }
        Ok((staged, stats))
    }
}

/// The progress bar on stderr (hidden with `--quiet`).
fn progress_bar(args: &GenerateArgs) -> indicatif::ProgressBar {
    if !args.progress {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(args.persons);
    b.set_style(
        indicatif::ProgressStyle::with_template(Msg::GenerateProgress.text(crate::i18n::lang()))
            .expect("valid template")
            .progress_chars("=> "),
    );
    b
}

/// Generates every contract table for `persons` persons into `out`.
pub fn run(args: &GenerateArgs) -> anyhow::Result<GenerateStats> {
    anyhow::ensure!(
        args.persons > 0,
        "{}",
        crate::tr!("--persons må være minst 1", "--persons must be at least 1")
    );
    anyhow::ensure!(
        (1..=20).contains(&args.years),
        "{}",
        crate::tr!(
            "--years må være mellom 1 og 20",
            "--years must be between 1 and 20"
        )
    );
    let out = OutputDir::create(&args.out)?;
    let mut t = Tables::new(&out)?;
    let (offices, shares) = geography(args.persons);
    let first_day = NaiveDate::from_ymd_opt(args.as_of.year() - args.years as i32 + 1, 1, 1)
        .with_context(|| {
            crate::tr!(
                "skanningsdatoen er for tidlig",
                "the scan date is too early"
            )
        })?;
    let mut c = Ctx {
        rng: Rng::with_seed(args.seed),
        as_of: args.as_of,
        first_day,
        offices: &offices,
        shares: &shares,
        used_ids: HashMap::new(),
    };
    let bar = progress_bar(args);
    let mut done = 0;
    while done < args.persons {
        let n = CHUNK.min(args.persons - done);
        for _ in 0..n {
            person(&mut c, &mut t);
        }
        for tb in t.all() {
            tb.flush()?;
        }
        done += n;
        bar.set_position(done);
    }
    bar.finish_and_clear();
    let (staged, stats) = t.finish()?;
    out.commit(staged)?;
    Ok(stats)
}

#[derive(Debug, Args)]
pub struct GenerateCmd {
    /// Number of persons.
    #[arg(long)]
    pub persons: u64,
    /// Output data directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed: the same arguments give byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scan date the history ends at (default: today).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Years of history up to the scan date.
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Also write the population as the KOSTRA 11F and 11CF files (reporting years 2025 and
    /// 2026) its municipalities would send SSB, into this folder (for `import kostra`).
    #[arg(long, value_name = "DIR")]
    pub kostra: Option<PathBuf>,
    /// Language of the summary and the error messages.
    #[arg(long, value_enum, default_value_t = Lang::Nb)]
    pub lang: Lang,
}

/// `kvp-scan generate`: writes the population (and its KOSTRA files) and prints the counts.
pub fn main(cmd: GenerateCmd, quiet: bool) -> anyhow::Result<()> {
    let args = GenerateArgs {
        persons: cmd.persons,
        out: cmd.out,
        seed: cmd.seed,
        as_of: cmd.as_of.unwrap_or_else(today),
        years: cmd.years,
        progress: !quiet,
    };
    let started = std::time::Instant::now();
    let stats = run(&args)?;
    if let Some(dir) = &cmd.kostra {
        let files = crate::contract::kostra::export::write(&args.out, args.as_of, dir)?;
        if !quiet {
            for (f, n) in files {
                let records = Msg::GeneratedRecords.fill(cmd.lang, &[&format!("{n:>10}")]);
                eprintln!("  {}/{f:<14}{records}", dir.display());
            }
        }
    }
    if !quiet {
        let took = crate::output::numbers::seconds(started.elapsed(), cmd.lang);
        let persons = args.persons;
        eprintln!("{}", Msg::Generated.fill(cmd.lang, &[&persons, &took]));
        for (table, rows) in stats {
            let rows = Msg::GeneratedRows.fill(cmd.lang, &[&format!("{rows:>12}")]);
            eprintln!("  {table:<20}{rows}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The calibration figures of docs/synthetic-data.md, checked on a generated sample.

    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Date32Type, Int64Type};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

    use crate::contract::load::date_from_days;

    const N: u64 = 20_000;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()
    }

    fn read(dir: &std::path::Path, table: &str) -> Vec<RecordBatch> {
        let f = std::fs::File::open(dir.join(format!("{table}.parquet"))).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(f)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect()
    }

    struct Sample {
        _dir: tempfile::TempDir,
        path: PathBuf,
    }

    fn sample() -> &'static Sample {
        static S: std::sync::OnceLock<Sample> = std::sync::OnceLock::new();
        S.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("data");
            let args = GenerateArgs {
                persons: N,
                out: path.clone(),
                seed: 7,
                as_of: as_of(),
                years: 5,
                progress: false,
            };
            run(&args).unwrap();
            Sample { _dir: dir, path }
        })
    }

    /// Months with stønad per person and calendar month index, as the data contract counts them.
    fn stonad_months() -> HashMap<String, BTreeSet<i64>> {
        let mut m: HashMap<String, BTreeSet<i64>> = HashMap::new();
        for b in read(&sample().path, "okonomisk_stonad") {
            let ids = strs(&b, "person_id");
            let paid_on = dates(&b, "utbetalingsdato");
            let fom = dates(&b, "fom");
            let belop = b
                .column_by_name("belop")
                .unwrap()
                .as_primitive::<Int64Type>();
            let status = strs(&b, "status");
            for i in 0..b.num_rows() {
                let paid = date_from_days(paid_on.value(i));
                let ok = (status.is_null(i) || status.value(i) == "UTBETALT")
                    && belop.value(i) > 0
                    && paid <= as_of();
                if ok {
                    let month = if fom.is_null(i) {
                        paid
                    } else {
                        date_from_days(fom.value(i))
                    };
                    m.entry(ids.value(i).to_string())
                        .or_default()
                        .insert(month.year() as i64 * 12 + month.month0() as i64);
                }
            }
        }
        m
    }

    fn strs<'a>(b: &'a RecordBatch, name: &str) -> &'a datafusion::arrow::array::StringArray {
        b.column_by_name(name).unwrap().as_string::<i32>()
    }

    fn dates<'a>(b: &'a RecordBatch, name: &str) -> &'a datafusion::arrow::array::Date32Array {
        b.column_by_name(name).unwrap().as_primitive::<Date32Type>()
    }

    fn within(name: &str, got: f64, want: f64, tol: f64) {
        assert!(
            (got - want).abs() <= tol,
            "{name}: got {got:.3}, want {want} ± {tol}"
        );
    }

    #[test]
    fn months_per_year_are_u_shaped_as_ssb_reports() {
        let year = as_of().year() as i64 - 1; // the last complete calendar year
        let months = stonad_months();
        let per_person: Vec<usize> = months
            .values()
            .map(|s| s.iter().filter(|m| **m / 12 == year).count())
            .filter(|n| *n > 0)
            .collect();
        let n = per_person.len() as f64;
        let share =
            |f: &dyn Fn(usize) -> bool| per_person.iter().filter(|m| f(**m)).count() as f64 / n;
        within(
            "recipients a year / persons",
            n / N as f64,
            RECIPIENT_SHARE,
            0.03,
        );
        within("1 month", share(&|m| m == 1), 0.21, 0.03);
        within("2-3 months", share(&|m| (2..=3).contains(&m)), 0.25, 0.03);
        within("6+ months", share(&|m| m >= 6), 0.40, 0.03);
        within("12 months", share(&|m| m == 12), 0.12, 0.02);
        within(
            "mean months",
            per_person.iter().sum::<usize>() as f64 / n,
            5.5,
            0.5,
        );
    }

    #[test]
    fn ages_and_geography_match_the_public_figures() {
        let months = stonad_months();
        let recent = as_of().year() as i64 * 12 + as_of().month0() as i64 - 11;
        let recipients: HashSet<String> = months
            .iter()
            .filter(|(_, s)| s.iter().any(|m| *m >= recent))
            .map(|(k, _)| k.clone())
            .collect();
        let mut under25 = 0;
        let mut under30 = 0;
        let mut kontor = BTreeSet::new();
        let mut kommune = BTreeSet::new();
        for b in read(&sample().path, "personer") {
            let ids = strs(&b, "person_id");
            let born = dates(&b, "fodselsdato");
            let k = strs(&b, "nav_kontor");
            let km = strs(&b, "kommune_nr");
            for i in 0..b.num_rows() {
                assert_eq!(crate::contract::fnr::check(ids.value(i)), Some(Ok(())));
                kontor.insert(k.value(i).to_string());
                kommune.insert(km.value(i).to_string());
                if recipients.contains(ids.value(i)) {
                    let age = as_of().years_since(date_from_days(born.value(i))).unwrap();
                    under25 += (age < 25) as usize;
                    under30 += (age < 30) as usize;
                }
            }
        }
        let r = recipients.len() as f64;
        within("under 25 among recipients", under25 as f64 / r, 0.22, 0.03);
        within("under 30 among recipients", under30 as f64 / r, 0.35, 0.03);
        assert!(
            (240..=260).contains(&kontor.len()),
            "about 250 NAV offices, got {}",
            kontor.len()
        );
        assert!(
            kommune.len() >= 340,
            "about 356 municipalities, got {}",
            kommune.len()
        );
    }

    /// Only income: no other income or benefit active on the scan date.
    #[test]
    fn the_share_with_only_okonomisk_stonad_matches_the_public_figure() {
        let d = days_since_epoch(as_of());
        let mut other_income = HashSet::new();
        for b in read(&sample().path, "ytelser") {
            let ids = strs(&b, "person_id");
            let y = strs(&b, "ytelse");
            let fom = dates(&b, "fom");
            let tom = dates(&b, "tom");
            for i in 0..b.num_rows() {
                let active = fom.value(i) <= d && (tom.is_null(i) || tom.value(i) >= d);
                if active && !["BARNETRYGD", "BOSTOTTE"].contains(&y.value(i)) {
                    other_income.insert(ids.value(i).to_string());
                }
            }
        }
        within(
            "only økonomisk stønad",
            1.0 - other_income.len() as f64 / N as f64,
            P_ONLY_STONAD,
            0.03,
        );
    }

    /// KVP: participants on the scan date and starts in the last year.
    #[test]
    fn kvp_participants_and_starts_match_the_public_figures() {
        let d = days_since_epoch(as_of());
        let mut last: BTreeMap<String, (i32, String)> = BTreeMap::new();
        let mut started_last_year = 0;
        for b in read(&sample().path, "kvp_hendelser") {
            let ids = strs(&b, "person_id");
            let dato = dates(&b, "dato");
            let h = strs(&b, "hendelse");
            for i in 0..b.num_rows() {
                if dato.value(i) > d {
                    continue;
                }
                if h.value(i) == "BEGYNT" && dato.value(i) > d - 365 {
                    started_last_year += 1;
                }
                let e = last
                    .entry(ids.value(i).to_string())
                    .or_insert((i32::MIN, String::new()));
                if dato.value(i) >= e.0 {
                    *e = (dato.value(i), h.value(i).to_string());
                }
            }
        }
        let in_kvp = last
            .values()
            .filter(|(_, h)| ["BEGYNT", "PERMISJON", "GJENOPPTATT"].contains(&h.as_str()))
            .count();
        within(
            "in KVP on the scan date",
            in_kvp as f64 / N as f64,
            P_KVP_NOW,
            0.006,
        );
        within(
            "KVP starts in the last year",
            started_last_year as f64 / N as f64,
            4000.0 / 150_000.0,
            0.005,
        );
    }

    #[test]
    fn national_geography_has_a_few_hundred_persons_per_caseworker() {
        let (offices, shares) = geography(150_000);
        assert_eq!(offices.len(), 15 + 199 + 39);
        within("office shares", shares.iter().sum::<f64>(), 1.0, 1e-9);
        let veiledere: u32 = offices.iter().map(|o| o.veiledere).sum();
        let per = 150_000.0 / veiledere as f64;
        assert!(
            (150.0..=350.0).contains(&per),
            "{per} persons per caseworker"
        );
        let kommuner: BTreeSet<&String> = offices.iter().flat_map(|o| &o.kommune_nr).collect();
        assert_eq!(kommuner.len(), KOMMUNER);
    }
}
