//! From parsed 11F/11CF records to the rows of the data contract, as
//! `../shared/spec/kostra-import.md` ("Mapping to the data contract") defines it, and those
//! rows as Arrow batches with the contract's column names and types.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, Date32Array, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{Field, Schema};

use super::layout::{Kind, f11};
use super::record::{Cf11, F11, Header, Problem};
use crate::contract::load::days_since_epoch;
use crate::contract::{self, TableSpec};

/// The person id of a record: fødselsnummer, else DUF number, else the local key (with a
/// warning, reported by the caller).
pub fn person_id(head: &Header, duf: Option<&str>) -> (String, Option<Problem>) {
    if let Some(f) = &head.fnr {
        return (f.clone(), None);
    }
    if let Some(d) = duf {
        return (d.to_string(), None);
    }
    let key = format!(
        "{}{}-{}",
        head.kommune,
        head.bydel.as_deref().unwrap_or(""),
        head.journalnr
    );
    (key, Some(Problem::LocalId))
}

/// The `nav_kontor` of a kommune (and Oslo bydel): `--kontorer` when it maps it, else the
/// kommune number, with the bydel in Oslo.
pub type Offices = HashMap<(String, String), String>;

fn office(head: &Header, offices: &Offices) -> String {
    let bydel = head.bydel.clone().unwrap_or_default();
    offices
        .get(&(head.kommune.clone(), bydel.clone()))
        .cloned()
        .unwrap_or_else(|| format!("{}{bydel}", head.kommune))
}

#[derive(Debug, Clone)]
struct Person {
    /// (reporting year, 11F before 11CF, input order): the newest record wins.
    rank: (i32, u8, usize),
    fodselsdato: NaiveDate,
    kjonn: String,
    kommune: String,
    bydel: Option<String>,
    nav_kontor: String,
    veileder: Option<String>,
}

