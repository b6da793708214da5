//! `import kostra`: the hand-made 11F/11CF fixtures of `testdata/kostra` (one record per
//! mapping rule, UTF-8 and ISO-8859-1, LF and CRLF) imported and scanned, each person with the
//! verdict it must give; one record per validation finding; the fatal cases; and the other
//! commands on the imported data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Date32Type, Int64Type};

use super::{kvp, list, read_batches, root, vurderinger};

const FILES: [&str; 5] = [
    "testdata/kostra/11F_2025_4601.txt",
    "testdata/kostra/11F_2026_0301.txt",
    "testdata/kostra/11F_2026_4601.txt",
    "testdata/kostra/11CF_2026_0301.txt",
    "testdata/kostra/11CF_2025_0301.txt",
];
const AS_OF: &str = "2026-06-30";

fn import(out: &Path, files: &[&str], extra: &[&str]) -> (i32, String) {
    let a = kvp()
        .args(["import", "kostra", "--out"])
        .arg(out)
        .args(extra)
        .args(files)
        .assert();
    let o = a.get_output();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stderr.clone()).unwrap(),
    )
}

/// label → (person_id, status, expected rule)
fn expected() -> BTreeMap<String, (String, String, String)> {
    let text = std::fs::read_to_string(root().join("testdata/kostra/forventet.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(';').collect();
            (c[0].into(), (c[1].into(), c[2].into(), c[3].into()))
        })
        .collect()
}

fn imported() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (code, err) = import(
        &data,
        &FILES,
        &["--kontorer", "testdata/kostra/kontorer.csv"],
    );
    assert_eq!(code, 0, "{err}");
    (tmp, data, err)
}

/// Every column value of one person in a table, as text.
fn rows_of(data: &Path, table: &str, id: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    for b in read_batches(&data.join(format!("{table}.parquet"))) {
        let ids = b.column_by_name("person_id").unwrap().as_string::<i32>();
        for i in 0..b.num_rows() {
            if ids.value(i) != id {
                continue;
            }
            let mut row = BTreeMap::new();
            for (f, col) in b.schema().fields().iter().zip(b.columns()) {
                let v = if col.is_null(i) {
                    "-".to_string()
                } else if let Some(s) = col.as_string_opt::<i32>() {
                    s.value(i).to_string()
                } else if let Some(d) = col.as_primitive_opt::<Date32Type>() {
                    d.value_as_date(i).unwrap().to_string()
                } else if let Some(n) = col.as_primitive_opt::<Int64Type>() {
                    n.value(i).to_string()
                } else {
                    list(&b, f.name(), i).join(",")
                };
                row.insert(f.name().clone(), v);
            }
            out.push(row);
        }
    }
    out
}

