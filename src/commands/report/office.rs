//! `report --kontor ID`: one NAV office's own page (`kontor_<id>.html`) and table
//! (`kontor_<id>.csv`) for its leader: the office's figures beside its county (fylke) and the
//! nation, with the median of the offices; seed 004's figures (participants 18–24 and 25+, by
//! measure regi, ended programmes planned or interrupted with outcomes); the participant share
//! at each month-end. Shared pages hide small counts like the national report; `--intern` shows
//! the office its own counts (never another office's), and says so on the page.

use crate::i18n::pages::{RAPPORT_ORD, Rapport};
use std::collections::BTreeMap;

use serde::Serialize;

use super::charts::{Row, TableView};
use super::{DateFigures, STATUS, category, median};
use crate::contract::Lang;
use crate::output::csv_out::{done, header, writer};
use crate::output::numbers::percent;
use crate::output::suppress::Shown;
use crate::output::{OutputDir, Staged};
use crate::rules::RuleSet;

/// The office's breakdown tables, in page order: (table, the status it divides, or `alle`).
const TABLES: [(&str, &str); 9] = [
    ("deltakere_aldersgruppe", "deltakere"),
    ("deltakere_tiltak", "deltakere"),
    ("alder_kandidater", "kandidater"),
    ("kjonn_kandidater", "kandidater"),
    ("regel_kandidater", "kandidater"),
    ("ekskludert_grunn", "ekskludert"),
    ("avsluttet_planmessig", "alle"),
    ("avsluttet_avbrudd", "alle"),
    ("avsluttet_siste_12_mnd", "alle"),
];

/// Reads a figure of one office's page: the office's own raw count in `--intern` mode,
/// otherwise the published (suppressed) one.
struct Reader<'a> {
    office: &'a str,
    fylke: &'a str,
    intern: bool,
}

impl Reader<'_> {
    fn get(&self, f: &DateFigures, level: &str, table: &str, cat: &str) -> Shown {
        let unit = match level {
            "nav_kontor" => self.office,
            "fylke" => self.fylke,
            _ => "alle",
        };
        let key = (level.into(), unit.into(), table.into(), cat.into());
        if let Some(v) = f
            .raw
            .get(&key)
            .filter(|_| self.intern && level == "nav_kontor")
        {
            return Shown::Value(*v);
        }
        f.shown.get(&key).copied().unwrap_or(Shown::Value(0))
    }

    /// The office's participant share (deltakere / (deltakere + kandidater)).
    fn uptake(&self, f: &DateFigures, level: &str) -> Option<f64> {
        let d = self.get(f, level, "status", "deltakere").value()?;
        let k = self.get(f, level, "status", "kandidater").value()?;
        (d + k > 0).then(|| d as f64 / (d + k) as f64)
    }

    /// A category's share of the table's whole (`total` of `status`, or the table's `alle`).
    fn share(&self, f: &DateFigures, level: &str, table: &str, cat: &str, total: &str) -> Share {
        let whole = if total == "alle" {
            self.get(f, level, table, "alle")
        } else {
            self.get(f, level, "status", total)
        };
        let part = self.get(f, level, table, cat);
        Share::of(part, whole)
    }
}

/// A share, or why it is not shown.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Share {
    Pct(f64),
    Hidden,
    /// The whole is zero.
    None,
}

impl Share {
    fn of(part: Shown, whole: Shown) -> Share {
        match (part.value(), whole.value()) {
            (Some(_), Some(0)) => Share::None,
            (Some(p), Some(w)) => Share::Pct(p as f64 / w as f64),
            _ => Share::Hidden,
        }
    }

    fn text(self, lang: Lang) -> String {
        match self {
            Share::Pct(x) => percent(x, lang),
            Share::Hidden => ":".into(),
            Share::None => "–".into(),
        }
    }
}

