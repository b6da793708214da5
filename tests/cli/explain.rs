//! `explain`: one person's rules, facts and source rows, always agreeing with `scan`.

use std::collections::{BTreeMap, BTreeSet};

use super::helpers::*;
use rstest::rstest;

#[test]
fn explanations_carry_the_facts_and_the_legal_basis() {
    let s = scan("testdata/fixtures", &[]);
    let got = vurderinger(&s.out);
    let by_label = |label: &str| {
        let e = expected().into_iter().find(|e| e.label == label).unwrap();
        got[&e.person_id].clone()
    };
    let r = by_label("langtid_9_av_12");
    assert_eq!(r.maneder, 9);
    assert_eq!(
        r.begrunnelse[0],
        "Mottok økonomisk stønad i 9 av de siste 12 månedene (grense: 6), sist i november 2026. \
         Langtidsmottakere er en hovedmålgruppe for KVP (sosialtjenesteloven § 29)."
    );
    let r = by_label("aap_lopende");
    assert!(
        r.begrunnelse.contains(
            &"Har arbeidsavklaringspenger fra 2026-03-01 (løpende). KVP krever ingen eller svært begrensede \
              ytelser til livsopphold (sosialtjenesteloven § 29 første ledd)."
                .to_string()
        ),
        "{:?}",
        r.begrunnelse
    );
    let r = by_label("alder_67_pa_skanningsdato");
    assert_eq!(r.alder, 67);
    assert!(
        r.begrunnelse
            .iter()
            .any(|b| b.starts_with("Er 67 år på skanningsdatoen."))
    );
}

#[test]
fn english_explanations_with_lang_en() {
    let s = scan("testdata/fixtures", &["--lang", "en"]);
    let got = vurderinger(&s.out);
    let e = expected()
        .into_iter()
        .find(|e| e.label == "langtid_9_av_12")
        .unwrap();
    assert_eq!(
        got[&e.person_id].begrunnelse[0],
        "Received economic assistance in 9 of the last 12 months (threshold: 6), most recently in November 2026. \
         Long-term recipients are a main target group for KVP (the Social Services Act section 29)."
    );
    // the console speaks English too (Norwegian is the default)
    assert!(s.stderr.starts_with("kvp-scan: scanned "), "{}", s.stderr);
    assert!(s.stderr.contains("  rules fired:") && s.stderr.contains("  elapsed: "));
    assert!(s.stderr.contains("errors (rows set aside)"));
    let bad = kvp()
        .args([
            "scan",
            "--lang",
            "en",
            "--data",
            "testdata/finnes_ikke",
            "--out",
        ])
        .arg(s.out.join("x"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("error: "));
}

fn explain(person: &str, extra: &[&str]) -> (String, i32) {
    let a = kvp()
        .args([
            "explain",
            "--data",
            "testdata/fixtures",
            "--as-of",
            AS_OF,
            "--person",
            person,
            // every fixture person, kode 6 included: the tests are authorised
            "--skjermet",
        ])
        .args(extra)
        .assert();
    let out = a.get_output();
    (
        String::from_utf8(out.stdout.clone()).unwrap(),
        out.status.code().unwrap(),
    )
}

#[rstest]
#[case::nb("nb")]
#[case::en("en")]
fn explain_report_for_every_fixture_person(#[case] lang: &str) {
    // one small snapshot per person and language: a wording change shows as a small diff
    for e in expected() {
        let (out, code) = explain(&e.person_id, &["--lang", lang]);
        assert_eq!(code, 0, "{}", e.label);
        insta::assert_snapshot!(format!("explain_{lang}_{}", e.label), out);
    }
}

fn assert_explain_agrees(data: &str, rows: &BTreeMap<String, Row>, every: usize) {
    for (id, row) in rows.iter().step_by(every) {
        let a = kvp()
            .args([
                "explain",
                "--data",
                data,
                "--as-of",
                AS_OF,
                "--json",
                "--skjermet",
                "--person",
                id,
            ])
            .assert()
            .success();
        let e: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
        assert_eq!(e["status"], row.status.as_str(), "status of {id}");
        let fired = |kind: &str| -> BTreeSet<String> {
            e["regler"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["type"] == kind && r["utfall"] == "treff")
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(fired("kandidat"), row.treff, "treff of {id}");
        assert_eq!(
            fired("eksklusjon"),
            row.eksklusjoner,
            "eksklusjoner of {id}"
        );
        assert_eq!(fired("hint"), row.hint, "hint of {id}");
        let texts: Vec<String> = e["regler"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["forklaring"].as_str().map(String::from))
            .collect();
        for b in row
            .begrunnelse
            .iter()
            .filter(|b| !b.contains("er ikke vurdert"))
        {
            assert!(texts.contains(b), "the same sentence for {id}: {b}");
        }
    }
}

#[test]
fn explain_and_scan_never_disagree() {
    let s = scan("testdata/fixtures", &[]);
    assert_explain_agrees("testdata/fixtures", &vurderinger(&s.out), 1);
}

#[test]
fn explain_and_scan_never_disagree_on_a_generated_population() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    generate(600, 3, &data, &[]);
    let data = data.to_str().unwrap();
    let s = scan(data, &[]);
    let rows = vurderinger(&s.out);
    assert_eq!(rows.len(), 600);
    assert_explain_agrees(data, &rows, 20);
}

#[test]
fn explain_of_an_unknown_person_is_an_error() {
    let (out, code) = explain("00000000000", &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    // a pasted id with spaces is found; one that lost its leading zero is explained
    let e = &expected()[0];
    assert_eq!(explain(&format!("  {} ", e.person_id), &[]).1, 0);
    let a = kvp()
        .args([
            "explain",
            "--data",
            "testdata/fixtures",
            "--as-of",
            AS_OF,
            "--person",
            "1019012345",
        ])
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("innledende null falt bort"), "{err}");
}

#[test]
fn explain_names_the_single_missing_condition() {
    let person = expected()
        .into_iter()
        .find(|e| e.label == "bare_5_maneder")
        .unwrap()
        .person_id;
    let (out, code) = explain(&person, &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("«Langtidsmottaker av økonomisk stønad» ville slått til om også dette var oppfylt: minst 6 av de siste 12 månedene med økonomisk stønad (har 5)"),
        "{out}"
    );
}
