//! `rapport.html`: the availability report as one self-contained page, with its charts drawn as
//! inline SVG (uptake per office, the 12-month trend, age bands). Geometry is computed here; the
//! template (`rapport.html`, HTML-escaped) only places it.

use serde::Serialize;

use super::{AGE_BANDS, DateFigures, LEVELS, STATUS, uptake};
use crate::contract::Lang;
use crate::contract::names::Names;
use crate::output::categories::label;
use crate::output::suppress::Shown;
use crate::rules::RuleSet;

#[derive(Serialize)]
struct Bar {
    label: String,
    y: f64,
    w: f64,
    text: String,
}

#[derive(Serialize)]
struct Column {
    x: f64,
    y: f64,
    h: f64,
    w: f64,
    class: &'static str,
    text: String,
}

#[derive(Serialize)]
struct Series {
    class: &'static str,
    name: String,
    /// One polyline per unbroken run of shown values.
    segments: Vec<String>,
    points: Vec<(f64, f64, String)>,
}

/// A row of a table on a page: its label and its cells as shown.
#[derive(Serialize)]
pub(super) struct Row {
    pub label: String,
    pub cells: Vec<String>,
}

/// A table of the national page or an office page.
#[derive(Serialize)]
pub(super) struct TableView {
    pub id: String,
    pub title: String,
    pub head: Vec<String>,
    pub rows: Vec<Row>,
    /// A note under the title (regi unknown).
    pub note: Option<&'static str>,
    /// Whether a figure in it is hidden (the page then says why, under the table).
    pub hidden: bool,
}

impl TableView {
    pub(super) fn new(id: &str, title: &str, head: Vec<String>, rows: Vec<Row>) -> TableView {
        let hidden = rows
            .iter()
            .flat_map(|r| &r.cells)
            .any(|c| c == ":" || c == "<5");
        TableView {
            id: id.into(),
            title: title.into(),
            head,
            rows,
            note: None,
            hidden,
        }
    }
}

fn shown(f: &DateFigures, level: &str, unit: &str, table: &str, cat: &str) -> Shown {
    f.shown
        .get(&(level.into(), unit.into(), table.into(), cat.into()))
        .copied()
        .unwrap_or(Shown::Value(0))
}

fn pct(x: Option<f64>) -> String {
    x.map(|x| format!("{:.0} %", x * 100.0))
        .unwrap_or_else(|| ":".into())
}

fn units(f: &DateFigures, level: &str) -> Vec<String> {
    if super::single_unit(level) {
        vec!["alle".into()]
    } else {
        f.units.get(level).into_iter().flatten().cloned().collect()
    }
}

pub const BAR_WIDTH: f64 = 360.0;

/// The offices' bars, highest participant share first (offices whose share is hidden or
/// undefined last, by number), and the median share of the offices whose share is known.
fn uptake_bars(f: &DateFigures) -> (Vec<Bar>, Option<f64>) {
    let mut offices: Vec<(String, Option<f64>)> = units(f, "nav_kontor")
        .into_iter()
        .map(|u| {
            let a = uptake(f, "nav_kontor", &u);
            (u, a)
        })
        .collect();
    offices.sort_by(|(u, a), (v, b)| {
        let key = |x: &Option<f64>| x.map_or(f64::INFINITY, |x| -x);
        key(a).total_cmp(&key(b)).then_with(|| u.cmp(v))
    });
    let median = super::median(offices.iter().filter_map(|(_, a)| *a).collect());
    let bars = offices
        .into_iter()
        .enumerate()
        .map(|(i, (u, a))| Bar {
            y: 10.0 + 22.0 * i as f64,
            w: a.map_or(0.0, |x| x * BAR_WIDTH),
            text: pct(a),
            label: u,
        })
        .collect();
    (bars, median)
}

