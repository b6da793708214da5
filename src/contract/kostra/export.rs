//! The other direction, for test data: a contract data directory written as the KOSTRA 11F
//! and 11CF files its municipalities would send SSB (`generate --kostra DIR`), so the import
//! can be tested and measured at national scale on a population whose tables are known.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Date32Type, Int64Type};

use super::layout::{self, Field, Kind, cf11, f11};
use crate::contract::load::{Dataset, date_from_days, load_dir};

/// A fixed-width record being filled in.
struct Line(Vec<char>);

impl Line {
    fn new(kind: Kind) -> Line {
        Line(vec![' '; kind.record_len()])
    }
    fn put(&mut self, f: Field, v: &str) {
        for (i, c) in v.chars().take(f.size).enumerate() {
            self.0[f.from - 1 + i] = c;
        }
    }
    fn num(&mut self, f: Field, n: i64) {
        self.put(f, &format!("{:0w$}", n.clamp(0, 9_999_999), w = f.size));
    }
    fn date(&mut self, f: Field, d: NaiveDate) {
        self.put(f, &d.format("%d%m%Y").to_string());
    }
    fn text(&self) -> String {
        self.0.iter().collect()
    }
}

/// Every row of a table, read through a closure per row.
fn rows(data: &Dataset, table: &str, mut each: impl FnMut(&RecordBatch, usize)) {
    if let Some(t) = data.tables.get(table) {
        for b in &t.batches {
            for i in 0..b.num_rows() {
                each(b, i);
            }
        }
    }
}

fn s(b: &RecordBatch, col: &str, i: usize) -> Option<String> {
    let a = b.column_by_name(col)?.as_string::<i32>();
    a.is_valid(i).then(|| a.value(i).to_string())
}

fn d(b: &RecordBatch, col: &str, i: usize) -> Option<NaiveDate> {
    let a = b.column_by_name(col)?.as_primitive::<Date32Type>();
    a.is_valid(i).then(|| date_from_days(a.value(i)))
}

#[derive(Default)]
struct Person {
    born: Option<NaiveDate>,
    kjonn: String,
    kommune: String,
    bydel: Option<String>,
    veileder: Option<String>,
    /// month (1..=12) → (bidrag, lån), per year
    months: BTreeMap<i32, BTreeMap<u32, (i64, i64)>>,
    ytelser: Vec<(String, NaiveDate, Option<NaiveDate>)>,
    vilkar: Vec<(String, NaiveDate, Option<NaiveDate>)>,
    events: Vec<(NaiveDate, String, Option<String>, Vec<String>)>,
}

/// A paid payment (a positive amount) into its person's month: bidrag or lån.
fn add_payment(p: &mut BTreeMap<String, Person>, b: &RecordBatch, i: usize) {
    let belop = b
        .column_by_name("belop")
        .map(|a| a.as_primitive::<Int64Type>().value(i))
        .unwrap_or(0);
    if s(b, "status", i).as_deref() != Some("UTBETALT") || belop <= 0 {
        return;
    }
    let Some(e) = p.get_mut(&s(b, "person_id", i).unwrap_or_default()) else {
        return;
    };
    let day = d(b, "fom", i)
        .or(d(b, "utbetalingsdato", i))
        .expect("a date");
    let m = e
        .months
        .entry(day.year())
        .or_default()
        .entry(day.month())
        .or_default();
    if s(b, "stonadstype", i).as_deref() == Some("LAAN") {
        m.1 += belop;
    } else {
        m.0 += belop;
    }
}

/// A KVP event with the situation after an ended programme.
fn add_event(p: &mut BTreeMap<String, Person>, b: &RecordBatch, i: usize) {
    let situasjon = b
        .column_by_name("avslutning_situasjon")
        .map(|a| a.as_list::<i32>())
        .filter(|l| l.is_valid(i))
        .map(|l| {
            let v = l.value(i);
            let v = v.as_string::<i32>();
            v.iter().flatten().map(str::to_string).collect()
        })
        .unwrap_or_default();
    if let (Some(e), Some(h), Some(dato)) = (
        p.get_mut(&s(b, "person_id", i).unwrap_or_default()),
        s(b, "hendelse", i),
        d(b, "dato", i),
    ) {
        e.events.push((dato, h, s(b, "status_kode", i), situasjon));
    }
}

