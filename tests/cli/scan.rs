//! `scan` on the fixtures: verdicts, the output files, bad input and the console.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;

use super::helpers::*;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rstest::rstest;

#[test]
fn fixtures_get_their_expected_verdicts() {
    let s = scan("testdata/fixtures", &[]);
    let got = vurderinger(&s.out);
    let want = expected();
    assert_eq!(got.len(), want.len(), "one verdict per person in personer");
    for e in &want {
        let g = got
            .get(&e.person_id)
            .unwrap_or_else(|| panic!("{} has no verdict", e.label));
        assert_eq!(g.status, e.status, "status of {}", e.label);
        assert_eq!(g.treff, e.treff, "treff of {}", e.label);
        assert_eq!(
            g.eksklusjoner, e.eksklusjoner,
            "eksklusjoner of {}",
            e.label
        );
        assert_eq!(g.hint, e.hint, "hint of {}", e.label);
        let fired = g.treff.len() + g.eksklusjoner.len() + g.hint.len();
        assert_eq!(
            g.begrunnelse.len(),
            fired,
            "one sentence per fired rule for {}",
            e.label
        );
    }
    // Every status and every shipped rule is reached by the fixtures.
    let statuses: BTreeSet<&str> = got.values().map(|r| r.status.as_str()).collect();
    assert_eq!(
        statuses,
        BTreeSet::from([
            "deltaker",
            "under_behandling",
            "kandidat",
            "ekskludert",
            "ikke_treff"
        ])
    );
    let fired: BTreeSet<String> = got
        .values()
        .flat_map(|r| {
            r.treff
                .iter()
                .chain(&r.eksklusjoner)
                .chain(&r.hint)
                .cloned()
        })
        .collect();
    let shipped: BTreeSet<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        fired, shipped,
        "every shipped rule fires for some fixture person"
    );
}

#[test]
fn kandidater_csv_is_excel_friendly_sorted_and_leaves_out_kode_6() {
    let s = scan("testdata/fixtures", &[]);
    let text = read_csv(&s.out.join("kandidater.csv"));
    assert!(text.contains("\r\n"), "CRLF line endings");
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "NAV-kontor");
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let got = vurderinger(&s.out);
    let kandidater = got.values().filter(|r| r.status == "kandidat").count();
    let kode6 = expected()
        .into_iter()
        .find(|e| e.label == "strengt_fortrolig_kandidat")
        .unwrap();
    assert_eq!(
        rows.len(),
        kandidater - 1,
        "every kandidat but the kode 6 person"
    );
    assert!(
        !text.contains(&kode6.person_id),
        "kode 6 person is not in kandidater.csv"
    );
    assert!(
        s.stderr
            .contains("strengt fortrolig adresse (kode 6), holdt utenfor kandidater.csv: 1")
    );
    // sorted by office, caseworker (none last), then most rules, then most months
    let keys: Vec<(String, String, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r[0].to_string(),
                r[1].to_string(),
                r[5].parse().unwrap(),
                r[6].parse().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| (a.1.is_empty(), &a.1).cmp(&(b.1.is_empty(), &b.1)))
            .then_with(|| b.2.cmp(&a.2))
            .then_with(|| b.3.cmp(&a.3))
    });
    assert_eq!(keys, sorted);
    assert_eq!(rows[0][1].to_string(), "V1");
    let v2: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[1] == "V2").collect();
    assert_eq!(
        &v2[0][5], "3",
        "the person with three rules comes first for V2"
    );
    assert!(
        rows.iter()
            .all(|r| r[2].starts_with("=\"") && r[2].ends_with('"')),
        "ids stay text in Excel"
    );
    insta::assert_snapshot!("kandidater_csv", text.replace("\r\n", "\n"));
}

#[test]
fn summary_on_stderr_counts_statuses_rules_and_findings() {
    let s = scan("testdata/fixtures", &[]);
    insta::assert_snapshot!("summary_fixtures", filter_summary(&s.stderr));
}