fn trend_series(dates: &[&DateFigures], lang: Lang) -> (Vec<Series>, Vec<(f64, String)>, u64) {
    let (x0, width, y0, height) = (60.0, 560.0, 20.0, 200.0);
    let n = dates.len().max(2) as f64 - 1.0;
    let max = dates
        .iter()
        .flat_map(|f| {
            ["deltakere", "kandidater"]
                .into_iter()
                .filter_map(|c| shown(f, "totalt", "alle", "status", c).value())
        })
        .max()
        .unwrap_or(0)
        .max(5);
    let xs: Vec<f64> = (0..dates.len())
        .map(|i| x0 + width * i as f64 / n)
        .collect();
    let series = ["deltakere", "kandidater"]
        .into_iter()
        .map(|c| {
            let mut segments = Vec::new();
            let mut current: Vec<String> = Vec::new();
            let mut points = Vec::new();
            for (i, f) in dates.iter().enumerate() {
                match shown(f, "totalt", "alle", "status", c) {
                    Shown::Value(v) => {
                        let y = y0 + height - height * v as f64 / max as f64;
                        current.push(format!("{:.1},{:.1}", xs[i], y));
                        points.push((xs[i], y, v.to_string()));
                    }
                    _ => {
                        if !current.is_empty() {
                            segments.push(current.join(" "));
                            current.clear();
                        }
                    }
                }
            }
            if !current.is_empty() {
                segments.push(current.join(" "));
            }
            Series {
                class: if c == "deltakere" { "s1" } else { "s2" },
                name: label(c, lang),
                segments,
                points,
            }
        })
        .collect();
    let ticks = dates
        .iter()
        .enumerate()
        .map(|(i, f)| (xs[i], f.date.format("%Y-%m").to_string()))
        .collect();
    (series, ticks, max)
}

fn age_columns(f: &DateFigures) -> (Vec<Column>, u64) {
    let (x0, group, bar, base, height) = (50.0, 80.0, 30.0, 200.0, 170.0);
    let max = AGE_BANDS
        .iter()
        .flat_map(|b| {
            ["alder_kandidater", "alder_deltakere"]
                .into_iter()
                .filter_map(|t| shown(f, "totalt", "alle", t, b).value())
        })
        .max()
        .unwrap_or(0)
        .max(5);
    let mut cols = Vec::new();
    for (i, b) in AGE_BANDS.iter().enumerate() {
        for (j, (t, class)) in [("alder_kandidater", "s2"), ("alder_deltakere", "s1")]
            .into_iter()
            .enumerate()
        {
            let s = shown(f, "totalt", "alle", t, b);
            let h = s.value().map_or(0.0, |v| height * v as f64 / max as f64);
            cols.push(Column {
                x: x0 + group * i as f64 + bar * j as f64,
                y: base - h,
                h,
                w: bar - 4.0,
                class,
                text: s.text(),
            });
        }
    }
    (cols, max)
}

fn status_table(
    f: &DateFigures,
    level: &str,
    title: String,
    (names, lang): (&Names, Lang),
) -> TableView {
    let mut head = vec![String::new()];
    head.extend(STATUS.iter().map(|s| label(s, lang)));
    head.push(label("andel", lang));
    let rows = units(f, level)
        .into_iter()
        .map(|u| {
            let mut cells: Vec<String> = STATUS
                .iter()
                .map(|s| shown(f, level, &u, "status", s).text())
                .collect();
            cells.push(pct(uptake(f, level, &u)));
            Row {
                label: match level {
                    "totalt" | "skjermet" => crate::i18n::pages::RAPPORT_ORD.word(level, lang),
                    _ => names.label(level, &u),
                },
                cells,
            }
        })
        .collect();
    TableView::new(level, &title, head, rows)
}

fn breakdown(
    f: &DateFigures,
    title: String,
    cats: &[String],
    tables: &[(String, String)],
    names: impl Fn(&str) -> String,
) -> TableView {
    let mut head = vec![String::new()];
    head.extend(tables.iter().map(|(_, h)| h.clone()));
    let rows = cats
        .iter()
        .map(|c| Row {
            label: names(c),
            cells: tables
                .iter()
                .map(|(t, _)| shown(f, "totalt", "alle", t, c).text())
                .collect(),
        })
        .collect();
    let id = tables.first().map_or("", |(t, _)| t.as_str());
    TableView::new(id, &title, head, rows)
}

