//! `report`: the availability report's figures against `scan`, the suppression invariants, the
//! trend replay, and the page with its charts rendered in headless Chromium.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::browser::{Browser, assert_self_contained};
use super::{AS_OF, kvp, read_csv, scan};

fn report(data: &str, months: &str) -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rapport");
    let a = kvp()
        .args([
            "report",
            "--data",
            data,
            "--as-of",
            AS_OF,
            "--threads",
            "2",
            "--months",
            months,
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    (tmp, out, err)
}

fn json(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("rapport.json")).unwrap()).unwrap()
}

/// (level, unit) → table → category → value as published
type Units = BTreeMap<(String, String), BTreeMap<String, BTreeMap<String, serde_json::Value>>>;

fn units(v: &serde_json::Value) -> Units {
    v.as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let key = (
                u["niva"].as_str().unwrap().to_string(),
                u["enhet"].as_str().unwrap().to_string(),
            );
            let tall = serde_json::from_value(u["tall"].clone()).unwrap();
            (key, tall)
        })
        .collect()
}

fn hidden(v: &serde_json::Value) -> bool {
    v.is_string()
}

/// No published count is 1–4, and no published sum has exactly one hidden term.
fn assert_suppressed(u: &Units) {
    for ((level, unit), tables) in u {
        for (t, cats) in tables {
            for (c, v) in cats {
                if let Some(n) = v.as_u64() {
                    assert!(n == 0 || n >= 5, "{level}/{unit}/{t}/{c} = {n} is shown");
                } else {
                    assert!(v == "<5" || v == ":", "{level}/{unit}/{t}/{c} = {v}");
                }
            }
        }
        // within a unit
        let status = &tables["status"];
        let mut sums: Vec<(Vec<&serde_json::Value>, &serde_json::Value)> = vec![(
            vec![&status["i_program"], &status["permisjon"]],
            &status["deltakere"],
        )];
        for (t, total) in [
            ("alder_kandidater", "kandidater"),
            ("alder_deltakere", "deltakere"),
            ("kjonn_kandidater", "kandidater"),
            ("kjonn_deltakere", "deltakere"),
        ] {
            if let Some(parts) = tables.get(t) {
                sums.push((parts.values().collect(), &status[total]));
            }
        }
        for (parts, total) in sums {
            let n = parts.iter().filter(|v| hidden(v)).count() + hidden(total) as usize;
            assert_ne!(n, 1, "{level}/{unit}: a sum reveals a hidden count");
        }
    }
    // across units: offices and kommuner add up to the total
    let total = &u[&("totalt".to_string(), "alle".to_string())];
    for level in ["nav_kontor", "kommune"] {
        for (t, cats) in total {
            for (c, tv) in cats {
                let parts: Vec<&serde_json::Value> = u
                    .iter()
                    .filter(|((l, _), _)| l == level)
                    .map(|(_, tables)| &tables[t][c])
                    .collect();
                let n = parts.iter().filter(|v| hidden(v)).count() + hidden(tv) as usize;
                assert_ne!(n, 1, "{level} {t}/{c}: the total reveals a hidden count");
                if !hidden(tv) && parts.iter().all(|v| !hidden(v)) {
                    let sum: u64 = parts.iter().map(|v| v.as_u64().unwrap()).sum();
                    assert_eq!(sum, tv.as_u64().unwrap(), "{level} {t}/{c} does not add up");
                }
            }
        }
    }
}