/// The contract's tables being built.
#[derive(Default)]
pub struct Tables {
    persons: BTreeMap<String, Person>,
    /// person, utbetalingsdato (= fom), tom, belop, stonadstype
    payments: Vec<(String, NaiveDate, NaiveDate, i64, &'static str)>,
    /// person, ytelse, fom, tom
    ytelser: BTreeSet<(String, &'static str, NaiveDate, NaiveDate)>,
    /// person, hjemmel, vilkar_kode, fom, tom
    vilkar: BTreeSet<(
        String,
        &'static str,
        &'static str,
        NaiveDate,
        Option<NaiveDate>,
    )>,
    /// (person, date, hendelse) → status_kode, avslutning_situasjon, viktigste_inntekt
    hendelser: BTreeMap<(String, NaiveDate, &'static str), Hendelse>,
    pub has_11cf: bool,
}

#[derive(Debug, Clone, Default)]
struct Hendelse {
    status_kode: Option<&'static str>,
    situasjon: Option<Vec<&'static str>>,
    viktigste: Option<String>,
}

fn month_bounds(year: i32, m: u32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, m, 1).expect("a month");
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .expect("a month");
    (first, last)
}

fn age_on(born: NaiveDate, d: NaiveDate) -> i32 {
    d.years_since(born).map_or(0, |y| y as i32)
}

impl Tables {
    fn person(
        &mut self,
        id: &str,
        head: &Header,
        saksbehandler: &Option<String>,
        rank: (i32, u8, usize),
        offices: &Offices,
    ) {
        let p = Person {
            rank,
            fodselsdato: head.fodselsdato,
            kjonn: head.kjonn.clone(),
            kommune: head.kommune.clone(),
            bydel: head.bydel.clone(),
            nav_kontor: office(head, offices),
            veileder: saksbehandler.clone(),
        };
        match self.persons.get(id) {
            Some(old) if old.rank >= p.rank => {}
            _ => {
                self.persons.insert(id.to_string(), p);
            }
        }
    }

    /// An 11F record of input file `file_no`.
    pub fn add_11f(&mut self, id: &str, r: &F11, file_no: usize, offices: &Offices) {
        let year = r.head.year;
        let rank = (year, kind_rank(Kind::F11), file_no);
        self.person(id, &r.head, &r.saksbehandler, rank, offices);
        let ticked: Vec<u32> = (1..=12).filter(|m| r.months[*m as usize - 1]).collect();
        let yearly = r.bidrag + r.laan;
        for &m in &ticked {
            let (b, l) = r.monthly[m as usize - 1];
            let (first, last) = month_bounds(year, m);
            let (belop, laan_only) = if b + l > 0 {
                (b + l, b == 0)
            } else {
                let avg = (yearly + ticked.len() as i64 - 1) / ticked.len() as i64;
                (avg.max(1), r.bidrag == 0 && r.laan > 0)
            };
            let kind = if laan_only { "LAAN" } else { "BIDRAG" };
            self.payments
                .push((id.to_string(), first, last, belop, kind));
        }
        if let (Some(&a), Some(&z)) = (ticked.first(), ticked.last()) {
            let fom = month_bounds(year, a).0;
            let tom = month_bounds(year, z).1;
            let trygd = f11::TRYGDESIT_CODES
                .iter()
                .find(|(c, _)| *c == r.trygdesit)
                .and_then(|(_, y)| *y);
            let vklo = f11::VKLO_CODES
                .iter()
                .find(|(c, _)| *c == r.vklo)
                .and_then(|(_, y)| *y);
            for y in [trygd, vklo].into_iter().flatten() {
                self.ytelser.insert((id.to_string(), y, fom, tom));
            }
        }
        if let Some((fom, tom, codes)) = &r.vilkar {
            // since 2017 conditions for under-30s are set under § 20 a
            let hjemmel = if age_on(r.head.fodselsdato, *fom) < 30 {
                "20a"
            } else {
                "20"
            };
            for code in codes {
                self.vilkar
                    .insert((id.to_string(), hjemmel, code, *fom, *tom));
            }
        }
    }

    /// An 11CF record of input file `file_no`.
    pub fn add_11cf(&mut self, id: &str, r: &Cf11, file_no: usize, offices: &Offices) {
        self.has_11cf = true;
        self.person(
            id,
            &r.head,
            &r.saksbehandler,
            (r.head.year, kind_rank(Kind::Cf11), file_no),
            offices,
        );
        let mut event = |date: NaiveDate, what: &'static str, h: Hendelse| {
            self.hendelser
                .entry((id.to_string(), date, what))
                .or_insert(h);
        };
        event(r.reg, "SOKNAD", Hendelse::default());
        if let Some(d) = r.vedtak {
            event(d, "INNVILGET", Hendelse::default());
        }
        if let Some(d) = r.begynt {
            event(d, "BEGYNT", Hendelse::default());
        }
        match r.status {
            "2" => {
                let dec31 = NaiveDate::from_ymd_opt(r.head.year, 12, 31).expect("a date");
                event(dec31, "PERMISJON", Hendelse::default());
            }
            "1" => {}
            s => {
                if let Some(d) = r.avsl_dato {
                    event(
                        d,
                        "AVSLUTTET",
                        Hendelse {
                            status_kode: Some(s),
                            situasjon: Some(r.avsl.clone()),
                            viktigste: r.viktigste.clone(),
                        },
                    );
                }
            }
        }
    }

    /// Row counts per table written.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let mut v = vec![
            ("personer", self.persons.len()),
            ("okonomisk_stonad", self.payments.len()),
            ("ytelser", self.ytelser.len()),
            ("vilkar", self.vilkar.len()),
        ];
        if self.has_11cf {
            v.push(("kvp_hendelser", self.hendelser.len()));
        }
        v
    }

    /// The tables as Arrow batches (contract names and types), in contract order; persons by
    /// id, every other table by person and date. `protection` maps person ids to
    /// `adressebeskyttelse` (`--adressebeskyttelse`).
    pub fn batches(
        mut self,
        protection: &HashMap<String, String>,
    ) -> anyhow::Result<Vec<(&'static TableSpec, RecordBatch)>> {
        let mut out = Vec::new();
        let p = &self.persons;
        out.push((
            &contract::PERSONER,
            batch(
                &contract::PERSONER,
                vec![
                    strs(p.keys().map(|k| Some(k.as_str()))),
                    dates(p.values().map(|x| Some(x.fodselsdato))),
                    strs(p.values().map(|x| Some(x.kjonn.as_str()))),
                    strs(p.values().map(|x| Some(x.kommune.as_str()))),
                    strs(p.values().map(|x| x.bydel.as_deref())),
                    strs(p.values().map(|x| Some(x.nav_kontor.as_str()))),
                    strs(p.values().map(|x| x.veileder.as_deref())),
                    strs(p.keys().map(|k| protection.get(k).map(String::as_str))),
                ],
            )?,
        ));
        self.payments.sort();
        let s = &self.payments;
        out.push((
            &contract::OKONOMISK_STONAD,
            batch(
                &contract::OKONOMISK_STONAD,
                vec![
                    strs(s.iter().map(|x| Some(x.0.as_str()))),
                    dates(s.iter().map(|x| Some(x.1))),
                    dates(s.iter().map(|x| Some(x.1))),
                    dates(s.iter().map(|x| Some(x.2))),
                    Arc::new(Int64Array::from_iter_values(s.iter().map(|x| x.3))),
                    strs(s.iter().map(|x| Some(x.4))),
                    strs(s.iter().map(|_| Some("UTBETALT"))),
                ],
            )?,
        ));
        let y = &self.ytelser;
        out.push((
            &contract::YTELSER_TABLE,
            batch(
                &contract::YTELSER_TABLE,
                vec![
                    strs(y.iter().map(|x| Some(x.0.as_str()))),
                    strs(y.iter().map(|x| Some(x.1))),
                    dates(y.iter().map(|x| Some(x.2))),
                    dates(y.iter().map(|x| Some(x.3))),
                ],
            )?,
        ));
        let v = &self.vilkar;
        out.push((
            &contract::VILKAR,
            batch(
                &contract::VILKAR,
                vec![
                    strs(v.iter().map(|x| Some(x.0.as_str()))),
                    strs(v.iter().map(|x| Some(x.1))),
                    strs(v.iter().map(|x| Some(x.2))),
                    dates(v.iter().map(|x| Some(x.3))),
                    dates(v.iter().map(|x| x.4)),
                    strs(v.iter().map(|_| None)),
                ],
            )?,
        ));
        if self.has_11cf {
            out.push((&contract::KVP_HENDELSER, self.hendelser_batch()?));
        }
        Ok(out)
    }

    /// `kvp_hendelser`, from the 11CF records.
    fn hendelser_batch(&self) -> anyhow::Result<RecordBatch> {
        let h: Vec<_> = self.hendelser.iter().collect();
        let mut situasjon = ListBuilder::new(StringBuilder::new());
        for (_, e) in &h {
            match &e.situasjon {
                Some(v) => {
                    for c in v {
                        situasjon.values().append_value(c);
                    }
                    situasjon.append(true);
                }
                None => situasjon.append(false),
            }
        }
        batch(
            &contract::KVP_HENDELSER,
            vec![
                strs(h.iter().map(|(k, _)| Some(k.0.as_str()))),
                dates(h.iter().map(|(k, _)| Some(k.1))),
                strs(h.iter().map(|(k, _)| Some(k.2))),
                strs(h.iter().map(|(_, e)| e.status_kode)),
                Arc::new(situasjon.finish()),
                strs(h.iter().map(|(_, e)| e.viktigste.as_deref())),
            ],
        )
    }
}