pub fn render_html(
    current: &DateFigures,
    trend: &[&DateFigures],
    (rules, names): (&RuleSet, &Names),
    lang: Lang,
) -> anyhow::Result<String> {
    let t = crate::i18n::pages::RAPPORT.map(lang);
    let breakdowns = breakdowns(current, rules, lang);
    let status_tables: Vec<TableView> = LEVELS
        .iter()
        .map(|l| {
            let title = match *l {
                "fylke" => t["fylke"],
                "nav_kontor" => t["kontor"],
                "kommune" => t["kommune"],
                "skjermet" => t["skjermet"],
                _ => t["totalt"],
            };
            status_table(current, l, title.into(), (names, lang))
        })
        .collect();
    let (bars, median) = uptake_bars(current);
    let (series, ticks, trend_max) = trend_series(trend, lang);
    // the trend's numbers as a table too: tooltips neither print nor reach screen readers
    let trend_rows: Vec<(String, String, String, String)> = trend
        .iter()
        .map(|f| {
            let v = |c: &str| shown(f, "totalt", "alle", "status", c).text();
            (
                f.date.to_string(),
                v("deltakere"),
                v("kandidater"),
                pct(uptake(f, "totalt", "alle")),
            )
        })
        .collect();
    let (columns, age_max) = age_columns(current);

    let mut env = minijinja::Environment::new();
    crate::output::numbers::register(&mut env, lang);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("rapport.html", include_str!("rapport.html"))?;
    let html = env.get_template("rapport.html")?.render(minijinja::context! {
        t => t,
        dato => current.date.to_string(),
        status_tables => status_tables,
        breakdowns => breakdowns,
        bars => bars,
        median_x => median.map(|m| 120.0 + m * BAR_WIDTH),
        median_text => median.map(|m| pct(Some(m))),
        bar_width => BAR_WIDTH,
        bars_height => 20.0 + 22.0 * bars.len() as f64,
        series => series,
        ticks => ticks,
        trend_rows => trend_rows,
        trend_max => trend_max,
        columns => columns,
        age_labels => AGE_BANDS.iter().enumerate().map(|(i, b)| (50.0 + 80.0 * i as f64 + 28.0, label(b, lang))).collect::<Vec<_>>(),
        age_max => age_max,
        versjon => env!("CARGO_PKG_VERSION"),
        regelsett => rules.hash()[..12].to_string(),
    })?;
    Ok(html)
}

/// The breakdown tables under the key figures: gender, rule, reason for exclusion, regi,
/// measures, participants' age groups and ended programmes, with a note where regi is unknown.
/// How a breakdown names its categories: in words, or by the rule's title.
#[derive(Clone, Copy)]
enum Naming {
    Words,
    RuleTitle,
}

/// A breakdown of the national page: the title's key, the table whose categories are the
/// rows, the columns as (table, heading key), and how the categories are named.
struct Breakdown {
    title: &'static str,
    rows: &'static str,
    columns: &'static [(&'static str, &'static str)],
    naming: Naming,
}

const BREAKDOWNS: [Breakdown; 7] = [
    Breakdown {
        title: "kjonn",
        rows: "kjonn_kandidater",
        columns: &[
            ("kjonn_kandidater", "kandidater"),
            ("kjonn_deltakere", "deltakere"),
        ],
        naming: Naming::Words,
    },
    Breakdown {
        title: "regel",
        rows: "regel_kandidater",
        columns: &[
            ("regel_kandidater", "kandidater"),
            ("regel_deltakere", "deltakere"),
        ],
        naming: Naming::RuleTitle,
    },
    Breakdown {
        title: "grunn",
        rows: "ekskludert_grunn",
        columns: &[("ekskludert_grunn", "antall")],
        naming: Naming::RuleTitle,
    },
    Breakdown {
        title: "regi",
        rows: "regi_deltakere",
        columns: &[("regi_deltakere", "deltakere")],
        naming: Naming::Words,
    },
    Breakdown {
        title: "tiltak",
        rows: "deltakere_tiltak",
        columns: &[("deltakere_tiltak", "deltakere")],
        naming: Naming::Words,
    },
    Breakdown {
        title: "aldersgruppe",
        rows: "deltakere_aldersgruppe",
        columns: &[("deltakere_aldersgruppe", "deltakere")],
        naming: Naming::Words,
    },
    Breakdown {
        title: "avsluttet",
        rows: "avsluttet_siste_12_mnd",
        columns: &[
            ("avsluttet_siste_12_mnd", "alle_avsluttet"),
            ("avsluttet_planmessig", "planmessig"),
            ("avsluttet_avbrudd", "avbrudd"),
        ],
        naming: Naming::Words,
    },
];