#[test]
fn manifest_records_inputs_rules_parameters_and_outputs() {
    let s = scan("testdata/fixtures", &[]);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.out.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["skanningsdato"], AS_OF);
    assert_eq!(m["versjon"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["inndata"].as_array().unwrap().len(), 7);
    let regler = m["regelsett"]["regler"].as_array().unwrap();
    assert_eq!(regler.len(), 13);
    let lt = regler
        .iter()
        .find(|r| r["id"] == "langtidsmottaker")
        .unwrap();
    assert_eq!(lt["parametre"]["min_maneder"], 6);
    assert_eq!(lt["sha256"].as_str().unwrap().len(), 64);
    for o in m["utdata"].as_array().unwrap() {
        let file = s.out.join(o["fil"].as_str().unwrap());
        let bytes = std::fs::read(&file).unwrap();
        use sha2::Digest;
        assert_eq!(
            o["sha256"].as_str().unwrap(),
            format!("{:x}", sha2::Sha256::digest(&bytes)),
            "{}",
            file.display()
        );
    }
    let personer = m["tabeller"]["personer"].clone();
    assert_eq!(personer["lest"], personer["brukt"]);
    assert!(m["startet"].as_str().unwrap() <= m["ferdig"].as_str().unwrap());
}

#[cfg(unix)]
#[test]
fn outputs_are_private_and_no_temporary_files_remain() {
    use std::os::unix::fs::PermissionsExt;
    let s = scan("testdata/fixtures", &[]);
    let mut names: Vec<String> = std::fs::read_dir(&s.out)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            assert_eq!(
                e.metadata().unwrap().permissions().mode() & 0o777,
                0o600,
                "{:?}",
                e.path()
            );
            e.file_name().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "datakvalitet.csv",
            "kandidater.csv",
            "manifest.json",
            "naer_treff.csv",
            "skjermet.parquet",
            "vurderinger.parquet"
        ]
    );
}

#[test]
fn bad_rows_are_set_aside_and_reported() {
    let s = scan("testdata/feil", &[]);
    let text = read_csv(&s.out.join("datakvalitet.csv"));
    insta::assert_snapshot!("datakvalitet_feil", text.replace("\r\n", "\n"));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.out.join("manifest.json")).unwrap())
            .unwrap();
    for (name, t) in m["tabeller"].as_object().unwrap() {
        let n = |k: &str| t[k].as_u64().unwrap();
        assert_eq!(
            n("lest"),
            n("brukt") + n("satt_til_side") + n("etter_skanningsdato"),
            "no row of {name} vanishes"
        );
    }
    assert_eq!(m["tabeller"]["okonomisk_stonad"]["etter_skanningsdato"], 1);
    // the duplicate and the erroneous persons are not scanned; the valid ones are
    let got = vurderinger(&s.out);
    assert_eq!(got.len(), 3);
    assert!(s.stderr.contains("feil (rader satt til side)"));
}

/// The loader reads the row groups of every table but `personer` on several threads: a file cut
/// into many row groups gives the same findings, with the same row numbers, and the same outputs.
#[test]
fn many_row_groups_read_in_parallel_change_nothing() {
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::properties::WriterProperties;
    let tmp = tempfile::tempdir().unwrap();
    let cut = tmp.path().join("feil_i_biter");
    std::fs::create_dir(&cut).unwrap();
    for entry in std::fs::read_dir(root().join("testdata/feil")).unwrap() {
        let path = entry.unwrap().path();
        let batches = read_batches(&path);
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(2))
            .build();
        let file = File::create(cut.join(path.file_name().unwrap())).unwrap();
        let mut w = ArrowWriter::try_new(file, batches[0].schema(), Some(props)).unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        w.close().unwrap();
    }
    let groups = ParquetRecordBatchReaderBuilder::try_new(
        File::open(cut.join("okonomisk_stonad.parquet")).unwrap(),
    )
    .unwrap()
    .metadata()
    .num_row_groups();
    assert!(groups > 3, "the payments are cut into {groups} row groups");
    let whole = scan("testdata/feil", &[]);
    let parts = scan(cut.to_str().unwrap(), &[]);
    for file in ["datakvalitet.csv", "kandidater.csv", "naer_treff.csv"] {
        assert_eq!(
            read_csv(&whole.out.join(file)),
            read_csv(&parts.out.join(file)),
            "{file}"
        );
    }
    assert_eq!(vurderinger(&whole.out), vurderinger(&parts.out));
    let tables = |out: &Path| {
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap())
                .unwrap();
        m["tabeller"].clone()
    };
    assert_eq!(tables(&whole.out), tables(&parts.out));
}

#[test]
fn accepted_type_variants_and_part_files_give_the_same_verdicts() {
    let a = scan("testdata/fixtures", &[]);
    let b = scan("testdata/typer", &[]);
    assert_eq!(vurderinger(&a.out), vurderinger(&b.out));
    let dq = read_csv(&b.out.join("datakvalitet.csv"));
    assert!(
        dq.contains(";LESMEG.txt;0;;advarsel (raden er brukt);"),
        "{dq}"
    );
    assert!(dq.contains(";ukjent_fil\r\n"), "{dq}");
    assert!(
        dq.contains(";okonomisk_stonad/_SUCCESS;0;;advarsel (raden er brukt);"),
        "{dq}"
    );
}