fn collect(data: &Dataset) -> BTreeMap<String, Person> {
    let mut p: BTreeMap<String, Person> = BTreeMap::new();
    rows(data, "personer", |b, i| {
        let e = p
            .entry(s(b, "person_id", i).unwrap_or_default())
            .or_default();
        e.born = d(b, "fodselsdato", i);
        e.kjonn = s(b, "kjonn", i).unwrap_or_else(|| "1".into());
        e.kommune = s(b, "kommune_nr", i).unwrap_or_default();
        e.bydel = s(b, "bydel_nr", i);
        e.veileder = s(b, "veileder", i);
    });
    rows(data, "okonomisk_stonad", |b, i| add_payment(&mut p, b, i));
    rows(data, "ytelser", |b, i| {
        if let (Some(e), Some(y), Some(fom)) = (
            p.get_mut(&s(b, "person_id", i).unwrap_or_default()),
            s(b, "ytelse", i),
            d(b, "fom", i),
        ) {
            e.ytelser.push((y, fom, d(b, "tom", i)));
        }
    });
    rows(data, "vilkar", |b, i| {
        if s(b, "status", i).as_deref() == Some("ANNULLERT") {
            return;
        }
        if let (Some(e), Some(k), Some(fom)) = (
            p.get_mut(&s(b, "person_id", i).unwrap_or_default()),
            s(b, "vilkar_kode", i),
            d(b, "fom", i),
        ) {
            e.vilkar.push((k, fom, d(b, "tom", i)));
        }
    });
    rows(data, "kvp_hendelser", |b, i| add_event(&mut p, b, i));
    for e in p.values_mut() {
        e.events.sort();
    }
    p
}

fn head(l: &mut Line, id: &str, p: &Person, year: i32, journal: usize) {
    l.put(layout::KOMMUNE_NR, &p.kommune);
    l.put(layout::VERSION, &format!("{:02}", year % 100));
    if p.kommune == "0301" {
        l.put(layout::BYDELSNR, p.bydel.as_deref().unwrap_or("01"));
    }
    if let Some(b) = p.born {
        l.date(layout::FODSELSDATO, b);
    }
    l.put(layout::PERSON_JOURNALNR, &format!("{journal:08}"));
    if id.len() == 11 {
        l.put(layout::PERSON_FODSELSNR, id);
    }
}

/// Fields of the 11F record the import does not read, filled with valid codes: (name, first
/// position, width, value).
const UNREAD_11F: [(&str, usize, usize, &str); 7] = [
    ("EKTSTAT", 49, 1, "1"),
    ("BU18", 50, 1, "2"),
    ("ARBSIT", 56, 2, "04"),
    ("GITT_OKONOMIRAD", 264, 1, "2"),
    ("FAAT_INDIVIDUELL_PLAN", 265, 1, "2"),
    ("BOSIT", 276, 1, "1"),
    ("VILKARSAMEKT", 278, 1, "2"),
];

/// The months with stønad and their amounts (bidrag, lån), and the year's sums.
fn put_months(l: &mut Line, months: &BTreeMap<u32, (i64, i64)>) {
    let (mut bidrag, mut laan) = (0, 0);
    for (&m, &(b, ln)) in months {
        l.put(f11::stmnd(m as usize), &format!("{m:02}"));
        let (fb, fl) = f11::monthly(m as usize);
        l.num(fb, b);
        l.num(fl, ln);
        bidrag += b;
        laan += ln;
    }
    l.num(f11::BIDRAG, bidrag);
    l.num(f11::LAAN, laan);
}

/// Income at last contact (VKLO, TRYGDESIT): what was running at the end of the last month
/// with stønad.
fn income_codes(
    p: &Person,
    year: i32,
    months: &BTreeMap<u32, (i64, i64)>,
) -> Option<(&'static str, &'static str)> {
    let last = *months.keys().last()?;
    let end = NaiveDate::from_ymd_opt(year, last, 1)?
        .checked_add_months(chrono::Months::new(1))?
        .pred_opt()?;
    let running: Vec<&str> = p
        .ytelser
        .iter()
        .filter(|(_, fom, tom)| *fom <= end && tom.is_none_or(|t| t >= end))
        .map(|(y, _, _)| y.as_str())
        .collect();
    let trygd = f11::TRYGDESIT_CODES
        .iter()
        .find(|(_, y)| y.is_some_and(|y| running.contains(&y)))
        .map_or("12", |(c, _)| c);
    let vklo = f11::VKLO_CODES
        .iter()
        .find(|(_, y)| y.is_some_and(|y| running.contains(&y)))
        .map(|(c, _)| *c)
        .unwrap_or(if trygd == "12" { "5" } else { "3" });
    Some((vklo, trygd))
}

/// The newest § 20 a conditions set in the year: VILKARSOSLOV, their dates and codes.
fn put_conditions(l: &mut Line, p: &Person, year: i32) {
    let newest = p
        .vilkar
        .iter()
        .filter(|(_, fom, _)| fom.year() == year)
        .map(|(_, fom, tom)| (*fom, *tom))
        .max();
    match newest {
        Some((fom, tom)) => {
            l.put(f11::VILKARSOSLOV, "1");
            l.date(f11::UTBETDATO, fom);
            if let Some(t) = tom {
                l.date(f11::UTBETTOMDATO, t);
            }
            for (k, _, _) in p.vilkar.iter().filter(|(_, f, _)| *f == fom) {
                if let Some((f, code)) = f11::VILKAR.iter().find(|(_, c)| c == k) {
                    l.put(*f, code);
                }
            }
        }
        None => l.put(f11::VILKARSOSLOV, "2"),
    }
}