#[test]
fn report_figures_agree_with_scan_and_hide_small_counts() {
    let (_tmp, out, err) = report("testdata/demo", "3");
    assert!(
        err.contains("tilgjengelighetsrapport for 5 kontorer og 4 kommuner over 4 datoer"),
        "{err}"
    );
    let r = json(&out);
    let u = units(&r["enheter"]);
    assert_suppressed(&u);

    // the totals are the scan's statuses on the same data
    let s = scan("testdata/demo", &[]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.out.join("manifest.json")).unwrap()).unwrap();
    let per_status = &manifest["oppsummering"]["per_status"];
    let total = &u[&("totalt".into(), "alle".into())]["status"];
    assert_eq!(total["kandidater"], per_status["kandidat"]);
    assert_eq!(total["ekskludert"], per_status["ekskludert"]);
    assert_eq!(total["deltakere"], per_status["deltaker"]);
    assert_eq!(total["under_behandling"], per_status["under_behandling"]);
    let andel = r["enheter"][0]["andel_deltakere"].as_f64().unwrap();
    let (d, k) = (
        per_status["deltaker"].as_f64().unwrap(),
        per_status["kandidat"].as_f64().unwrap(),
    );
    assert!((andel - d / (d + k)).abs() < 0.001);
    // age bands of candidates add up where shown, and 67+ candidates cannot exist
    assert_eq!(
        u[&("totalt".into(), "alle".into())]["alder_kandidater"]["67_plus"],
        0
    );

    // trend: three month-ends and the scan date; the last point is the current figures
    let trend = r["trend"].as_array().unwrap();
    let dates: Vec<&str> = trend.iter().map(|t| t["dato"].as_str().unwrap()).collect();
    assert_eq!(
        dates,
        ["2026-08-31", "2026-09-30", "2026-10-31", "2026-11-16"]
    );
    let last = units(&trend[3]["enheter"]);
    assert_eq!(
        last[&("totalt".into(), "alle".into())]["status"],
        u[&("totalt".into(), "alle".into())]["status"]
    );
    for t in trend {
        assert_suppressed(&units(&t["enheter"]));
    }
    // each month-end point (computed in one pass over all of them) has the statuses a scan at
    // that date gives
    for (i, date) in dates[..3].iter().enumerate() {
        let tmp = tempfile::tempdir().unwrap();
        kvp()
            .args(["scan", "--data", "testdata/demo", "--as-of", date, "--out"])
            .arg(tmp.path())
            .assert()
            .success();
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(tmp.path().join("manifest.json")).unwrap())
                .unwrap();
        let point = units(&trend[i]["enheter"]);
        let shown = &point[&("totalt".into(), "alle".into())]["status"];
        for (cat, status) in [
            ("kandidater", "kandidat"),
            ("ekskludert", "ekskludert"),
            ("deltakere", "deltaker"),
            ("under_behandling", "under_behandling"),
        ] {
            let want = m["oppsummering"]["per_status"][status]
                .as_u64()
                .unwrap_or(0);
            match shown[cat].as_u64() {
                Some(n) => assert_eq!(n, want, "{date} {cat}"),
                None => assert!(
                    (1..5).contains(&want) || shown[cat] == ":",
                    "{date} {cat}: shown {}, scan {want}",
                    shown[cat]
                ),
            }
        }
        if i == 1 {
            assert!(shown["kandidater"].as_u64().unwrap() > 0);
        }
    }

    // CSV: the same published values, Excel-friendly, no ids
    let csv = read_csv(&out.join("rapport.csv"));
    assert!(csv.starts_with("Nivå;Enhet;Navn;Dato;Tabell;Kategori;Verdi;nivå;tabell;kategori\r\n"));
    assert!(csv.contains(&format!(
        "Hele landet;;;2026-11-16;Status;Kandidater;{};totalt;status;kandidater\r\n",
        per_status["kandidat"]
    )));
    // office and municipality numbers as text, municipalities named from the bundled list
    assert!(
        csv.contains("Kommune;\"=\"\"0301\"\"\";Oslo;2026-11-16;"),
        "{csv}"
    );
    // shares as percentages with a decimal comma
    let shares: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains(";andel_deltakere;"))
        .map(|l| l.split(';').nth(6).unwrap())
        .collect();
    assert!(!shares.is_empty());
    for v in shares {
        assert!(v == ":" || (v.ends_with(" %") && !v.contains('.')), "{v}");
    }
    for line in csv.lines().skip(1) {
        let v = line.split(';').nth(6).unwrap();
        if let Ok(n) = v.parse::<u64>() {
            assert!(n == 0 || n >= 5, "{line}");
        }
    }
    let ids = super::vurderinger(&s.out);
    assert_eq!(ids.len(), 300);
    for f in ["rapport.csv", "rapport.json", "rapport.html"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        for id in ids.keys() {
            assert!(!text.contains(id.as_str()), "{f} holds a person id");
        }
    }
}