#[test]
fn missing_optional_tables_make_rules_undecided_not_false() {
    let s = scan("testdata/uten_valgfrie", &[]);
    let got = vurderinger(&s.out);
    let e = expected().into_iter().find(|e| e.label == "i_kvp").unwrap();
    let r = &got[&e.person_id];
    // without kvp_hendelser the participant cannot be recognised: a candidate with a caveat
    assert_eq!(r.status, "kandidat");
    assert!(r.uavklart.contains("deltar_i_kvp"));
    assert!(
        r.hint.is_empty(),
        "mangler_14a_vedtak is undecided, not fired"
    );
    assert!(
        r.begrunnelse.iter().any(|b| b == "«Deltar allerede i KVP» er ikke vurdert: kvp_hendelser mangler i uttrekket, så det er ukjent om regelen slår til."),
        "{:?}",
        r.begrunnelse
    );
    assert!(s.stderr.contains("ikke vurdert (tabell mangler):"));
}

#[rstest]
#[case::missing_required_table("mangler_okonomisk_stonad", &["den påkrevde tabellen `okonomisk_stonad` mangler"])]
#[case::not_parquet("ikke_parquet", &["okonomisk_stonad.parquet: ikke en lesbar Parquet-fil"])]
#[case::missing_column("mangler_kolonne", &["okonomisk_stonad.parquet: den påkrevde kolonnen `belop` mangler", "forventet type int"])]
#[case::wrong_type("feil_type", &["personer.parquet: kolonnen `fodselsdato` har typen Utf8", "forventet date"])]
#[case::wrong_type_optional("feil_type_valgfri_tabell", &["ytelser.parquet: kolonnen `fom` har typen Utf8", "forventet date"])]
fn fatal_input_stops_with_exit_2_and_writes_nothing(#[case] case: &str, #[case] messages: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ut");
    let assert = kvp()
        .args(["scan", "--data", &format!("testdata/fatal/{case}"), "--out"])
        .arg(&out)
        .args(["--as-of", AS_OF])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.starts_with("feil: "), "{stderr}");
    for m in messages {
        assert!(stderr.contains(m), "expected «{m}» in:\n{stderr}");
    }
    assert!(
        assert.get_output().stdout.is_empty(),
        "stdout carries data only"
    );
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(),
        "nothing written"
    );
}