fn strs<'a>(v: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(v.collect::<StringArray>())
}

fn dates(v: impl Iterator<Item = Option<NaiveDate>>) -> ArrayRef {
    Arc::new(v.map(|d| d.map(days_since_epoch)).collect::<Date32Array>())
}

/// A batch with exactly the contract columns of `spec`, in its order and canonical types.
fn batch(spec: &TableSpec, cols: Vec<ArrayRef>) -> anyhow::Result<RecordBatch> {
    let schema = Schema::new(
        spec.columns
            .iter()
            .map(|c| Field::new(c.name, c.ty.canonical(), c.nullable))
            .collect::<Vec<_>>(),
    );
    Ok(RecordBatch::try_new(Arc::new(schema), cols)?)
}

/// The kind rank used when two records of one year disagree (11F wins).
pub fn kind_rank(k: Kind) -> u8 {
    match k {
        Kind::F11 => 1,
        Kind::Cf11 => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(fnr: Option<&str>) -> Header {
        Header {
            kommune: "0301".into(),
            year: 2026,
            bydel: Some("05".into()),
            fodselsdato: NaiveDate::from_ymd_opt(1990, 5, 1).unwrap(),
            journalnr: "00000042".into(),
            fnr: fnr.map(str::to_string),
            kjonn: "2".into(),
        }
    }

    #[test]
    fn person_id_is_fnr_then_duf_then_the_local_key() {
        assert_eq!(
            person_id(&head(Some("01019012345")), Some("123456789012")).0,
            "01019012345"
        );
        assert_eq!(
            person_id(&head(None), Some("123456789012")).0,
            "123456789012"
        );
        let (id, warning) = person_id(&head(None), None);
        assert_eq!(id, "030105-00000042");
        assert_eq!(warning, Some(Problem::LocalId));
    }

    #[test]
    fn blank_monthly_amounts_share_the_yearly_sum_rounded_up() {
        let mut months = [false; 12];
        for m in [0, 1, 2] {
            months[m] = true;
        }
        let r = F11 {
            line: 1,
            head: head(Some("01019012345")),
            duf: None,
            vklo: "5",
            trygdesit: "12",
            months,
            bidrag: 0,
            laan: 1000,
            monthly: [(0, 0); 12],
            saksbehandler: None,
            vilkar: None,
        };
        let mut t = Tables::default();
        t.add_11f("x", &r, 0, &Offices::new());
        let belop: Vec<i64> = t.payments.iter().map(|p| p.3).collect();
        assert_eq!(belop, [334, 334, 334]);
        assert!(t.payments.iter().all(|p| p.4 == "LAAN"));
        assert_eq!(t.persons["x"].nav_kontor, "030105");
        assert!(
            t.ytelser.is_empty(),
            "VKLO 5 and TRYGDESIT 12 are no income rows"
        );
    }
}
