//! Seed 002's question for the audit: does the activity condition for recipients under 30
//! (sosialtjenesteloven § 20 a) lead to work or education? For every person with a § 20 a
//! condition in force some day of the period, what the data shows after the condition's first
//! day, up to the end of the period: earned income, a student grant or loan, no economic
//! assistance paid in the last three months, a KVP programme started, a programme ended (and
//! whether to work or education). Counts per office and in total, small counts hidden;
//! kode-6 persons only in one national line.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Date32Type;
use futures::StreamExt;

use crate::contract::Lang;
use crate::contract::load::{Dataset, date_from_days};
use crate::engine::Engine;
use crate::output::suppress::{Shown, Table};

/// The columns of the table, in order: persons, then what happened after the condition began.
pub const COLUMNS: [&str; 8] = [
    "personer",
    "arbeidsinntekt",
    "stipend_lan",
    "uten_stonad_siste_3_mnd",
    "begynt_i_kvp",
    "avsluttet_kvp",
    "avsluttet_til_arbeid",
    "avsluttet_til_utdanning",
];

/// One person with a § 20 a condition in the period, and what followed.
#[derive(Debug, Clone, Default)]
pub struct Young {
    pub nav_kontor: String,
    pub skjermet: bool,
    pub fom: Option<NaiveDate>,
    /// Column names of [`COLUMNS`] (after `personer`) that hold for the person.
    pub after: BTreeSet<&'static str>,
}

/// Which tables the answer rests on: without `vilkar` there is no cohort; without `ytelser`
/// work and education income are unknown; without `kvp_hendelser` programmes are unknown.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    pub vilkar: bool,
    pub ytelser: bool,
    pub kvp_hendelser: bool,
}

impl Known {
    pub fn of(data: &Dataset) -> Known {
        let present = |t: &str| data.tables.get(t).is_some_and(|t| t.present);
        Known {
            vilkar: present("vilkar"),
            ytelser: present("ytelser"),
            kvp_hendelser: present("kvp_hendelser"),
        }
    }
}

async fn rows(engine: &Engine, sql: &str) -> anyhow::Result<Vec<RecordBatch>> {
    let mut out = Vec::new();
    let mut stream = engine.query(sql).await?;
    while let Some(b) = stream.next().await {
        out.push(b?);
    }
    Ok(out)
}

/// The cohort and what followed, from a session over the data as of `to`.
pub async fn cohort(engine: &Engine, from: NaiveDate, to: NaiveDate) -> anyhow::Result<Vec<Young>> {
    let (f, t) = (Engine::sql_date(from), Engine::sql_date(to));
    // the cohort: a § 20 a condition in force some day of the period (its first day)
    let cohort_sql = format!(
        "SELECT person_id, min(fom) AS fom FROM vilkar
         WHERE hjemmel = '20a' AND (status IS NULL OR status = 'RELEVANT')
           AND fom <= {t} AND (tom IS NULL OR tom >= {f})
         GROUP BY person_id"
    );
    let mut people = members(engine, &cohort_sql).await?;
    let period = (cohort_sql.as_str(), to, t.as_str());
    mark_income(engine, period, &mut people).await?;
    mark_without_assistance(engine, period, &mut people).await?;
    mark_programmes(engine, period, &mut people).await?;
    Ok(people.into_values().collect())
}

/// The cohort's persons with their office, protection and the condition's first day.
async fn members(engine: &Engine, cohort_sql: &str) -> anyhow::Result<HashMap<String, Young>> {
    let sql = format!(
        "SELECT v.person_id, v.fom, p.nav_kontor, p.adressebeskyttelse
         FROM ({cohort_sql}) v JOIN personer p ON p.person_id = v.person_id"
    );
    let mut people: HashMap<String, Young> = HashMap::new();
    for b in rows(engine, &sql).await? {
        let ids = b.column(0).as_string::<i32>();
        let fom = b.column(1).as_primitive::<Date32Type>();
        let kontor = b.column(2).as_string::<i32>();
        let vern = b.column(3).as_string::<i32>();
        for i in 0..b.num_rows() {
            let raw = vern.is_valid(i).then(|| vern.value(i));
            people.insert(
                ids.value(i).to_string(),
                Young {
                    nav_kontor: kontor.value(i).to_string(),
                    skjermet: crate::contract::Adressebeskyttelse::is_skjermet(raw),
                    fom: Some(date_from_days(fom.value(i))),
                    after: BTreeSet::new(),
                },
            );
        }
    }
    Ok(people)
}