/// Error messages and summaries speak the command's language: Norwegian by default, English
/// with `--lang en`, the value parsers' messages (read before clap parses) included.
#[test]
fn errors_and_summaries_speak_the_commands_language() {
    let run = |args: &[&str]| {
        let o = kvp().args(args).output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let missing = [
        "scan",
        "--data",
        "testdata/finnes_ikke",
        "--out",
        "/tmp/kvp-scan-never",
    ];
    let (code, err) = run(&[&missing[..], &["--as-of", AS_OF, "--lang", "en"]].concat());
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("error: data directory testdata/finnes_ikke does not exist"),
        "{err}"
    );
    let (code, err) = run(&[&missing[..], &["--as-of", "2026-13-01"]].concat());
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with(
            "feil: ugyldig verdi «2026-13-01» for --as-of <AS_OF>: \
             `2026-13-01` er ikke en dato; forventet ÅÅÅÅ-MM-DD"
        ),
        "{err}"
    );
    let (code, err) = run(&["scan", "--data", "x", "--bogus"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("feil: ukjent argument «--bogus»\n\nBruk: kvp-scan scan"),
        "{err}"
    );
    let (_, err) = run(&[&missing[..], &["--lang=en", "--as-of", "2026-13-01"]].concat());
    assert!(
        err.contains("`2026-13-01` is not a date; expected YYYY-MM-DD"),
        "{err}"
    );
    let (code, err) = run(&["rules", "check", "--lang", "en"]);
    assert_eq!(code, Some(0));
    assert!(err.contains("13 rules checked"), "{err}");
    let (code, err) = run(&[
        "explain",
        "--data",
        "testdata/fixtures",
        "--as-of",
        AS_OF,
        "--person",
        "1019012345",
        "--lang",
        "en",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("was a leading zero lost"), "{err}");
}

#[test]
fn a_missing_data_directory_is_an_error() {
    kvp()
        .args([
            "scan",
            "--data",
            "testdata/finnes_ikke",
            "--out",
            "/tmp/kvp-scan-test-never-written",
            "--as-of",
            AS_OF,
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "datamappen testdata/finnes_ikke finnes ikke",
        ));
}

#[test]
fn demo_data_scans_cleanly() {
    let s = scan("testdata/demo", &[]);
    let got = vurderinger(&s.out);
    assert_eq!(got.len(), 300);
    let kandidater = got.values().filter(|r| r.status == "kandidat").count();
    assert!(
        kandidater > 10,
        "the demo has candidates to show ({kandidater})"
    );
    let dq = read_csv(&s.out.join("datakvalitet.csv"));
    assert_eq!(
        dq.lines().count(),
        1,
        "the demo has no data-quality findings:\n{dq}"
    );
}

#[test]
fn generate_is_deterministic_and_passes_validation_with_zero_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let gen_into = |name: &str| {
        let out = tmp.path().join(name);
        kvp()
            .args([
                "generate",
                "--persons",
                "3000",
                "--seed",
                "42",
                "--as-of",
                AS_OF,
                "--years",
                "3",
                "--out",
            ])
            .arg(&out)
            .assert()
            .success()
            .stderr(predicates::str::contains("laget 3000 personer"));
        out
    };
    let a = gen_into("a");
    let b = gen_into("b");
    let mut files: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 7, "every contract table: {files:?}");
    for f in &files {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
    let s = scan(a.to_str().unwrap(), &[]);
    let dq = read_csv(&s.out.join("datakvalitet.csv"));
    assert_eq!(
        dq.lines().count(),
        1,
        "generated data has no findings:\n{dq}"
    );
    let got = vurderinger(&s.out);
    assert_eq!(got.len(), 3000);
    for status in [
        "deltaker",
        "under_behandling",
        "kandidat",
        "ekskludert",
        "ikke_treff",
    ] {
        assert!(
            got.values().any(|r| r.status == status),
            "a generated population reaches {status}"
        );
    }
}

/// With `--lang en` the CSV headers are English too; office numbers are kept as text.
#[test]
fn english_csv_headers_and_offices_as_text() {
    let s = scan("testdata/fixtures", &["--lang", "en"]);
    let first = |f: &str| read_csv(&s.out.join(f)).lines().next().unwrap().to_string();
    assert!(first("kandidater.csv").starts_with("NAV office;Caseworker;Person ID;Age"));
    assert_eq!(
        first("datakvalitet.csv"),
        "Table;File;Row;Column;Severity;Reason;code"
    );
    assert!(first("naer_treff.csv").starts_with("NAV office;Rule;The condition missed"));
    let k = read_csv(&s.out.join("kandidater.csv"));
    assert!(
        k.lines().nth(1).unwrap().starts_with("\"=\"\"0314\"\"\";"),
        "{k}"
    );
}

/// A scan date after today is refused unless `--allow-future`.
#[test]
fn a_future_scan_date_needs_allow_future() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ut");
    let a = kvp()
        .args([
            "scan",
            "--data",
            "testdata/fixtures",
            "--as-of",
            "2099-01-04",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("er etter i dag") && err.contains("--allow-future"),
        "{err}"
    );
    assert!(!out.exists());
    kvp()
        .args([
            "-q",
            "scan",
            "--data",
            "testdata/fixtures",
            "--as-of",
            "2099-01-04",
            "--allow-future",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn a_csv_instead_of_a_parquet_table_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("personer.csv"), "person_id\n").unwrap();
    let a = kvp()
        .args(["scan", "--data"])
        .arg(tmp.path())
        .args(["--out"])
        .arg(tmp.path().join("ut"))
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("mappen har personer.csv: tabellene må være Parquet"),
        "{err}"
    );
}