/// On a generated population, the scan date's breakdowns (the candidates' rules, the excluded
/// persons' exclusions, statuses, ages) are the scan's verdicts counted: the report takes them
/// from its one pass over the month-ends and the scan date, not from a scan's evaluation.
#[test]
fn report_breakdowns_are_the_scans_verdicts_counted() {
    use datafusion::arrow::array::AsArray;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    super::generate(3000, 5, &data, &[]);
    let data = data.to_str().unwrap();
    let (_tmp, out, _) = report(data, "2");
    let total = units(&json(&out)["enheter"])[&("totalt".into(), "alle".into())].clone();
    // kode-6 persons (in skjermet.parquet) are counted in the status line only
    let s = scan(data, &[]);
    let mut want: BTreeMap<(&str, String), u64> = BTreeMap::new();
    for b in super::read_batches(&s.out.join("vurderinger.parquet")) {
        let status = b.column_by_name("status").unwrap().as_string::<i32>();
        for i in 0..b.num_rows() {
            let mut add = |table: &'static str, cat: String| {
                *want.entry((table, cat)).or_default() += 1;
            };
            match status.value(i) {
                "kandidat" => {
                    add("status", "kandidater".into());
                    for r in super::list(&b, "treff", i) {
                        add("regel_kandidater", r);
                    }
                }
                "ekskludert" => {
                    add("status", "ekskludert".into());
                    for e in super::list(&b, "eksklusjoner", i) {
                        add("ekskludert_grunn", e);
                    }
                }
                "deltaker" => {
                    for r in super::list(&b, "treff", i) {
                        add("regel_deltakere", r);
                    }
                }
                _ => {}
            }
        }
    }
    let tables = ["regel_kandidater", "ekskludert_grunn", "regel_deltakere"];
    assert!(want.keys().any(|(t, _)| *t == "ekskludert_grunn"));
    let mut compared = 0;
    for ((table, cat), n) in &want {
        let shown = &total[*table][cat];
        match shown.as_u64() {
            Some(v) => assert_eq!(v, *n, "{table} {cat}"),
            None => assert!(hidden(shown) && (*n < 5 || shown == ":"), "{table} {cat}"),
        }
        compared += 1;
    }
    // a category no verdict has is published as zero
    for table in tables {
        for (cat, v) in &total[table] {
            if !want.contains_key(&(table, cat.clone())) {
                assert_eq!(v, 0, "{table} {cat}");
            }
        }
    }
    assert!(compared > 10, "{want:?}");
}

#[test]
fn small_offices_are_hidden_in_the_fixtures() {
    let (_tmp, out, _) = report("testdata/fixtures", "1");
    let u = units(&json(&out)["enheter"]);
    assert_suppressed(&u);
    let total = &u[&("totalt".into(), "alle".into())];
    // three participants (one on leave): all small
    assert_eq!(total["status"]["deltakere"], "<5");
    assert_eq!(total["status"]["permisjon"], "<5");
    // one programme ended in the last 12 months, with no situation recorded → "annet"
    assert_eq!(total["avsluttet_siste_12_mnd"]["alle"], "<5");
    assert_eq!(total["avsluttet_siste_12_mnd"]["ordinaert_arbeid"], 0);
    // office 4601 has one candidate
    assert_eq!(
        u[&("nav_kontor".into(), "4601".into())]["status"]["kandidater"],
        "<5"
    );
}

#[cfg(unix)]
#[test]
fn report_files_are_private_and_written_together() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, out, _) = report("testdata/demo", "1");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            assert_eq!(e.metadata().unwrap().permissions().mode() & 0o777, 0o600);
            e.file_name().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "manifest.json",
            "rapport.csv",
            "rapport.html",
            "rapport.json"
        ]
    );
}

/// The report records its provenance as every run does: the scan date, the rule set, every
/// input and every file written with its sha256 (which match the files).
#[test]
fn report_manifest_names_its_inputs_rules_and_outputs_with_hashes() {
    use sha2::Digest;
    let (_tmp, out, _) = report("testdata/demo", "1");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["verktoy"], "kvp-scan report");
    assert_eq!(m["skanningsdato"], "2026-11-16");
    assert_eq!(m["regelsett"]["sha256"].as_str().unwrap().len(), 64);
    let inputs: Vec<&str> = m["inndata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tabell"].as_str().unwrap())
        .collect();
    assert!(inputs.contains(&"personer") && inputs.contains(&"okonomisk_stonad"));
    let outputs = m["utdata"].as_array().unwrap();
    assert_eq!(outputs.len(), 3);
    for o in outputs {
        let bytes = std::fs::read(out.join(o["fil"].as_str().unwrap())).unwrap();
        assert_eq!(o["sha256"], format!("{:x}", sha2::Sha256::digest(&bytes)));
    }
}