#[test]
fn every_mapping_rule_gives_its_verdict_after_a_scan() {
    let (_tmp, data, err) = imported();
    assert!(
        err.contains(
            "11F_2026_4601.txt (11F, 2026, ISO-8859-1): 2 linjer, 2 lest inn, 0 satt til side"
        ),
        "{err}"
    );
    assert!(
        err.contains("11F_2026_0301.txt (11F, 2026, UTF-8)"),
        "{err}"
    );
    assert!(
        err.contains("KOSTRA kan ikke si: innsatsgruppen etter § 14 a"),
        "{err}"
    );
    assert!(
        err.contains("adressebeskyttelse finnes ikke i KOSTRA"),
        "{err}"
    );
    // never oppfolgingsvedtak or kvp_tiltak
    assert!(!data.join("oppfolgingsvedtak.parquet").exists());
    assert!(!data.join("kvp_tiltak.parquet").exists());

    let out = data.parent().unwrap().join("ut");
    let a = kvp()
        .args(["scan", "--data"])
        .arg(&data)
        .args(["--as-of", AS_OF, "--threads", "2", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(!stderr.contains("unknown file"), "{stderr}");
    let got = vurderinger(&out);
    let want = expected();
    assert_eq!(got.len(), want.len());
    for (label, (id, status, rule)) in &want {
        let row = got
            .get(id)
            .unwrap_or_else(|| panic!("{label} ({id}) not scanned"));
        assert_eq!(&row.status, status, "{label}");
        if !rule.is_empty() {
            assert!(row.treff.contains(rule), "{label}: {:?}", row.treff);
        }
        // the rules KOSTRA cannot feed are undecided, never false
        assert!(row.uavklart.contains("mangler_14a_vedtak"), "{label}");
    }
    let id = |l: &str| want[l].0.clone();

    // personer from the newest record: Oslo bydel 05 in 2026 (after Rygge in 2025), UTF-8 name
    let p = &rows_of(&data, "personer", &id("to_aar_to_kommuner"))[0];
    assert_eq!(
        (
            &p["kommune_nr"][..],
            &p["bydel_nr"][..],
            &p["nav_kontor"][..],
            &p["veileder"][..]
        ),
        ("0301", "05", "030105", "ÅSE1")
    );
    let months = rows_of(&data, "okonomisk_stonad", &id("to_aar_to_kommuner"));
    let firsts: Vec<&str> = months.iter().map(|r| r["fom"].as_str()).collect();
    assert_eq!(
        firsts,
        [
            "2025-10-01",
            "2025-11-01",
            "2025-12-01",
            "2026-02-01",
            "2026-03-01",
            "2026-04-01"
        ]
    );
    assert_eq!(months[0]["tom"], "2025-10-31");
    // DUF id, ISO-8859-1 caseworker, office from --kontorer
    let p = &rows_of(&data, "personer", "201234567890")[0];
    assert_eq!(
        (&p["veileder"][..], &p["nav_kontor"][..]),
        ("SØR1", "4601NAV")
    );
    assert_eq!(rows_of(&data, "personer", "4601-00000002").len(), 1);
    // blank monthly amounts share the yearly sum; a loan-only year is LAAN
    let m = rows_of(&data, "okonomisk_stonad", &id("manedsbelop_blanke"));
    assert!(
        m.len() == 6
            && m.iter()
                .all(|r| r["belop"] == "1000" && r["stonadstype"] == "BIDRAG")
    );
    let m = rows_of(&data, "okonomisk_stonad", &id("bare_laan"));
    assert!(
        m.iter()
            .all(|r| r["belop"] == "500" && r["stonadstype"] == "LAAN")
    );
    // income at last contact over the ticked months
    let y = rows_of(&data, "ytelser", &id("trygdesit_11"));
    assert_eq!(y.len(), 1);
    assert_eq!(
        (&y[0]["ytelse"][..], &y[0]["fom"][..], &y[0]["tom"][..]),
        ("AAP", "2026-01-01", "2026-06-30")
    );
    assert_eq!(
        rows_of(&data, "ytelser", &id("vklo_2"))[0]["ytelse"],
        "TILTAKSPENGER"
    );
    assert!(rows_of(&data, "ytelser", &id("trygdesit_12")).is_empty());
    // conditions: § 20 a under 30 on UTBETDATO, § 20 from 30
    let v = rows_of(&data, "vilkar", &id("vilkar_under_30"));
    assert_eq!(v.len(), 2);
    assert!(
        v.iter()
            .all(|r| r["hjemmel"] == "20a" && r["fom"] == "2026-03-01" && r["tom"] == "2026-12-31")
    );
    assert!(
        rows_of(&data, "vilkar", &id("vilkar_over_30"))
            .iter()
            .all(|r| r["hjemmel"] == "20")
    );
    // 11CF events
    let e = rows_of(&data, "kvp_hendelser", &id("kvp_status_3"));
    let kinds: Vec<&str> = e.iter().map(|r| r["hendelse"].as_str()).collect();
    assert_eq!(kinds, ["SOKNAD", "INNVILGET", "BEGYNT", "AVSLUTTET"]);
    assert_eq!(
        (
            &e[3]["dato"][..],
            &e[3]["status_kode"][..],
            &e[3]["avslutning_situasjon"][..],
            &e[3]["viktigste_inntekt"][..]
        ),
        ("2026-03-31", "3", "01", "01")
    );
    let e = rows_of(&data, "kvp_hendelser", &id("kvp_status_2"));
    assert_eq!(
        (&e[3]["hendelse"][..], &e[3]["dato"][..]),
        ("PERMISJON", "2025-12-31")
    );
    for s in "4567".chars() {
        let e = rows_of(&data, "kvp_hendelser", &id(&format!("kvp_status_{s}")));
        assert_eq!(e.last().unwrap()["status_kode"], s.to_string());
    }

    // the manifest: inputs with hashes and counts, tables, what KOSTRA lacks
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("import_manifest.json")).unwrap()).unwrap();
    assert_eq!(m["inndata"].as_array().unwrap().len(), 5);
    for i in m["inndata"].as_array().unwrap() {
        assert_eq!(i["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(
            i["linjer"].as_u64().unwrap(),
            i["importert"].as_u64().unwrap() + i["satt_til_side"].as_u64().unwrap()
        );
    }
    assert_eq!(m["tabeller"]["personer"], want.len());
    assert_eq!(
        m["mangler"],
        serde_json::json!(["oppfolgingsvedtak", "kvp_tiltak"])
    );
}

/// Each validation finding with SSB's severity: ERROR sets the record aside, WARNING keeps
/// it; every line accounted for.
#[test]
fn every_bad_record_is_reported_with_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let files = [
        "testdata/kostra/feil/11F_feil.txt",
        "testdata/kostra/feil/11CF_feil.txt",
    ];
    let (code, err) = import(&data, &files, &[]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(data.join("import_datakvalitet.csv")).unwrap();
    let found: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| {
            // Fil;Linje;Felt;Alvorlighet;Årsak;kode: the severity's first word and the code
            let c: Vec<&str> = l.split(';').collect();
            let severity = c[3].split(' ').next().unwrap();
            let code = l.rsplit(';').next().unwrap();
            format!("{};{};{};{severity};{code}", c[0], c[1], c[2])
        })
        .collect();
    let f = "testdata/kostra/feil/11F_feil.txt";
    let c = "testdata/kostra/feil/11CF_feil.txt";
    let want = [
        format!("{f};2;KJONN;feil;mangler_verdi"),
        format!("{f};3;FODSELSDATO;feil;ugyldig_dato"),
        format!("{f};4;TRYGDESIT;feil;ukjent_kode"),
        format!("{f};5;VERSION;feil;ukjent_versjon"),
        format!("{f};6;PERSON_JOURNALNR;feil;duplikat_journalnr"),
        format!("{f};7;BIDRAG;feil;ugyldig_tall"),
        format!("{f};8;STMND_3;feil;ukjent_kode"),
        format!("{f};9;PERSON_FODSELSNR;advarsel;fodselsnummer_kontroll"),
        format!("{f};10;STMND_1;advarsel;ingen_stonadsmaned"),
        format!("{f};11;BIDRAG;advarsel;belop_summerer_ikke"),
        format!("{f};12;KOMMUNE_NR;feil;ukjent_kode"),
        format!("{f};13;UTBETDATO;feil;mangler_verdi"),
        format!("{f};14;BYDELSNR;feil;mangler_verdi"),
        format!("{c};2;PERSON_FODSELSNR;feil;mangler_verdi"),
        format!("{c};3;STATUS;feil;ukjent_kode"),
        format!("{c};4;AVSL_DATO;feil;mangler_avslutningsdato"),
        format!("{c};5;REG_DATO;feil;ugyldig_dato"),
    ];
    assert_eq!(found, want, "{text}");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("import_manifest.json")).unwrap()).unwrap();
    let counts: Vec<(u64, u64, u64)> = m["inndata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["linjer"].as_u64().unwrap(),
                i["importert"].as_u64().unwrap(),
                i["satt_til_side"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(14, 4, 10), (5, 1, 4)]);
    assert!(
        err.contains("14 feil (poster satt til side), 3 advarsler"),
        "{err}"
    );
}