#[test]
fn near_miss_counts_per_office_and_rule() {
    let s = scan("testdata/fixtures", &[]);
    let text = read_csv(&s.out.join("naer_treff.csv"));
    insta::assert_snapshot!("naer_treff_fixtures", text.replace("\r\n", "\n"));
    // Hand-made cases: fewer than 6 months (one condition), an income besides (one condition),
    // turned 30 on the scan date (one condition).
    assert!(
        text.contains("\"=\"\"0314\"\"\";Langtidsmottaker av økonomisk stønad;min maneder;6;;langtidsmottaker;min_maneder"),
        "{text}"
    );
    assert!(
        text.contains("\"=\"\"0314\"\"\";Spesielt tilpasset innsats med sosialhjelp eller tiltakspenger som eneste inntekt;ingen annen inntekt;1;;spesielt_tilpasset_innsats;ingen_annen_inntekt"),
        "{text}"
    );
    assert!(
        text.contains("\"=\"\"0314\"\"\";Under 30 år med vilkår om aktivitet (§ 20 a);alder;1;;under_30_aktivitetsvilkar;alder"),
        "{text}"
    );
    // Without the optional tables, the rules that need them are counted as not assessed.
    let u = scan("testdata/uten_valgfrie", &[]);
    let text = read_csv(&u.out.join("naer_treff.csv"));
    // kode-6 persons are counted in no per-office figure
    let persons_0314 = expected()
        .iter()
        .filter(|e| e.label != "annet_kontor" && e.label != "strengt_fortrolig_kandidat")
        .count();
    assert!(
        text.contains(&format!(
            "\"=\"\"0314\"\"\";Spesielt tilpasset innsats med sosialhjelp eller tiltakspenger som eneste inntekt;;;{persons_0314};spesielt_tilpasset_innsats;"
        )),
        "{text}"
    );
    assert!(
        text.contains("\"=\"\"4601\"\"\";Under 30 år med vilkår om aktivitet (§ 20 a);;;1;under_30_aktivitetsvilkar;"),
        "{text}"
    );
}

/// A memory limit too small for the data fails with exit 2, says which flag to change, and
/// leaves no output folder behind.
#[test]
fn too_small_memory_limit_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ut");
    let a = kvp()
        .args(["scan", "--data", "testdata/demo", "--as-of", AS_OF])
        .args(["--threads", "2", "--memory-limit", "100k", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("Resources exhausted"), "{err}");
    assert!(
        err.contains("hjelp: spørremotoren brukte opp minnet --memory-limit tillater"),
        "{err}"
    );
    assert!(!out.exists(), "no partial output folder");
}

/// The scan lets go of the payments once their months with stønad are computed, unless a rule
/// reads `okonomisk_stonad` itself: such a rule still gets every payment up to the scan date.
#[test]
fn a_rule_that_reads_the_payments_keeps_them() {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Date32Type, Int64Type};
    let s = scan("testdata/demo", &["--rules", "testdata/regler_utbetaling"]);
    let got: BTreeSet<String> = vurderinger(&s.out)
        .into_iter()
        .filter(|(_, r)| r.hint.contains("stor_utbetaling"))
        .map(|(id, _)| id)
        .collect();
    // the persons with a payment of 15 000 or more paid on or before the scan date
    let as_of = chrono::NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").unwrap();
    let as_of = (as_of - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32;
    let mut want = BTreeSet::new();
    for b in read_batches(&root().join("testdata/demo/okonomisk_stonad.parquet")) {
        let ids = b.column_by_name("person_id").unwrap().as_string::<i32>();
        let belop = b
            .column_by_name("belop")
            .unwrap()
            .as_primitive::<Int64Type>();
        let paid = b
            .column_by_name("utbetalingsdato")
            .unwrap()
            .as_primitive::<Date32Type>();
        for i in 0..b.num_rows() {
            if belop.is_valid(i) && belop.value(i) >= 15_000 && paid.value(i) <= as_of {
                want.insert(ids.value(i).to_string());
            }
        }
    }
    assert!(want.len() > 10, "the demo data has large payments");
    assert_eq!(got, want);
}

/// A rule whose SQL returns a person twice for the scan date is an error naming the rule (the
/// persons are gathered in two halves at once: a duplicate in either half is found), and the
/// scan leaves no output folder behind.
#[test]
fn a_rule_that_returns_a_person_twice_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let select = "SELECT skanningsdato, person_id, tilstand, hendelse, dato\nFROM kvp_status\nWHERE tilstand IN ('i_program', 'permisjon')\n";
    let rules = rules_with(tmp.path(), "deltar_i_kvp.toml", |text| {
        assert!(text.contains(select));
        text.replace(select, &format!("{select}UNION ALL\n{select}"))
    });
    let out = tmp.path().join("ut");
    let a = kvp()
        .args(["scan", "--data", "testdata/demo", "--as-of", "2026-11-16"])
        .arg("--rules")
        .arg(&rules)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr);
    assert!(
        err.contains("regel `deltar_i_kvp`: ga samme person mer enn én gang"),
        "{err}"
    );
    assert!(!out.exists(), "no output folder");
}