/// The median office's value of one figure. Hidden values (1–4, or hidden with a sum) sort
/// between 0 and 5; when the median falls on one, it is shown as `<5` or `:` too.
fn median_office(f: &DateFigures, table: &str, cat: &str) -> Shown {
    let mut values: Vec<Shown> = f
        .units
        .get("nav_kontor")
        .into_iter()
        .flatten()
        .map(|u| {
            let key = ("nav_kontor".into(), u.clone(), table.into(), cat.into());
            f.shown.get(&key).copied().unwrap_or(Shown::Value(0))
        })
        .collect();
    let order = |s: &Shown| match s {
        Shown::Value(0) => 0.0,
        Shown::Value(v) => *v as f64 + 0.5,
        Shown::UnderFive | Shown::Secondary => 3.0,
    };
    values.sort_by(|a, b| order(a).total_cmp(&order(b)));
    values
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(Shown::Value(0))
}

/// Everything the office page shows.
#[derive(Serialize)]
struct Page {
    office: String,
    fylke: String,
    dato: String,
    intern: bool,
    headline: String,
    status: TableView,
    tables: Vec<TableView>,
    trend: TableView,
    kommuner: String,
}

/// A level of `rapport.json` in words.
pub(super) fn level_label(level: &str, lang: Lang) -> &'static str {
    let t = &crate::i18n::pages::RAPPORT_NIVA;
    t.get(level, lang)
        .unwrap_or_else(|| t.text("skjermet", lang))
}

/// A table's title and its categories' labels.
pub(super) fn table_title(table: &str, lang: Lang) -> &'static str {
    let t = &crate::i18n::pages::RAPPORT_TABELL;
    t.get(table, lang)
        .unwrap_or_else(|| t.text("avsluttet_siste_12_mnd", lang))
}

pub(super) fn category_label(table: &str, cat: &str, rules: &RuleSet, lang: Lang) -> String {
    match cat {
        "alle" => RAPPORT_ORD.word("alle", lang),
        _ if table.starts_with("regel_") || table == "ekskludert_grunn" => rules.title(cat, lang),
        _ => crate::output::categories::label(cat, lang),
    }
}

/// Builds one office's page and table.
pub struct OfficePage<'a> {
    pub office: &'a str,
    pub current: &'a DateFigures,
    /// The month-ends, the scan date last.
    pub trend: &'a [&'a DateFigures],
    pub rules: &'a RuleSet,
    pub lang: Lang,
    pub intern: bool,
    pub names: &'a crate::contract::names::Names,
}