#[test]
fn a_fatal_file_stops_the_import_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (code, err) = import(
        &data,
        &[FILES[0], "testdata/kostra/fatal/kort_linje.txt"],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "kort_linje.txt: linje 2 har 337 tegn; en KOSTRA-post har 338 (11F) eller 152 (11CF)"
        ),
        "{err}"
    );
    assert!(!data.exists());
    let (code, err) = import(&data, &["testdata/kostra/fatal/tab.txt"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("tab.txt: linje 1 inneholder TAB"), "{err}");
    assert!(!data.exists());
}

/// weekly, report, audit and explain work on the imported data unchanged; address protection
/// comes from `--adressebeskyttelse`.
#[test]
fn every_command_runs_on_imported_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let want = expected();
    let kode6 = &want["kvp_status_4"].0;
    let vern = tmp.path().join("vern.csv");
    std::fs::write(
        &vern,
        format!("person_id;adressebeskyttelse\n{kode6};STRENGT_FORTROLIG\n"),
    )
    .unwrap();
    let (code, err) = import(
        &data,
        &FILES,
        &["--adressebeskyttelse", vern.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("adressebeskyttelse finnes ikke i KOSTRA"),
        "{err}"
    );
    let d = data.to_str().unwrap();
    for (args, out) in [
        (
            vec!["weekly", "--data", d, "--as-of", AS_OF, "--state"],
            "state",
        ),
        (
            vec![
                "report", "--data", d, "--as-of", AS_OF, "--months", "3", "--out",
            ],
            "report",
        ),
        (
            vec![
                "audit",
                "--data",
                d,
                "--from",
                "2026-05-01",
                "--to",
                AS_OF,
                "--out",
            ],
            "audit",
        ),
    ] {
        kvp()
            .args(&args)
            .arg(tmp.path().join(out))
            .assert()
            .success();
    }
    let id = &want["to_aar_to_kommuner"].0;
    let a = kvp()
        .args(["explain", "--data", d, "--as-of", AS_OF, "--person", id])
        .assert()
        .success();
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(out.contains("kandidat"), "{out}");
    // the protected person is refused by explain, as for any export
    kvp()
        .args(["explain", "--data", d, "--as-of", AS_OF, "--person", kode6])
        .assert()
        .code(2);
}