#[test]
fn report_page_and_charts_render_in_headless_chromium() {
    let Some(browser) = Browser::require() else {
        return;
    };
    let (tmp, out, _) = report("testdata/demo", "12");
    let page = out.join("rapport.html");
    assert_self_contained(&page);
    let dom = browser.dom(&page);

    for id in ["svg-andel", "svg-trend", "svg-alder"] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "chart {id} missing");
    }
    let section = |id: &str| {
        let start = dom.find(&format!("id=\"{id}\"")).unwrap();
        let end = start + dom[start..].find("</svg>").unwrap();
        dom[start..end].to_string()
    };
    // one bar per office, a line per series with a point per date, two columns per age band
    assert_eq!(section("svg-andel").matches("<rect").count(), 5);
    let trend = section("svg-trend");
    assert_eq!(trend.matches("<polyline").count(), 2);
    assert_eq!(trend.matches("<circle").count(), 2 * 13);
    assert_eq!(section("svg-alder").matches("<rect").count(), 14);

    browser.screenshot(&page, "900,1800", &tmp.path().join("rapport.png"), 30_000);
}

/// The trend is also a table (tooltips neither print nor reach screen readers), with the same
/// published figures as rapport.json.
#[test]
fn the_trend_is_also_a_table() {
    let (_tmp, out, _) = report("testdata/demo", "3");
    let html = std::fs::read_to_string(out.join("rapport.html")).unwrap();
    let start = html
        .find("<table id=\"tabell-trend\">")
        .expect("a trend table");
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let r = json(&out);
    let trend = r["trend"].as_array().unwrap();
    assert_eq!(table.matches("<th scope=\"row\">").count(), trend.len());
    for t in trend {
        let total = units(&t["enheter"]);
        let status = &total[&("totalt".to_string(), "alle".to_string())]["status"];
        let cell = |v: &serde_json::Value| {
            v.as_u64()
                .map_or_else(|| v.as_str().unwrap().to_string(), |n| n.to_string())
        };
        let row = format!(
            "<th scope=\"row\">{}</th><td>{}</td><td>{}</td>",
            t["dato"].as_str().unwrap(),
            cell(&status["deltakere"]).replace('<', "&lt;"),
            cell(&status["kandidater"]).replace('<', "&lt;")
        );
        assert!(table.contains(&row), "{row} not in {table}");
    }
}

fn report_with(extra: &[&str]) -> (tempfile::TempDir, PathBuf, std::process::Output) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rapport");
    let o = kvp()
        .args(["report", "--data", "testdata/demo", "--as-of", AS_OF])
        .args(["--threads", "2", "--months", "3", "--out"])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    (tmp, out, o)
}

/// `kontor_<id>.csv` as (table, category, column) → cell.
fn office_cells(path: &Path) -> BTreeMap<(String, String, String), String> {
    read_csv(path)
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(';').collect();
            // Tabell;Kategori;Kolonne;Verdi;tabell (the code last)
            ((c[4].into(), c[1].into(), c[2].into()), c[3].into())
        })
        .collect()
}