impl OfficePage<'_> {
    fn reader(&self) -> Reader<'_> {
        let fylke = self
            .current
            .office_fylke
            .get(self.office)
            .map_or("ukjent", String::as_str);
        Reader {
            office: self.office,
            fylke,
            intern: self.intern,
        }
    }

    fn status_table(&self, t: &BTreeMap<&str, &str>) -> TableView {
        let r = self.reader();
        let f = self.current;
        let mut rows: Vec<Row> = STATUS
            .iter()
            .map(|s| Row {
                label: crate::output::categories::label(s, self.lang),
                cells: vec![
                    r.get(f, "nav_kontor", "status", s).text(),
                    r.get(f, "fylke", "status", s).text(),
                    r.get(f, "totalt", "status", s).text(),
                    median_office(f, "status", s).text(),
                ],
            })
            .collect();
        let shares: Vec<Option<f64>> = vec![
            r.uptake(f, "nav_kontor"),
            r.uptake(f, "fylke"),
            r.uptake(f, "totalt"),
            median(
                f.units
                    .get("nav_kontor")
                    .into_iter()
                    .flatten()
                    .filter_map(|u| super::uptake(f, "nav_kontor", u))
                    .collect(),
            ),
        ];
        rows.push(Row {
            label: t["andel"].into(),
            cells: shares
                .into_iter()
                .map(|x| x.map_or(":".into(), |x| percent(x, self.lang)))
                .collect(),
        });
        let head = ["", t["kontoret"], t["fylket"], t["landet"], t["median"]];
        view("status", t["status"], &head, rows)
    }

    fn breakdown(&self, table: &str, total: &str, t: &BTreeMap<&str, &str>) -> TableView {
        let r = self.reader();
        let f = self.current;
        let rows = category(self.rules, table)
            .iter()
            .map(|c| Row {
                label: category_label(table, c, self.rules, self.lang),
                cells: vec![
                    r.get(f, "nav_kontor", table, c).text(),
                    r.share(f, "nav_kontor", table, c, total).text(self.lang),
                    r.share(f, "fylke", table, c, total).text(self.lang),
                    r.share(f, "totalt", table, c, total).text(self.lang),
                ],
            })
            .collect();
        let head = [
            "",
            t["kontoret"],
            t["kontoret_andel"],
            t["fylket_andel"],
            t["landet_andel"],
        ];
        view(table, table_title(table, self.lang), &head, rows)
    }

    fn trend_table(&self, t: &BTreeMap<&str, &str>) -> TableView {
        let r = self.reader();
        let pct = |x: Option<f64>| x.map_or(":".into(), |x| percent(x, self.lang));
        let rows = self
            .trend
            .iter()
            .map(|f| Row {
                label: f.date.to_string(),
                cells: vec![
                    r.get(f, "nav_kontor", "status", "deltakere").text(),
                    r.get(f, "nav_kontor", "status", "kandidater").text(),
                    pct(r.uptake(f, "nav_kontor")),
                    pct(r.uptake(f, "fylke")),
                    pct(r.uptake(f, "totalt")),
                ],
            })
            .collect();
        let head = [
            t["maned"],
            t["deltakere"],
            t["kandidater"],
            t["kontoret_andel"],
            t["fylket_andel"],
            t["landet_andel"],
        ];
        view("trend", t["trend"], &head, rows)
    }

    /// Municipalities without participants, in the county and nationwide (seed 004 counts
    /// them; a count of municipalities, not of persons, so nothing is hidden).
    fn kommuner_uten_deltakere(&self) -> String {
        let f = self.current;
        let fylke = self.reader().fylke.to_string();
        let (mut in_county, mut county, mut none, mut all) = (0, 0, 0, 0);
        for k in f.units.get("kommune").into_iter().flatten() {
            let key = (
                "kommune".into(),
                k.clone(),
                "status".into(),
                "deltakere".into(),
            );
            let zero = f.shown.get(&key) == Some(&Shown::Value(0));
            all += 1;
            none += zero as u32;
            if super::fylke(k) == fylke {
                county += 1;
                in_county += zero as u32;
            }
        }
        Rapport::KommunerUtenDeltakere.fill(self.lang, &[&in_county, &county, &none, &all])
    }

    fn headline(&self) -> String {
        let r = self.reader();
        let f = self.current;
        let get = |s: &str| {
            crate::output::numbers::cell(&r.get(f, "nav_kontor", "status", s).text(), self.lang)
        };
        let pct = |x: Option<f64>| x.map_or(":".into(), |x| percent(x, self.lang));
        let (d, k) = (get("deltakere"), get("kandidater"));
        let (own, county, nation) = (
            pct(r.uptake(f, "nav_kontor")),
            pct(r.uptake(f, "fylke")),
            pct(r.uptake(f, "totalt")),
        );
        let name = self.names.label("nav_kontor", self.office);
        Rapport::Overskrift.fill(self.lang, &[&name, &d, &k, &own, &county, &nation])
    }

    fn page(&self) -> Page {
        let t = crate::i18n::pages::RAPPORT_KONTOR.map(self.lang);
        Page {
            office: self.names.label("nav_kontor", self.office),
            fylke: self.names.label("fylke", self.reader().fylke),
            dato: self.current.date.to_string(),
            intern: self.intern,
            headline: self.headline(),
            status: self.status_table(&t),
            tables: TABLES
                .iter()
                .map(|(table, total)| self.breakdown(table, total, &t))
                .collect(),
            trend: self.trend_table(&t),
            kommuner: self.kommuner_uten_deltakere(),
        }
    }

    pub fn render_html(&self) -> anyhow::Result<String> {
        let mut env = minijinja::Environment::new();
        crate::output::numbers::register(&mut env, self.lang);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_template("kontor.html", include_str!("kontor.html"))?;
        let html = env
            .get_template("kontor.html")?
            .render(minijinja::context! {
                t => crate::i18n::pages::RAPPORT_KONTOR.map(self.lang),
                p => self.page(),
                versjon => env!("CARGO_PKG_VERSION"),
                regelsett => self.rules.hash()[..12].to_string(),
            })?;
        Ok(html)
    }

    /// `kontor_<id>.xlsx`: the page's tables as one typed sheet (counts as numbers, shares as
    /// percentages, hidden figures as text), dated with the scan date so the bytes repeat.
    pub fn write_xlsx(&self, out: &OutputDir, name: &str) -> anyhow::Result<Staged> {
        use crate::output::xlsx_out::{Cell, write};
        let page = self.page();
        let tables = std::iter::once(&page.status)
            .chain(&page.tables)
            .chain([&page.trend]);
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        for table in tables {
            for row in &table.rows {
                for (head, cell) in table.head.iter().skip(1).zip(&row.cells) {
                    rows.push(vec![
                        Cell::Text(table.title.clone()),
                        Cell::Text(row.label.clone()),
                        Cell::Text(head.clone()),
                        Cell::figure(cell),
                    ]);
                }
            }
        }
        let head = crate::output::csv_out::header(
            self.lang,
            &["Tabell", "Kategori", "Kolonne", "Verdi"],
            &["Table", "Category", "Column", "Value"],
        );
        write(
            out,
            name,
            &sheet_name(self.office),
            &head,
            &rows,
            self.current.date,
        )
    }

    /// `kontor_<id>.csv`: every table of the page, a row per figure.
    pub fn write_csv(&self, out: &OutputDir, name: &str) -> anyhow::Result<Staged> {
        let page = self.page();
        let mut w = writer(out.temp(name)?)?;
        w.write_record(header(
            self.lang,
            &["Tabell", "Kategori", "Kolonne", "Verdi", "tabell"],
            &["Table", "Category", "Column", "Value", "table"],
        ))?;
        let mut rows = 0u64;
        let tables = std::iter::once(&page.status)
            .chain(&page.tables)
            .chain([&page.trend]);
        for table in tables {
            for row in &table.rows {
                for (head, cell) in table.head.iter().skip(1).zip(&row.cells) {
                    w.write_record([&table.title, &row.label, head, cell, &table.id])?;
                    rows += 1;
                }
            }
        }
        done(w, name, rows)
    }
}