fn breakdowns(current: &DateFigures, rules: &RuleSet, lang: Lang) -> Vec<TableView> {
    let t = crate::i18n::pages::RAPPORT.map(lang);
    let mut breakdowns: Vec<TableView> = BREAKDOWNS
        .iter()
        .map(|b| {
            let columns: Vec<(String, String)> = b
                .columns
                .iter()
                .map(|(table, head)| (table.to_string(), t[head].to_string()))
                .collect();
            breakdown(
                current,
                t[b.title].into(),
                &super::category(rules, b.rows),
                &columns,
                |c| match b.naming {
                    Naming::Words => label(c, lang),
                    Naming::RuleTitle => rules.title(c, lang),
                },
            )
        })
        .collect();
    if !current.regi_known {
        for b in breakdowns
            .iter_mut()
            .filter(|b| b.title == t["regi"] || b.title == t["tiltak"])
        {
            b.note = Some(t["regi_ukjent"]);
        }
    }
    breakdowns
}

#[cfg(test)]
mod tests {
    /// Every title and column heading of the breakdowns is a key of the page's table (the
    /// page looks them up by index).
    #[test]
    fn every_breakdown_label_is_in_the_page_table() {
        use crate::i18n::{Lang, pages::RAPPORT};
        for b in super::BREAKDOWNS {
            let keys = std::iter::once(b.title).chain(b.columns.iter().map(|(_, h)| *h));
            for key in keys.chain(["regi", "tiltak", "regi_ukjent"]) {
                assert!(RAPPORT.get(key, Lang::En).is_some(), "{key}");
            }
        }
    }

    /// WCAG relative luminance of `#rrggbb` or `#rgb`.
    fn luminance(hex: &str) -> f64 {
        let h: String = if hex.len() == 3 {
            hex.chars().flat_map(|c| [c, c]).collect()
        } else {
            hex.to_string()
        };
        let c = |i: usize| {
            let v = u8::from_str_radix(&h[i..i + 2], 16).unwrap() as f64 / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * c(0) + 0.7152 * c(2) + 0.0722 * c(4)
    }

    /// Every colour that draws a chart mark (fill, stroke, legend swatch, bar segment) stands
    /// out from the white page by at least 3:1 (WCAG 1.4.11, non-text contrast).
    #[test]
    fn chart_colours_contrast_with_the_page() {
        let pages = [
            include_str!("rapport.html"),
            include_str!("../audit/audit.html"),
            include_str!("kontor.html"),
        ];
        let mut seen = 0;
        for css in pages.iter().flat_map(|p| p.lines()) {
            let mark = css.contains("fill:")
                || css.contains("stroke:")
                || css.contains(".legend i")
                || css.contains(".bar ");
            if !mark || css.contains("fill: none") && !css.contains('#') {
                continue;
            }
            for part in css.split('#').skip(1) {
                let hex: String = part.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
                if hex.len() != 3 && hex.len() != 6 {
                    continue;
                }
                let ratio = 1.05 / (luminance(&hex) + 0.05);
                // text fill (#1a1a1a) passes too; white-on-white would not
                assert!(ratio >= 3.0, "#{hex} has contrast {ratio:.2} in: {css}");
                seen += 1;
            }
        }
        assert!(seen >= 8, "the chart colours were found ({seen})");
    }
}