/// An office's own page: its status figures are rapport.json's for the office, its county
/// (the kommune number's first two digits) and the nation; with `--intern` the office's own
/// column is the exact count a scan gives, and the seed-004 breakdowns add up to it.
#[test]
fn an_office_page_sets_the_office_beside_county_and_nation() {
    let (_tmp, out, o) = report_with(&["--kontor", "0312"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = json(&out);
    let u = units(&r["enheter"]);
    let cells = office_cells(&out.join("kontor_0312.csv"));
    let published = |level: &str, unit: &str, cat: &str| {
        let v = &u[&(level.to_string(), unit.to_string())]["status"][cat];
        v.as_u64()
            .map_or_else(|| v.as_str().unwrap().to_string(), |n| n.to_string())
    };
    for cat in ["deltakere", "kandidater", "ekskludert", "under_behandling"] {
        let label = match cat {
            "deltakere" => "Deltakere",
            "kandidater" => "Kandidater",
            "ekskludert" => "Ekskludert",
            _ => "Søknad under behandling",
        };
        let cell = |col: &str| cells[&("status".into(), label.into(), col.into())].clone();
        assert_eq!(
            cell("Kontoret"),
            published("nav_kontor", "0312", cat),
            "{cat}"
        );
        assert_eq!(cell("Fylket"), published("fylke", "03", cat), "{cat}");
        assert_eq!(cell("Landet"), published("totalt", "alle", cat), "{cat}");
    }
    let html = std::fs::read_to_string(out.join("kontor_0312.html")).unwrap();
    assert!(!html.contains("id=\"intern\""));
    assert!(
        html.contains("betyr 1–4 personer"),
        "hidden figures are explained"
    );

    // --intern: the office's own counts, as the scan counts them
    let (_tmp2, out2, o) = report_with(&["--kontor", "0312", "--intern"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cells = office_cells(&out2.join("kontor_0312.csv"));
    let s = scan("testdata/demo", &[]);
    let mut per_status: BTreeMap<String, u64> = BTreeMap::new();
    for b in super::read_batches(&s.out.join("vurderinger.parquet")) {
        use datafusion::arrow::array::AsArray;
        let col = |n: &str| b.column_by_name(n).unwrap().as_string::<i32>().clone();
        let (kontor, status) = (col("nav_kontor"), col("status"));
        for i in 0..b.num_rows() {
            if kontor.value(i) == "0312" {
                *per_status.entry(status.value(i).to_string()).or_default() += 1;
            }
        }
    }
    let own = |table: &str, label: &str| -> u64 {
        cells[&(table.into(), label.into(), "Kontoret".into())]
            .parse()
            .unwrap_or_else(|_| panic!("{table}/{label} is a count in --intern"))
    };
    let deltakere = own("status", "Deltakere");
    assert_eq!(deltakere, per_status.get("deltaker").copied().unwrap_or(0));
    assert_eq!(
        own("status", "Kandidater"),
        per_status.get("kandidat").copied().unwrap_or(0)
    );
    assert!(
        deltakere > 0 && deltakere < 5,
        "the demo office has a small count"
    );
    // the page's tables as a workbook: counts as numbers, shares as percentages
    let xlsx = super::xlsx_text(&out2.join("kontor_0312.xlsx"));
    assert!(
        xlsx.contains(&format!("<v>{deltakere}</v>")),
        "a count is a number cell"
    );
    assert!(xlsx.contains("0.0 %"), "shares have a percentage format");
    assert!(xlsx.contains("Deltakere etter tiltakenes regi"));
    let tiltak: u64 = [
        "Kun statlig regi",
        "Kun kommunal regi",
        "Annen regi eller flere",
        "Ingen tiltak",
    ]
    .iter()
    .map(|l| own("deltakere_tiltak", l))
    .sum();
    assert_eq!(tiltak, deltakere, "each participant in one regi category");
    let ages: u64 = ["Under 18", "18–24", "25 og over"]
        .iter()
        .map(|l| own("deltakere_aldersgruppe", l))
        .sum();
    assert_eq!(ages, deltakere);
    let html = std::fs::read_to_string(out2.join("kontor_0312.html")).unwrap();
    assert!(html.contains("id=\"intern\""), "an internal page says so");
    // no other office's page, and the shared files stay suppressed
    assert!(!out2.join("kontor_0314.html").exists());
    assert_suppressed(&units(&json(&out2)["enheter"]));
}

#[test]
fn an_unknown_office_or_intern_without_an_office_is_refused() {
    let (_tmp, out, o) = report_with(&["--kontor", "9999"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ikke noe NAV-kontor 9999") && err.contains("0312"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
    let (_tmp, out, o) = report_with(&["--intern"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--kontor"));
    assert!(!out.exists());
}

/// The national page sorts offices by participant share and marks the median; the office
/// page and the national page fit an A4 page's width (nothing cut off in print).
#[test]
fn report_pages_fit_a4_and_offices_are_sorted() {
    let (tmp, out, o) = report_with(&["--kontor", "0312"]);
    assert!(o.status.success());
    let html = std::fs::read_to_string(out.join("rapport.html")).unwrap();
    assert!(html.contains("den stiplede linjen er medianen"));
    // offices in the order of their published share, highest first, unknown shares last
    let r = json(&out);
    let share: BTreeMap<String, Option<f64>> = r["enheter"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["niva"] == "nav_kontor")
        .map(|u| {
            (
                u["enhet"].as_str().unwrap().into(),
                u["andel_deltakere"].as_f64(),
            )
        })
        .collect();
    let svg = &html[html.find("id=\"svg-andel\"").unwrap()..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    let order: Vec<Option<f64>> = svg
        .split("<text x=\"0\"")
        .skip(1)
        .map(|t| {
            let label = &t[t.find('>').unwrap() + 1..t.find('<').unwrap()];
            share[label]
        })
        .collect();
    assert_eq!(order.len(), share.len());
    let key = |x: &Option<f64>| x.map_or(f64::INFINITY, |x| -x);
    assert!(
        order.windows(2).all(|w| key(&w[0]) <= key(&w[1])),
        "{order:?}"
    );
    // every table has a caption and header cells with a scope; a table with a hidden figure
    // says why under it
    for page in ["rapport.html", "kontor_0312.html"] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        assert_eq!(
            html.matches("<table").count(),
            html.matches("<caption").count(),
            "{page}"
        );
        assert!(
            !html.contains("<th>"),
            "{page}: a header cell without scope"
        );
        for section in html.split("<section").skip(1) {
            let section = &section[..section.find("</section>").unwrap()];
            if section.contains("<table") && section.contains("<td>&lt;5</td>") {
                assert!(
                    section.contains("class=\"hidden-note\""),
                    "{page}: {section}"
                );
            }
        }
    }
    let Some(browser) = Browser::require() else {
        return;
    };
    for page in ["rapport.html", "kontor_0312.html"] {
        let page = out.join(page);
        assert_self_contained(&page);
        assert_eq!(
            browser.overflowing(&page, 700),
            Vec::<String>::new(),
            "{}",
            page.display()
        );
    }
    browser.screenshot(
        &out.join("kontor_0312.html"),
        "800,1400",
        &tmp.path().join("kontor.png"),
        30_000,
    );
}

/// Office and municipality names from the CSVs the office gives, county names bundled: on the
/// pages and in rapport.json; a bad names file is refused naming its line.
#[test]
fn offices_municipalities_and_counties_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let kontor = tmp.path().join("kontorer.csv");
    std::fs::write(
        &kontor,
        "nav_kontor;navn\n0312;NAV Sagene\n0314;NAV Gamle Oslo\n",
    )
    .unwrap();
    let kommune = tmp.path().join("kommuner.csv");
    std::fs::write(&kommune, "kommune_nr,navn\n1103,Stavanger\n").unwrap();
    let (k, m) = (kontor.to_str().unwrap(), kommune.to_str().unwrap());
    let (_t, out, o) = report_with(&["--kontor", "0312", "--kontornavn", k, "--kommunenavn", m]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.join("rapport.html")).unwrap();
    for name in [
        "0312 NAV Sagene",
        "0314 NAV Gamle Oslo",
        "1103 Stavanger",
        "03 Oslo",
    ] {
        assert!(
            html.contains(&format!("<th scope=\"row\">{name}</th>")),
            "{name}"
        );
    }
    let page = std::fs::read_to_string(out.join("kontor_0312.html")).unwrap();
    assert!(page.contains("<h1>KVP ved NAV-kontor 0312 NAV Sagene</h1>"));
    assert!(page.contains("<strong>03 Oslo</strong>"));
    let r = json(&out);
    let named: Vec<(&str, &str)> = r["enheter"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| Some((u["enhet"].as_str()?, u["navn"].as_str()?)))
        .collect();
    assert!(named.contains(&("0314", "NAV Gamle Oslo")), "{named:?}");
    assert!(named.contains(&("50", "Trøndelag")), "{named:?}");

    std::fs::write(&kontor, "nav_kontor;navn\n0312;A\n0312;B\n").unwrap();
    let (_t, out, o) = report_with(&["--kontornavn", k]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("kontorer.csv:3: 0312 har to navn"), "{err}");
    assert!(!out.exists());
}