/// (the cohort's SQL, the period's last day, that day as a SQL date)
type Period<'a> = (&'a str, NaiveDate, &'a str);

/// Earned income or a student grant/loan that began after the condition.
async fn mark_income(
    engine: &Engine,
    (cohort_sql, _, t): Period<'_>,
    people: &mut HashMap<String, Young>,
) -> anyhow::Result<()> {
    let sql = format!(
        "SELECT DISTINCT y.person_id, y.ytelse FROM ytelser y JOIN ({cohort_sql}) v
           ON v.person_id = y.person_id
         WHERE y.fom >= v.fom AND y.fom <= {t} AND y.ytelse IN ('ARBEIDSINNTEKT', 'STIPEND_LAN')"
    );
    for b in rows(engine, &sql).await? {
        let (ids, kind) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            if let Some(p) = people.get_mut(ids.value(i)) {
                p.after.insert(match kind.value(i) {
                    "ARBEIDSINNTEKT" => "arbeidsinntekt",
                    _ => "stipend_lan",
                });
            }
        }
    }
    Ok(())
}

/// No economic assistance paid in the last three months of the period.
async fn mark_without_assistance(
    engine: &Engine,
    (cohort_sql, to, t): Period<'_>,
    people: &mut HashMap<String, Young>,
) -> anyhow::Result<()> {
    let since = to
        .checked_sub_months(chrono::Months::new(3))
        .expect("a date in range");
    let sql = format!(
        "SELECT DISTINCT s.person_id FROM okonomisk_stonad s JOIN ({cohort_sql}) v
           ON v.person_id = s.person_id
         WHERE (s.status IS NULL OR s.status = 'UTBETALT')
           AND s.utbetalingsdato > {} AND s.utbetalingsdato <= {t}",
        Engine::sql_date(since)
    );
    let mut paid: BTreeSet<String> = BTreeSet::new();
    for b in rows(engine, &sql).await? {
        let ids = b.column(0).as_string::<i32>();
        paid.extend((0..b.num_rows()).map(|i| ids.value(i).to_string()));
    }
    for (id, p) in people.iter_mut() {
        if !paid.contains(id) {
            p.after.insert("uten_stonad_siste_3_mnd");
        }
    }
    Ok(())
}

