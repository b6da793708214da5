//! `rules check`, `rules test` and dated parameters: rule-file problems at `file:line:col`.

use super::helpers::*;
use rstest::rstest;

#[test]
fn shipped_rules_check_and_test_clean() {
    kvp()
        .args(["rules", "check"])
        .assert()
        .success()
        .stderr(predicates::str::contains("13 regler sjekket"));
    let a = kvp()
        .args(["rules", "test", "--rules", "rules"])
        .assert()
        .success();
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(
        out.lines().last().unwrap().ends_with("bestått, 0 feilet"),
        "{out}"
    );
    assert!(!out.contains("FAIL"));
}

#[rstest]
#[case::unknown_field("ukjent_felt")]
#[case::unknown_column("ukjent_kolonne")]
#[case::unknown_table("ukjent_tabell")]
#[case::syntax_error("syntaksfeil")]
#[case::incomplete_sql("ufullstendig_sql")]
#[case::missing_english("mangler_engelsk")]
#[case::unknown_template_variable("ukjent_malvariabel")]
#[case::unknown_variable_in_short_form("ukjent_variabel_kort")]
#[case::duplicate_id("duplikat_id")]
#[case::no_scan_date("uten_skanningsdato")]
#[case::person_id_in_template("mal_med_person_id")]
fn rules_check_points_at_the_problem(#[case] case: &str) {
    let a = kvp()
        .args([
            "rules",
            "check",
            "--rules",
            &format!("testdata/regler_med_feil/{case}"),
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("help: "), "{stderr}");
    insta::assert_snapshot!(format!("rules_check_{case}"), stderr);
}

#[test]
fn rules_test_reports_a_failing_example() {
    let a = kvp()
        .args([
            "rules",
            "test",
            "--rules",
            "testdata/regler_med_feil/feil_eksempel",
        ])
        .assert()
        .code(2);
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    insta::assert_snapshot!("rules_test_failing", out);
}

/// A rule that is right for one scan date but mixes dates when a session holds several (as the
/// audit's does) fails its own examples.
#[test]
fn rules_test_catches_rules_that_mix_scan_dates() {
    let a = kvp()
        .args([
            "rules",
            "test",
            "--rules",
            "testdata/regler_med_feil/datoblanding",
        ])
        .assert()
        .code(2);
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    insta::assert_snapshot!("rules_test_datoblanding", out);
}

#[test]
fn scan_reports_rule_errors_like_rules_check() {
    let tmp = tempfile::tempdir().unwrap();
    let a = kvp()
        .args([
            "scan",
            "--data",
            "testdata/fixtures",
            "--rules",
            "testdata/regler_med_feil/ukjent_kolonne",
            "--out",
        ])
        .arg(tmp.path().join("ut"))
        .args(["--as-of", AS_OF])
        .assert()
        .code(2);
    let stderr = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("testdata/regler_med_feil/ukjent_kolonne/regel.toml:8:7"),
        "{stderr}"
    );
    assert!(!tmp.path().join("ut").exists());
}

#[test]
fn parameters_replay_the_value_in_force_on_the_scan_date() {
    // A copy of the shipped rules where min_maneder drops from 6 to 5 on 2026-11-01.
    let tmp = tempfile::tempdir().unwrap();
    let rules = rules_with(tmp.path(), "langtidsmottaker.toml", |text| {
        text.replace(
            "verdi = 6\n",
            "verdier = [{ fra = 2010-01-01, verdi = 6 }, { fra = 2026-11-01, verdi = 5 }]\n",
        )
    });
    let rules = rules.to_str().unwrap();
    let person = expected()
        .into_iter()
        .find(|e| e.label == "bare_5_maneder")
        .unwrap()
        .person_id;
    let now = scan("testdata/fixtures", &["--rules", rules]);
    assert_eq!(vurderinger(&now.out)[&person].status, "kandidat");
    let before = tempfile::tempdir().unwrap();
    kvp()
        .args([
            "scan",
            "--data",
            "testdata/fixtures",
            "--rules",
            rules,
            "--as-of",
            "2026-10-31",
            "--out",
        ])
        .arg(before.path())
        .assert()
        .success();
    assert_ne!(vurderinger(before.path())[&person].status, "kandidat");
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(before.path().join("manifest.json")).unwrap(),
    )
    .unwrap();
    let lt = m["regelsett"]["regler"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "langtidsmottaker")
        .unwrap()
        .clone();
    assert_eq!(lt["parametre"]["min_maneder"], 6);
}