/// A generated population written as KOSTRA files (`generate --kostra`) and imported: every
/// record is accepted, and the rules KOSTRA can feed fire for (nearly) the same persons as on
/// the full export.
#[test]
fn a_generated_population_round_trips_through_kostra_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (generated, files, data) = (
        tmp.path().join("g"),
        tmp.path().join("k"),
        tmp.path().join("i"),
    );
    super::generate(
        3000,
        7,
        &generated,
        &["--kostra".as_ref(), files.as_os_str()],
    );
    let mut inputs: Vec<String> = std::fs::read_dir(&files)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    inputs.sort();
    assert_eq!(inputs.len(), 4, "{inputs:?}");
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let (code, err) = import(&data, &refs, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("0 feil (poster satt til side), 0 advarsler"),
        "{err}"
    );
    let scan = |d: &Path, name: &str| {
        let out = tmp.path().join(name);
        kvp()
            .args(["-q", "scan", "--data"])
            .arg(d)
            .args(["--as-of", "2026-11-16", "--out"])
            .arg(&out)
            .assert()
            .success();
        vurderinger(&out)
    };
    let (full, kostra) = (scan(&generated, "a"), scan(&data, "b"));
    let with =
        |rows: &BTreeMap<String, super::Row>, rule: &str| -> std::collections::BTreeSet<String> {
            rows.iter()
                .filter(|(_, r)| r.treff.contains(rule) || r.eksklusjoner.contains(rule))
                .map(|(id, _)| id.clone())
                .collect()
        };
    assert_eq!(with(&full, "deltar_i_kvp"), with(&kostra, "deltar_i_kvp"));
    let (a, b) = (
        with(&full, "langtidsmottaker"),
        with(&kostra, "langtidsmottaker"),
    );
    assert!(a.len() > 500, "{}", a.len());
    let differ = a.symmetric_difference(&b).count();
    assert!(differ * 100 <= a.len(), "{differ} of {} differ", a.len());
}