/// Programmes started, or ended (to work or education), after the condition began.
async fn mark_programmes(
    engine: &Engine,
    (cohort_sql, _, t): Period<'_>,
    people: &mut HashMap<String, Young>,
) -> anyhow::Result<()> {
    let sql = format!(
        "SELECT h.person_id, h.hendelse, h.avslutning_situasjon FROM kvp_hendelser h
         JOIN ({cohort_sql}) v ON v.person_id = h.person_id
         WHERE h.dato >= v.fom AND h.dato <= {t} AND h.hendelse IN ('BEGYNT', 'AVSLUTTET')"
    );
    for b in rows(engine, &sql).await? {
        let ids = b.column(0).as_string::<i32>();
        let ev = b.column(1).as_string::<i32>();
        let lists = b.column(2).as_list::<i32>();
        for i in 0..b.num_rows() {
            let Some(p) = people.get_mut(ids.value(i)) else {
                continue;
            };
            if ev.value(i) == "BEGYNT" {
                p.after.insert("begynt_i_kvp");
                continue;
            }
            p.after.insert("avsluttet_kvp");
            if lists.is_valid(i) {
                let v = lists.value(i);
                let s = v.as_string::<i32>();
                for j in (0..s.len()).filter(|j| s.is_valid(*j)) {
                    match crate::output::categories::outcome(s.value(j)) {
                        "ordinaert_arbeid" | "arbeid_med_lonnstilskudd" => {
                            p.after.insert("avsluttet_til_arbeid");
                        }
                        "skole_utdanning" => {
                            p.after.insert("avsluttet_til_utdanning");
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(())
}

/// The table: (unit label key, unit) → published cells in [`COLUMNS`] order. Units: `totalt`,
/// each office, and the national `skjermet` line.
pub fn table(people: &[Young]) -> Vec<((String, String), Vec<Shown>)> {
    type K = (String, String, &'static str);
    // counted per unit on borrowed keys, one counter per column; cells made once per unit
    let mut counted: BTreeMap<(&str, &str), [u64; COLUMNS.len()]> = BTreeMap::new();
    for p in people {
        let unit: &[(&str, &str)] = if p.skjermet {
            &[("skjermet", "alle")]
        } else {
            &[("totalt", "alle"), ("nav_kontor", p.nav_kontor.as_str())]
        };
        for u in unit {
            let counts = counted.entry(*u).or_default();
            for (n, c) in counts.iter_mut().zip(COLUMNS) {
                if c == "personer" || p.after.contains(c) {
                    *n += 1;
                }
            }
        }
    }
    let mut cells: BTreeMap<K, u64> = BTreeMap::new();
    let mut units: BTreeSet<(String, String)> = [("totalt".into(), "alle".into())].into();
    for ((dim, val), counts) in counted {
        for (c, n) in COLUMNS.into_iter().zip(counts) {
            cells.insert((dim.to_string(), val.to_string(), c), n);
        }
        units.insert((dim.to_string(), val.to_string()));
    }
    for c in COLUMNS {
        cells
            .entry(("totalt".into(), "alle".into(), c))
            .or_insert(0);
    }
    let mut t = Table::new(cells);
    let offices: Vec<&(String, String)> = units.iter().filter(|u| u.0 == "nav_kontor").collect();
    for c in COLUMNS {
        t.sum(
            offices
                .iter()
                .map(|u| (u.0.clone(), u.1.clone(), c))
                .collect(),
            ("totalt".into(), "alle".into(), c),
        );
    }
    let shown = t.suppress();
    let order = |u: &(String, String)| match u.0.as_str() {
        "totalt" => 0,
        "nav_kontor" => 1,
        _ => 2,
    };
    let mut units: Vec<(String, String)> = units.into_iter().collect();
    units.sort_by_key(|u| (order(u), u.1.clone()));
    units
        .into_iter()
        .map(|u| {
            let row = COLUMNS
                .iter()
                .map(|c| shown[&(u.0.clone(), u.1.clone(), *c)])
                .collect();
            (u, row)
        })
        .collect()
}

/// Column headings as people read them (the unit column first).
const HEADINGS: [&str; 9] = [
    "Enhet",
    "Personer med vilkår om aktivitet",
    "Fikk arbeidsinntekt",
    "Fikk stipend/lån (utdanning)",
    "Ingen økonomisk stønad siste 3 måneder",
    "Begynte i KVP",
    "Avsluttet KVP",
    "Avsluttet KVP til arbeid",
    "Avsluttet KVP til utdanning",
];
const HEADINGS_EN: [&str; 9] = [
    "Unit",
    "Persons with an activity condition",
    "Got earned income",
    "Got a student grant/loan (education)",
    "No economic assistance in the last 3 months",
    "Started KVP",
    "Ended KVP",
    "Ended KVP to work",
    "Ended KVP to education",
];

/// Column headings as people read them, the unit column first.
pub fn headings(lang: Lang) -> Vec<&'static str> {
    crate::output::csv_out::header(lang, &HEADINGS, &HEADINGS_EN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn young(kontor: &str, after: &[&'static str]) -> Young {
        Young {
            nav_kontor: kontor.into(),
            after: after.iter().copied().collect(),
            ..Default::default()
        }
    }

    #[test]
    fn counts_per_office_add_up_and_small_ones_are_hidden() {
        let mut people: Vec<Young> = (0..6).map(|_| young("A", &["arbeidsinntekt"])).collect();
        people.extend((0..7).map(|_| young("B", &[])));
        people.push(young("C", &["stipend_lan"]));
        let t = table(&people);
        let row = |u: &str| t.iter().find(|((_, x), _)| x == u).unwrap().1.clone();
        assert_eq!(row("alle")[0], Shown::Value(14));
        assert_eq!(row("alle")[1], Shown::Value(6));
        assert_eq!(row("A")[1], Shown::Value(6));
        // office C has one person: hidden, and so is one more office in the same column
        assert_eq!(row("C")[0], Shown::UnderFive);
        assert!(
            row("A")[0] != Shown::Value(6) || row("B")[0] != Shown::Value(7),
            "A and B shown would reveal C's one person (14 − 7 − 6)"
        );
    }
}