/// A workbook sheet name from an office id (data, so hostile until made safe): at most 24
/// characters, none of those Excel refuses (`[]:*?/\` and an apostrophe at either end).
fn sheet_name(office: &str) -> String {
    format!("NAV {}", office.chars().take(20).collect::<String>())
        .chars()
        .map(|c| if "[]:*?/\\'".contains(c) { '_' } else { c })
        .collect()
}

fn view(id: &str, title: &str, head: &[&str], rows: Vec<Row>) -> TableView {
    TableView::new(
        id,
        title,
        head.iter().map(|h| h.to_string()).collect(),
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_office_id_makes_a_sheet_name_excel_takes() {
        for id in ["0312", "a/b:c", "'x'", "[*?]", &"Å".repeat(64)] {
            let name = sheet_name(id);
            let bytes = crate::output::xlsx_out::bytes(
                &name,
                &["a"],
                &[],
                chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
            );
            assert!(bytes.is_ok(), "{id}: {name}");
        }
    }

    #[test]
    fn shares_say_why_they_are_missing() {
        assert_eq!(
            Share::of(Shown::Value(1), Shown::Value(4)).text(Lang::Nb),
            "25,0 %"
        );
        assert_eq!(
            Share::of(Shown::Value(1), Shown::Value(4)).text(Lang::En),
            "25.0 %"
        );
        assert_eq!(Share::of(Shown::UnderFive, Shown::Value(40)), Share::Hidden);
        assert_eq!(Share::of(Shown::Value(0), Shown::Value(0)), Share::None);
    }
}
