//! `audit` and `audit verify`: hand-made histories with known flag and offer dates.

use std::collections::BTreeMap;
use std::path::Path;

use super::{kvp, read_csv};

pub(super) const DATA: &str = "testdata/revisjon/data";

fn labels() -> BTreeMap<String, String> {
    std::fs::read_to_string("testdata/revisjon/personer.csv")
        .or_else(|_| std::fs::read_to_string(super::root().join("testdata/revisjon/personer.csv")))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (label, id) = l.split_once(';').unwrap();
            (id.to_string(), label.to_string())
        })
        .collect()
}

pub(super) fn audit(out: &Path, extra: &[&str]) -> String {
    let a = kvp()
        .args([
            "audit",
            "--data",
            DATA,
            "--from",
            "2026-09-01",
            "--to",
            "2026-11-30",
            "--threads",
            "2",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .assert()
        .success();
    String::from_utf8(a.get_output().stderr.clone()).unwrap()
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    let text = read_csv(path);
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn each_flagged_person_gets_the_verdict_of_their_history() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("revisjon");
    let err = audit(&out, &[]);
    assert!(
        err.contains("tilsyn over 13 mandager fra 2026-09-01 til 2026-11-30: 11 personer flagget"),
        "{err}"
    );
    let names = labels();
    let got: BTreeMap<String, (String, String, String, String)> = rows(&out.join("revisjon.csv"))
        .into_iter()
        .map(|r| {
            let id = r[0]
                .trim_start_matches("=\"")
                .trim_end_matches('"')
                .to_string();
            (
                names[&id].clone(),
                (r[2].clone(), r[6].clone(), r[8].clone(), r[9].clone()),
            )
        })
        .collect();
    let expect = |flag: &str, ev: &str, days: &str, v: &str| {
        (
            flag.to_string(),
            ev.to_string(),
            days.to_string(),
            v.to_string(),
        )
    };
    assert_eq!(
        got["i_tide_13_dager"],
        expect("2026-09-07", "informert om KVP", "13", "tilbudt i tide")
    );
    assert_eq!(
        got["for_sent_43_dager"],
        expect("2026-09-07", "søknad registrert", "43", "tilbudt for sent")
    );
    assert_eq!(
        got["ikke_tilbudt_hendelse_for_flagg"],
        expect("2026-09-07", "", "", "ikke tilbudt")
    );
    assert_eq!(
        got["i_tide_28_dager"],
        expect("2026-10-05", "vurdert", "28", "tilbudt i tide")
    );
    assert_eq!(
        got["for_sent_29_dager"],
        expect("2026-10-05", "vurdert", "29", "tilbudt for sent")
    );
    for i in 1..=6 {
        assert_eq!(got[&format!("ikke_tilbudt_{i}")].3, "ikke tilbudt");
    }
    assert!(!got.contains_key("aldri_kandidat"));
    assert_eq!(got.len(), 11);

    // a longer deadline turns the late ones into offers in time
    let out2 = tmp.path().join("frist60");
    let err = audit(&out2, &["--frist-dager", "60"]);
    let line = |k: &str| {
        err.lines()
            .find(|l| l.trim_start().starts_with(k))
            .map(|l| l.split_whitespace().last().unwrap().to_string())
    };
    assert_eq!(line("tilbudt_i_tide").as_deref(), Some("4"), "{err}");
    assert_eq!(line("tilbudt_for_sent"), None, "{err}");

    // per office / age band / rule, small counts hidden, sums that cannot reveal them
    let k = rows(&out.join("revisjon_kontor.csv"));
    // human labels: dimensions and values in words, offices as text, rules by title
    let find = |d: &str, v: &str| k.iter().find(|r| r[0] == d && r[1] == v).unwrap().clone();
    let office = |id: &str| format!("=\"{id}\"");
    let titles = super::rule_titles();
    // never offered (7) would reveal the 4 offered (11 − 7), a small count: hidden too
    assert_eq!(find("Totalt", "Alle")[2..6], ["11", "<5", "<5", ":"]);
    // the offered split by first event: 1 only informed, 3 assessed or applied (both small)
    let header = read_csv(&out.join("revisjon_kontor.csv"));
    let header: Vec<&str> = header.lines().next().unwrap().split(';').collect();
    assert_eq!(
        header[7..9],
        [
            "Tilbudt: først bare informert",
            "Tilbudt: først vurdert, søkt eller startet"
        ]
    );
    assert_eq!(find("Totalt", "Alle")[7..9], ["<5", "<5"]);
    assert_eq!(find("NAV-kontor", &office("5001"))[2], "6");
    assert_eq!(find("NAV-kontor", &office("5001"))[3], "0");
    assert_eq!(find("Regel", &titles["langtidsmottaker"])[2], "11");
    assert!(k.iter().any(|r| r[0] == "Aldersgruppe" && r[1] == "40–49"));
    // the same table as a workbook: office numbers as text, counts as numbers
    let xlsx = super::xlsx_text(&out.join("revisjon_kontor.xlsx"));
    assert!(
        xlsx.contains("<t>5001</t>"),
        "the office number is a text cell"
    );
    assert!(
        xlsx.contains("<v>11</v>"),
        "the flagged total is a number cell"
    );
    assert!(!xlsx.contains("<t>11</t>"));
    assert!(xlsx.contains("Tilbudt i tide") && xlsx.contains("&lt;5"));
    for r in &k {
        for c in &r[2..6] {
            if let Ok(n) = c.parse::<u64>() {
                assert!(n == 0 || n >= 5, "{r:?}");
            }
        }
        let hidden = r[2..6].iter().filter(|c| c.parse::<u64>().is_err()).count();
        assert_ne!(hidden, 1, "a row reveals its hidden count: {r:?}");
        // the median of 4 offered persons is not shown
        if r[0] == "Totalt" {
            assert_eq!(r[6], ":");
        }
    }
    let html = std::fs::read_to_string(out.join("revisjon.html")).unwrap();
    assert!(
        html.contains("<tr><th scope=\"row\">5001</th><td>6</td>"),
        "{html}"
    );
    // too few persons for a headline with numbers: it says so instead
    assert!(html.contains("for små til å vises"), "{html}");
}

/// The supervisor's page opens with a headline sentence and has sections per office (lowest
/// share offered in time first), per age band in age order and per rule, with shares.
#[test]
fn the_audit_page_reads_as_a_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("revisjon");
    kvp()
        .args([
            "-q",
            "audit",
            "--data",
            "testdata/demo",
            "--from",
            "2026-05-04",
            "--to",
            "2026-11-16",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("revisjon.html")).unwrap();
    let csv = read_csv(&out.join("revisjon_kontor.csv"));
    let total: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("Totalt;"))
        .unwrap()
        .split(';')
        .collect();
    let headline = format!("{} av {} som ble flagget", total[3], total[2]);
    assert!(html.contains(&headline), "{headline}: {html}");
    for id in ["totalt", "kontor", "alder", "kjonn", "regel"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    // age bands in age order
    let at = |s: &str| html.find(&format!("<th scope=\"row\">{s}</th>"));
    let bands: Vec<usize> = ["20–24", "25–29", "30–39", "40–49"]
        .iter()
        .filter_map(|b| at(b))
        .collect();
    assert_eq!(bands.len(), 4);
    assert!(bands.windows(2).all(|w| w[0] < w[1]));
    // rules by their titles, shares with a decimal comma
    assert!(html.contains("Langtidsmottaker av økonomisk stønad"));
    assert!(html.contains(",") && html.contains("%"));
    // the offered split by first event agrees with the per-person rows (where published)
    let persons = rows(&out.join("revisjon.csv"));
    let informed = persons
        .iter()
        .filter(|r| r[6] == "informert om KVP")
        .count();
    let further = persons
        .iter()
        .filter(|r| !r[6].is_empty() && r[6] != "informert om KVP")
        .count();
    assert_eq!(informed + further, 9, "the demo has 9 offered");
    for (published, n) in [(total[7], informed), (total[8], further)] {
        match published.parse::<usize>() {
            Ok(v) => assert_eq!(v, n),
            Err(_) => assert!(published == "<5" || published == ":", "{published}"),
        }
    }
    assert!(total[7..9].contains(&"<5"), "a small part is hidden");
    // prints on A4 portrait with no column cut off
    if let Some(browser) = super::browser::Browser::require() {
        let page = out.join("revisjon.html");
        super::browser::assert_self_contained(&page);
        assert_eq!(browser.overflowing(&page, 700), Vec::<String>::new());
    }
}

/// `audit verify` on an audit folder: whether it passed, and what it said. It never panics:
/// the exit code is 0 or 2.
pub(super) fn verify(out: &Path) -> (bool, String) {
    verify_data(out, DATA)
}

/// `audit verify` of an audit made on `data`.
fn verify_data(out: &Path, data: &str) -> (bool, String) {
    let o = kvp()
        .args(["audit", "verify", "--data", data, "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0) | Some(2)),
        "{:?}",
        o.status
    );
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

#[test]
fn audit_verify_confirms_and_detects_a_changed_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("revisjon");
    audit(&out, &[]);
    let (ok, text) = verify(&out);
    assert!(ok, "{text}");
    assert!(text.contains("revisjon.csv: identisk"), "{text}");

    // one changed byte in the per-person file
    let p = out.join("revisjon.csv");
    let mut bytes = std::fs::read(&p).unwrap();
    let i = bytes.iter().position(|b| *b == b'i').unwrap();
    bytes[i] = b'I';
    std::fs::write(&p, bytes).unwrap();
    let (ok, text) = verify(&out);
    assert!(!ok);
    assert!(
        text.contains("revisjon.csv: AVVIKER fra hashen i manifestet"),
        "{text}"
    );
    assert!(text.contains("revisjon_kontor.csv: identisk"), "{text}");

    // a changed input is named
    let copy = tmp.path().join("data");
    super::copy_of(DATA, &copy);
    let fresh = tmp.path().join("fresh");
    audit(&fresh, &[]);
    std::fs::copy(
        super::root().join("testdata/uker/a/kvp_hendelser.parquet"),
        copy.join("kvp_hendelser.parquet"),
    )
    .unwrap();
    let o = kvp()
        .args(["audit", "verify", "--out"])
        .arg(&fresh)
        .arg("--data")
        .arg(&copy)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("inndata kvp_hendelser.parquet: endret siden tilsynet"),
        "{text}"
    );
}

/// The one-pass audit (every Monday a column of the facts) flags exactly who a separate scan on
/// each Monday would have flagged, on the same first Monday, at the same age and by the same
/// candidate rules. With `threshold_changes`, the rules are a copy of the shipped ones where
/// `langtidsmottaker`'s `min_maneder` drops from 6 to 4 on 2026-10-01: the Mondays before and
/// after are evaluated in separate passes, each with the parameters in force then.
#[rstest::rstest]
#[case::shipped_rules(false)]
#[case::threshold_changes(true)]
fn one_pass_audit_equals_a_scan_on_every_monday(#[case] threshold_changes: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let (from, to) = ("2026-08-03", "2026-11-16");
    let mut rule_args: Vec<String> = Vec::new();
    if threshold_changes {
        let dir = tmp.path().join("regler");
        std::fs::create_dir(&dir).unwrap();
        for f in std::fs::read_dir(super::root().join("rules")).unwrap() {
            let f = f.unwrap().path();
            let mut text = std::fs::read_to_string(&f).unwrap();
            if f.ends_with("langtidsmottaker.toml") {
                let head = "[parametre.min_maneder]\nbeskrivelse = \"Minste antall måneder med økonomisk stønad i vinduet\"\n";
                let old = format!("{head}verdi = 6");
                assert!(text.contains(&old));
                let new = format!(
                    "{head}verdier = [{{ fra = 2010-01-01, verdi = 6 }}, {{ fra = 2026-10-01, verdi = 4 }}]"
                );
                text = text.replace(&old, &new);
            }
            std::fs::write(dir.join(f.file_name().unwrap()), text).unwrap();
        }
        rule_args = vec!["--rules".into(), dir.display().to_string()];
    }
    let out = tmp.path().join("revisjon");
    let a = kvp()
        .args([
            "audit",
            "--data",
            "testdata/demo",
            "--from",
            from,
            "--to",
            to,
        ])
        .args(&rule_args)
        .args(["--threads", "2", "-v", "--out"])
        .arg(&out)
        .assert()
        .success();
    let log = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    let passes = log.matches("audit pass done").count();
    assert_eq!(passes, if threshold_changes { 2 } else { 1 }, "{log}");
    let from_audit: BTreeMap<String, (String, String, String)> = rows(&out.join("revisjon.csv"))
        .into_iter()
        .map(|r| {
            let id = r[0]
                .trim_start_matches("=\"")
                .trim_end_matches('"')
                .to_string();
            let mut regler: Vec<&str> = r[5].split("; ").collect();
            regler.sort();
            (id, (r[2].clone(), r[3].clone(), regler.join(", ")))
        })
        .collect();

    let titles = super::rule_titles();
    let mut from_scans: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    let mut monday = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap();
    let last = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap();
    let mut weeks = 0;
    while monday <= last {
        let scan_out = tmp.path().join(monday.to_string());
        kvp()
            .args([
                "scan",
                "--data",
                "testdata/demo",
                "--as-of",
                &monday.to_string(),
            ])
            .args(&rule_args)
            .args(["--threads", "2", "-q", "--out"])
            .arg(&scan_out)
            .assert()
            .success();
        for (id, row) in super::vurderinger(&scan_out) {
            if row.status == "kandidat" && !from_scans.contains_key(&id) {
                let mut regler: Vec<String> = row.treff.iter().map(|r| titles[r].clone()).collect();
                regler.sort();
                from_scans.insert(
                    id,
                    (monday.to_string(), row.alder.to_string(), regler.join(", ")),
                );
            }
        }
        weeks += 1;
        monday += chrono::Duration::days(7);
    }
    assert_eq!(weeks, 16);
    assert!(
        from_scans.len() > 20,
        "the demo period must flag a fair number of persons ({})",
        from_scans.len()
    );
    let later = from_scans.values().filter(|(d, _, _)| d != from).count();
    assert!(
        later > 0,
        "some persons must be flagged after the first Monday"
    );
    if threshold_changes {
        let october = from_scans
            .values()
            .filter(|(d, _, _)| d.as_str() == "2026-10-05")
            .count();
        assert!(
            october > 0,
            "the lower threshold must flag new persons on its first Monday"
        );
    }
    assert_eq!(from_audit, from_scans);
}

/// Seed 002: for under-30s with a § 20 a activity condition, what followed (fixture
/// `testdata/aktivitet`, built so every count is known): earned income and student grants that
/// began after the condition, no assistance in the last three months, KVP started and ended to
/// work; § 20 conditions, annulled ones and ones ended before the period are not counted.
#[test]
fn what_followed_an_activity_condition_for_under_30s() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("revisjon");
    kvp()
        .args(["-q", "audit", "--data", "testdata/aktivitet/data"])
        .args(["--from", "2026-09-01", "--to", "2026-11-30", "--out"])
        .arg(&out)
        .assert()
        .success();
    let csv = read_csv(&out.join("revisjon_aktivitet.csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("Enhet;Personer med vilkår om aktivitet;Fikk arbeidsinntekt"));
    assert_eq!(lines[1], "Totalt;23;6;5;6;5;5;5;0");
    assert_eq!(lines[2], "\"=\"\"4601\"\"\";23;6;5;6;5;5;5;0");
    let html = std::fs::read_to_string(out.join("revisjon.html")).unwrap();
    assert!(html.contains("<table id=\"tabell-aktivitet\">"));
    assert!(html.contains("<th scope=\"row\">Totalt</th><td>23</td><td>6</td>"));
    // the manifest lists it, so `audit verify` checks it too
    let (ok, text) = verify_data(&out, "testdata/aktivitet/data");
    assert!(ok, "{text}");
    assert!(text.contains("revisjon_aktivitet.csv: identisk"), "{text}");
    // an audit made in English is verified in English (the manifest records the language)
    let en = tmp.path().join("audit_en");
    let a = kvp()
        .args(["audit", "--lang", "en", "--data", "testdata/aktivitet/data"])
        .args(["--from", "2026-09-01", "--to", "2026-11-30", "--out"])
        .arg(&en)
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("audit of 13 Mondays"), "{err}");
    let (ok, text) = verify_data(&en, "testdata/aktivitet/data");
    assert!(
        ok && text.contains("revisjon_aktivitet.csv: identical"),
        "{text}"
    );
    assert!(text.contains("audit verified"), "{text}");
}