/// The 11F record of a person's year, when they had stønad in it.
fn record_11f(id: &str, p: &Person, year: i32, journal: usize) -> Option<String> {
    let months = p.months.get(&year)?;
    let mut l = Line::new(Kind::F11);
    head(&mut l, id, p, year, journal);
    if id.len() == 12 {
        l.put(f11::PERSON_DUF, id);
    }
    l.put(f11::KJONN, &p.kjonn);
    // the fields the import does not read, with valid codes
    for (name, from, size, value) in UNREAD_11F {
        l.put(Field { name, from, size }, value);
    }
    put_months(&mut l, months);
    let (vklo, trygd) = income_codes(p, year, months)?;
    l.put(f11::VKLO, vklo);
    l.put(f11::TRYGDESIT, trygd);
    if let Some(v) = &p.veileder {
        l.put(f11::SAKSBEHANDLER, v);
    }
    put_conditions(&mut l, p, year);
    Some(l.text())
}

/// The 11CF record of a person's programme in a year, when they were in one.
fn record_11cf(id: &str, p: &Person, year: i32, journal: usize) -> Option<String> {
    if id.len() != 11 {
        return None;
    }
    let (jan1, dec31) = (
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year, 12, 31)?,
    );
    let ev = |what: &str, until: NaiveDate| {
        p.events
            .iter()
            .filter(|(d, h, _, _)| h == what && *d <= until)
            .map(|e| e.0)
            .max()
    };
    let begynt = ev("BEGYNT", dec31)?;
    let ended = p
        .events
        .iter()
        .find(|(d, h, _, _)| h == "AVSLUTTET" && *d >= begynt);
    if ended.is_some_and(|e| e.0 < jan1) {
        return None;
    }
    let mut l = Line::new(Kind::Cf11);
    head(&mut l, id, p, year, journal);
    l.put(cf11::KJONN, &p.kjonn);
    l.date(cf11::REG_DATO, ev("SOKNAD", begynt).unwrap_or(begynt));
    if let Some(v) = ev("INNVILGET", begynt) {
        l.date(cf11::VEDTAK_DATO, v);
    }
    l.date(cf11::BEGYNT_DATO, begynt);
    match ended.filter(|e| e.0 <= dec31) {
        Some((d, _, status, situasjon)) => {
            l.put(cf11::STATUS, status.as_deref().unwrap_or("3"));
            l.date(cf11::AVSL_DATO, *d);
            for (f, code) in cf11::AVSL {
                if situasjon.iter().any(|s| s == code) {
                    l.put(f, code);
                }
            }
        }
        None => {
            let last = p.events.iter().rfind(|e| e.0 <= dec31);
            let leave = last.is_some_and(|e| e.1 == "PERMISJON");
            l.put(cf11::STATUS, if leave { "2" } else { "1" });
        }
    }
    if let Some(v) = &p.veileder {
        l.put(cf11::SAKSBEHANDLER, v);
    }
    Some(l.text())
}

/// Writes `11F_<year>.txt` and `11CF_<year>.txt` into `out` for each reporting year the
/// layouts know (2025, 2026), from the data directory `data` as of `as_of`. Returns the files
/// with their record counts.
pub fn write(data: &Path, as_of: NaiveDate, out: &Path) -> anyhow::Result<Vec<(String, usize)>> {
    let data = load_dir(data, as_of)?;
    let persons = collect(&data);
    let mut dir = std::fs::DirBuilder::new();
    dir.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        dir.mode(0o700);
    }
    dir.create(out)
        .with_context(|| crate::tr!("kan ikke opprette {}", "cannot create {}", out.display()))?;
    let mut written = Vec::new();
    for year in layout::YEARS {
        for kind in [Kind::F11, Kind::Cf11] {
            let mut lines = Vec::new();
            for (id, p) in &persons {
                let journal = lines.len() + 1;
                let rec = match kind {
                    Kind::F11 => record_11f(id, p, year, journal),
                    Kind::Cf11 => record_11cf(id, p, year, journal),
                };
                lines.extend(rec);
            }
            if lines.is_empty() {
                continue;
            }
            let name = format!("{}_{year}.txt", kind.as_str());
            let path = out.join(&name);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                // like every output: readable by the owner only
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = std::io::BufWriter::new(opts.open(&path).with_context(|| {
                crate::tr!("kan ikke skrive {}", "cannot write {}", path.display())
            })?);
            for l in &lines {
                writeln!(f, "{l}")?;
            }
            f.flush()?;
            written.push((name, lines.len()));
        }
    }
    Ok(written)
}
