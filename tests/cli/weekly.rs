//! `weekly` and `history`: consecutive weeks from `testdata/uker`, crash safety, protected
//! persons, pseudonymisation, and the caseworker pages rendered in headless Chromium.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::browser::{Browser, assert_self_contained};
use super::{kvp, list, read_batches, read_csv, root};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Date32Type;
use rstest::rstest;

const WEEKS: [(&str, &str); 3] = [
    ("2026-10-26", "testdata/uker/a"),
    ("2026-11-02", "testdata/uker/a"),
    ("2026-11-09", "testdata/uker/b"),
];

/// label → person id, and back.
fn persons() -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let text = std::fs::read_to_string(root().join("testdata/uker/personer.csv")).unwrap();
    let mut by_label = BTreeMap::new();
    let mut by_id = BTreeMap::new();
    for line in text.lines().skip(1) {
        let (label, id) = line.split_once(';').unwrap();
        by_label.insert(label.to_string(), id.to_string());
        by_id.insert(id.to_string(), label.to_string());
    }
    (by_label, by_id)
}

fn weekly(state: &Path, week: usize, extra: &[&str]) -> String {
    let (date, data) = WEEKS[week];
    let a = kvp()
        .args([
            "weekly",
            "--data",
            data,
            "--as-of",
            date,
            "--threads",
            "2",
            "--state",
        ])
        .arg(state)
        .args(extra)
        .assert()
        .success();
    String::from_utf8(a.get_output().stderr.clone()).unwrap()
}

/// A weekly run of `week` that must fail with exit code 2; its stderr.
fn weekly_fails(state: &Path, week: usize) -> String {
    let (date, data) = WEEKS[week];
    let a = kvp()
        .args(["weekly", "--data", data, "--as-of", date, "--state"])
        .arg(state)
        .assert()
        .code(2);
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// The names in a folder, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The folder of the newest recorded run.
fn newest_run(state: &Path) -> PathBuf {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("kvp-scan-state.json")).unwrap()).unwrap();
    let runs = index["kjoringer"].as_array().unwrap();
    state.join(runs.last().unwrap()["run_id"].as_str().unwrap())
}

fn run_ids(state: &Path) -> Vec<String> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("kvp-scan-state.json")).unwrap()).unwrap();
    index["kjoringer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_string())
        .collect()
}

/// Every file under a folder, relative paths, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// One row of a caseworker list.
#[derive(Debug, Clone)]
struct ListRow {
    file: String,
    endring: String,
    kommune: String,
    fortrolig: String,
    forste: String,
    uker: String,
    treff: String,
    endret: String,
    grunn: String,
}

fn unquote_id(s: &str) -> String {
    s.trim_start_matches("=\"")
        .trim_end_matches('"')
        .to_string()
}

/// Every caseworker list of a run: person id → row (a person is on one list only).
fn lists(run: &Path) -> BTreeMap<String, ListRow> {
    let mut out = BTreeMap::new();
    for f in files(&run.join("lister")) {
        if f.extension().is_none_or(|e| e != "csv") || f.ends_with("oversikt.csv") {
            continue;
        }
        let text = read_csv(&run.join("lister").join(&f));
        assert!(text.contains("\r\n"), "{f:?} must use CRLF");
        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        let h = r.headers().unwrap().clone();
        let idx = |name: &str| h.iter().position(|c| c == name).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            let id = unquote_id(&rec[idx("Person-ID")]);
            let row = ListRow {
                file: f.to_string_lossy().into_owned(),
                endring: rec[idx("Endring")].to_string(),
                kommune: unquote_id(&rec[idx("Kommune")]),
                fortrolig: rec[idx("Fortrolig adresse")].to_string(),
                forste: rec[idx("Første gang kandidat")].to_string(),
                uker: rec[idx("Uker på listen")].to_string(),
                treff: rec[idx("Regler med treff")].to_string(),
                endret: rec[idx("Endret siden forrige kjøring")].to_string(),
                grunn: rec[idx("Grunn til at personen er ute av listen")].to_string(),
            };
            assert!(
                out.insert(id.clone(), row).is_none(),
                "{id} is on two lists"
            );
        }
    }
    out
}

/// One row of liste.parquet.
#[derive(Debug)]
struct ListeRow {
    pa_listen: String,
    ny: bool,
    forste: String,
    uker: i64,
    grunn: String,
    endringer: Vec<String>,
}

fn liste_parquet(run: &Path) -> BTreeMap<String, ListeRow> {
    let mut out = BTreeMap::new();
    for b in read_batches(&run.join("liste.parquet")) {
        let s = |c: &str| b.column_by_name(c).unwrap().as_string::<i32>().clone();
        let (id, pa, grunn) = (s("person_id"), s("pa_listen"), s("grunn"));
        let ny = b
            .column_by_name("ny_denne_uken")
            .unwrap()
            .as_boolean()
            .clone();
        let forste = b
            .column_by_name("forste_gang_kandidat")
            .unwrap()
            .as_primitive::<Date32Type>()
            .clone();
        let uker = b
            .column_by_name("uker_pa_listen")
            .unwrap()
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .clone();
        for i in 0..b.num_rows() {
            let d = chrono::DateTime::from_timestamp(forste.value(i) as i64 * 86400, 0)
                .unwrap()
                .date_naive();
            out.insert(
                id.value(i).to_string(),
                ListeRow {
                    pa_listen: pa.value(i).to_string(),
                    ny: ny.value(i),
                    forste: d.to_string(),
                    uker: uker.value(i),
                    grunn: if grunn.is_null(i) {
                        String::new()
                    } else {
                        grunn.value(i).to_string()
                    },
                    endringer: list(&b, "endringer", i),
                },
            );
        }
    }
    out
}

/// A compact, label-keyed view of a run's lists for snapshots.
fn overview(run: &Path) -> String {
    let (_, by_id) = persons();
    let mut lines: Vec<String> = lists(run)
        .into_iter()
        .map(|(id, r)| {
            format!(
                "{:<22} {:<16} {:<14} forste={} uker={} treff=[{}] endret=[{}] grunn=[{}]",
                by_id[&id], r.file, r.endring, r.forste, r.uker, r.treff, r.endret, r.grunn
            )
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

#[test]
fn three_weeks_new_continuing_and_left_with_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let (id, _) = persons();

    let first = weekly(&state, 0, &[]);
    assert!(first.contains("første registrerte kjøring"), "{first}");
    let run1 = newest_run(&state);
    let l1 = lists(&run1);
    assert!(l1.values().all(|r| r.endring == "ny" && r.uker == "1"));
    assert!(!l1.contains_key(&id["ny_uke2_seks_maneder"]));
    assert!(!l1.contains_key(&id["sti_uke3"]));
    assert!(l1.contains_key(&id["faller_ut_uke2"]));

    weekly(&state, 1, &[]);
    let run2 = newest_run(&state);
    let l2 = lists(&run2);
    insta::assert_snapshot!("weekly_uke2", overview(&run2));
    let a = &l2[&id["ny_uke2_seks_maneder"]];
    assert_eq!(
        (a.endring.as_str(), a.forste.as_str(), a.uker.as_str()),
        ("ny", "2026-11-02", "1")
    );
    assert!(a.endret.contains("5 → 6"), "{a:?}");
    let b = &l2[&id["hele_tiden"]];
    assert_eq!(
        (b.endring.as_str(), b.forste.as_str(), b.uker.as_str()),
        ("fortsetter", "2026-10-26", "2")
    );
    for (label, reason) in [
        ("soknad_uke2", "søknad om KVP er registrert"),
        ("begynt_uke2", "har begynt i kvalifiseringsprogrammet"),
        (
            "aap_uke2",
            "utelukket av ny ytelse til livsopphold: arbeidsavklaringspenger",
        ),
        ("vurdert_uke2", "er nylig vurdert for KVP"),
        ("faller_ut_uke2", "treffer ikke lenger noen kandidatregel"),
        ("brutt_strekk", "utelukket av ny ytelse"),
    ] {
        let r = &l2[&id[label]];
        assert_eq!(r.endring, "ute av listen", "{label}");
        assert!(r.grunn.starts_with(reason), "{label}: {}", r.grunn);
        assert_eq!(r.uker, "1", "{label} was on the list one week");
    }
    assert!(
        l2[&id["faller_ut_uke2"]]
            .endret
            .contains("slår ikke lenger til: «Langtidsmottaker"),
    );
    let p2 = liste_parquet(&run2);
    assert_eq!(p2[&id["soknad_uke2"]].grunn, "soknad_registrert");
    assert_eq!(p2[&id["begynt_uke2"]].grunn, "ble_deltaker");
    assert_eq!(p2[&id["aap_uke2"]].grunn, "ny_ytelse");
    assert_eq!(p2[&id["vurdert_uke2"]].grunn, "vurdert");
    assert_eq!(p2[&id["faller_ut_uke2"]].grunn, "treffer_ikke_lenger");
    let a2 = &p2[&id["ny_uke2_seks_maneder"]];
    assert!(a2.ny && a2.pa_listen == "ny" && a2.forste == "2026-11-02" && a2.uker == 1);
    assert!(!p2[&id["hele_tiden"]].ny);
    assert_eq!(
        p2[&id["ny_uke2_seks_maneder"]].endringer,
        ["regel_begynte", "stonadsmaneder"]
    );

    weekly(&state, 2, &[]);
    let run3 = newest_run(&state);
    let l3 = lists(&run3);
    insta::assert_snapshot!("weekly_uke3", overview(&run3));
    let gone = &l3[&id["borte_uke3"]];
    assert_eq!(gone.endring, "ute av listen");
    assert_eq!(gone.grunn, "finnes ikke lenger i uttrekket");
    assert_eq!(gone.uker, "2");
    let sti = &l3[&id["sti_uke3"]];
    assert_eq!(sti.endring, "ny");
    assert!(
        sti.endret
            .contains("situasjonsbestemt innsats → spesielt tilpasset innsats"),
        "{sti:?}"
    );
    // the stretch was broken in week 2: counted from week 3 again
    let m = &l3[&id["brutt_strekk"]];
    assert_eq!(
        (m.endring.as_str(), m.forste.as_str(), m.uker.as_str()),
        ("ny", "2026-11-09", "1")
    );
    assert_eq!(l3[&id["hele_tiden"]].uker, "3");
    assert_eq!(l3[&id["ny_uke2_seks_maneder"]].uker, "2");
    // who left in week 2 is not reported again in week 3
    for label in [
        "soknad_uke2",
        "begynt_uke2",
        "aap_uke2",
        "vurdert_uke2",
        "faller_ut_uke2",
    ] {
        assert!(!l3.contains_key(&id[label]), "{label}");
    }

    // history lists every run with its counts
    let out = kvp()
        .args(["history", "--state"])
        .arg(&state)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    insta::with_settings!({filters => vec![(r"[0-9a-f]{12}\n", "[rules sha256]\n")]}, {
        insta::assert_snapshot!("weekly_history", text);
    });
    let out = kvp()
        .args(["history", "--json", "--state"])
        .arg(&state)
        .assert()
        .success();
    let j: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let runs = j["kjoringer"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[1]["liste"]["ute_av_listen"], 6);
    assert_eq!(runs[1]["liste"]["nye"], 1);
    assert_eq!(runs[2]["per_status"]["kandidat"], 8);
}

#[test]
fn protected_persons_never_reach_office_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let (id, _) = persons();
    weekly(&state, 0, &[]);
    let err = weekly(&state, 1, &[]);
    assert!(
        err.contains("strengt fortrolig (kode 6): 1 bare i skjermet-filene"),
        "{err}"
    );
    let run = newest_run(&state);
    let kode6 = &id["strengt_fortrolig"];
    for f in files(&run.join("lister")) {
        let path = run.join("lister").join(&f);
        let text = if f.extension().is_some_and(|x| x == "xlsx") {
            super::xlsx_text(&path)
        } else {
            std::fs::read_to_string(&path).unwrap()
        };
        assert!(!text.contains(kode6.as_str()), "kode 6 person in {f:?}");
    }
    let skjermet = read_csv(&run.join("skjermet.csv"));
    assert!(skjermet.contains(kode6.as_str()));
    let header = skjermet.lines().next().unwrap();
    for hidden in ["NAV-kontor", "Veileder", "Kommune", "Alder"] {
        assert!(
            !header.contains(hidden),
            "skjermet.csv must not have {hidden}"
        );
    }
    assert_eq!(skjermet.lines().count(), 2);
    // kode 7: listed, without the municipality
    let l = lists(&run);
    let k7 = &l[&id["fortrolig"]];
    assert_eq!((k7.kommune.as_str(), k7.fortrolig.as_str()), ("", "ja"));
    assert_eq!(l[&id["hele_tiden"]].kommune, "0301");
    let html =
        std::fs::read_to_string(run.join(format!("lister/{}", k7.file.replace(".csv", ".html"))))
            .unwrap();
    assert!(!html.contains(">0301<"), "kode 7 municipality on the page");
    // persons without a caseworker go to the office's "uten veileder" list
    assert_eq!(l[&id["uten_veileder"]].file, "0314/uten_veileder.csv");
    assert_eq!(l[&id["annet_kontor"]].file, "4601/B7.csv");
}

#[cfg(unix)]
#[test]
fn state_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    weekly(&state, 0, &[]);
    for f in files(&state) {
        let mode = std::fs::metadata(state.join(&f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{f:?}");
    }
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn same_date_replaces_and_earlier_dates_need_replace_history() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    weekly(&state, 0, &[]);
    weekly(&state, 1, &[]);
    let before = lists(&newest_run(&state));
    weekly(&state, 1, &[]);
    assert_eq!(run_ids(&state), ["2026-10-26-r1", "2026-11-02-r3"]);
    assert!(!state.join("2026-11-02-r2").exists());
    // compared with week 1 again, so the same list
    let after = lists(&newest_run(&state));
    assert_eq!(
        format!("{before:?}").replace("r2", "r3"),
        format!("{after:?}").replace("r2", "r3")
    );

    let err = weekly_fails(&state, 0);
    assert!(
        err.contains("tidligere enn den nyeste registrerte kjøringen (2026-11-02)")
            && err.contains("--replace-history"),
        "{err}"
    );
    assert_eq!(run_ids(&state).len(), 2);
    weekly(&state, 0, &["--replace-history"]);
    assert_eq!(run_ids(&state), ["2026-10-26-r4"]);
    assert!(!state.join("2026-11-02-r3").exists());
}

#[test]
fn a_folder_that_is_not_a_state_is_refused() {
    let (date, data) = WEEKS[0];
    let a = kvp()
        .args([
            "weekly", "--data", data, "--as-of", date, "--state", "testdata",
        ])
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("ikke en tilstandsmappe for kvp-scan"), "{err}");
    assert!(!root().join("testdata/.lock").exists());
}

/// Starts week 2 with a failpoint, kills it there, and checks the state is as before.
#[rstest]
#[case::while_writing("under_skriving", false)]
#[case::files_written("filer_skrevet", false)]
#[case::run_moved_in("etter_flytting", false)]
#[case::index_switched("etter_bytte", true)]
fn a_killed_run_leaves_a_readable_history(#[case] point: &str, #[case] recorded: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    weekly(&state, 0, &[]);
    let reference = tempfile::tempdir().unwrap();
    let ref_state = reference.path().join("state");
    weekly(&ref_state, 0, &[]);
    weekly(&ref_state, 1, &[]);

    let (date, data) = WEEKS[1];
    let bin = assert_cmd::cargo::cargo_bin("kvp-scan");
    let mut child = std::process::Command::new(bin)
        .current_dir(root())
        .env("KVP_SCAN_FAILPOINT", point)
        .args(["weekly", "--data", data, "--as-of", date, "--state"])
        .arg(&state)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut reached = false;
    for line in std::io::BufReader::new(stderr).lines() {
        if line.unwrap() == format!("failpoint {point}") {
            reached = true;
            break;
        }
    }
    assert!(reached, "the run never reached {point}");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // the history is readable and names only complete runs
    let expect: &[&str] = if recorded {
        &["2026-10-26-r1", "2026-11-02-r2"]
    } else {
        &["2026-10-26-r1"]
    };
    assert_eq!(run_ids(&state), expect);
    kvp()
        .args(["history", "--state"])
        .arg(&state)
        .assert()
        .success();
    for id in expect {
        assert!(state.join(id).join("manifest.json").exists());
    }

    // the next run works, cleans up, and gives the same lists as an uninterrupted run
    weekly(&state, 1, &[]);
    let names: Vec<String> = names_in(&state)
        .into_iter()
        .filter(|n| !n.starts_with(".lock"))
        .collect();
    let ids = run_ids(&state);
    let mut want: Vec<String> = ids.clone();
    want.push("kvp-scan-state.json".into());
    want.sort();
    assert_eq!(names, want, "leftovers in the state folder");
    assert_eq!(ids.len(), 2);
    let got = lists(&newest_run(&state));
    let want = lists(&newest_run(&ref_state));
    assert_eq!(format!("{got:?}"), format!("{want:?}"));
}

fn hmac_hex(key: &[u8], id: &str) -> String {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(id.as_bytes());
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn pseudonymized_lists_carry_no_real_ids_and_stay_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let key_file = tmp.path().join("nokkel");
    let key = b"en hemmelig testnokkel med nok lengde";
    std::fs::write(&key_file, key).unwrap();
    let key_arg = key_file.to_str().unwrap();
    let (id, _) = persons();
    weekly(&state, 0, &["--pseudonymize", key_arg]);
    weekly(&state, 1, &["--pseudonymize", key_arg]);
    let run = newest_run(&state);

    // no real id and not the key anywhere in the state
    for f in files(&state) {
        let path = state.join(&f);
        // workbooks are zipped: read their XML
        let text = if f.extension().is_some_and(|x| x == "xlsx") {
            super::xlsx_text(&path)
        } else {
            String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()
        };
        for real in id.values() {
            assert!(!text.contains(real.as_str()), "{real} in {f:?}");
        }
        assert!(!text.contains("hemmelig"), "the key is in {f:?}");
    }
    // the pseudonym is HMAC-SHA-256(key, id), and the comparison still works on it
    let l = lists(&run);
    let b = &l[&hmac_hex(key, &id["hele_tiden"])];
    assert_eq!((b.endring.as_str(), b.uker.as_str()), ("fortsetter", "2"));
    let a = &l[&hmac_hex(key, &id["ny_uke2_seks_maneder"])];
    assert_eq!(a.endring, "ny");
    let skjermet = read_csv(&run.join("skjermet.csv"));
    assert!(skjermet.contains(&hmac_hex(key, &id["strengt_fortrolig"])));

    // a run without the key, or with another key, is refused
    let (date, data) = WEEKS[2];
    let a = kvp()
        .args(["weekly", "--data", data, "--as-of", date, "--state"])
        .arg(&state)
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("pseudonymiserte person-ID-er"), "{err}");
    let other = tmp.path().join("annen");
    std::fs::write(&other, b"en helt annen nokkel, ogsa lang nok").unwrap();
    let a = kvp()
        .args(["weekly", "--data", data, "--as-of", date, "--pseudonymize"])
        .arg(&other)
        .arg("--state")
        .arg(&state)
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("ikke nøkkelen denne tilstandsmappen ble registrert med"),
        "{err}"
    );
    assert_eq!(run_ids(&state).len(), 2);
}

#[test]
fn caseworker_pages_render_in_headless_chromium() {
    let Some(browser) = Browser::require() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let (id, _) = persons();
    weekly(&state, 0, &[]);
    weekly(&state, 1, &[]);
    let run = newest_run(&state);
    let all = lists(&run);
    let pages: Vec<PathBuf> = files(&run.join("lister"))
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html"))
        .collect();
    assert_eq!(pages.len(), 4);
    for page in &pages {
        let path = run.join("lister").join(page);
        assert_self_contained(&path);
        // nothing cut off on an A4 page (printable width about 700 CSS pixels)
        assert_eq!(
            browser.overflowing(&path, 700),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        let dom = browser.dom(&path);
        let csv_name = page.with_extension("csv").to_string_lossy().into_owned();
        let on_list: Vec<&String> = all
            .iter()
            .filter(|(_, r)| r.file == csv_name)
            .map(|(k, _)| k)
            .collect();
        assert!(!on_list.is_empty());
        for person in on_list {
            assert!(
                dom.contains(&format!("data-person=\"{person}\"")),
                "{person} is on {csv_name} but not on the rendered page"
            );
        }
        assert!(!dom.contains(id["strengt_fortrolig"].as_str()));
    }

    // screenshot and A4 print of the busiest page
    let v1 = run.join("lister/0314/V1.html");
    browser.screenshot(&v1, "900,1400", &tmp.path().join("V1.png"), 20_000);
    let bytes = browser.pdf(&v1, &tmp.path().join("V1.pdf"));
    assert!(bytes.starts_with(b"%PDF"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("/MediaBox [0 0 594.") || text.contains("/MediaBox [0 0 595"),
        "the printed page is not A4"
    );
}

/// The caseworker list files of a run with extension `ext`, office by office.
fn list_files(run: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for office in std::fs::read_dir(run.join("lister")).unwrap() {
        let office = office.unwrap().path();
        if !office.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&office).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|x| x == ext) {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

/// Every caseworker page opens with the ranked worklist: each person on the list once, those
/// who must first get a § 14 a assessment (a rule marked `forutsetning`) in a table of their own,
/// and persons informed about KVP but never assessed (the highest `prioritet`) first.
#[test]
fn pages_open_with_a_ranked_worklist() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    for date in ["2026-11-09", "2026-11-16"] {
        kvp()
            .args([
                "-q",
                "weekly",
                "--data",
                "testdata/demo",
                "--as-of",
                date,
                "--state",
            ])
            .arg(&state)
            .assert()
            .success();
    }
    let run = newest_run(&state);
    let hints: BTreeMap<String, Vec<String>> = read_batches(&run.join("vurderinger.parquet"))
        .iter()
        .flat_map(|b| {
            let ids = b.column_by_name("person_id").unwrap().as_string::<i32>();
            (0..b.num_rows())
                .map(|i| (ids.value(i).to_string(), list(b, "hint", i)))
                .collect::<Vec<_>>()
        })
        .collect();
    let table = |html: &str, id: &str| -> Vec<String> {
        let Some(start) = html.find(&format!("<table class=\"worklist\" id=\"{id}\"")) else {
            return vec![];
        };
        let body = &html[start..start + html[start..].find("</table>").unwrap()];
        body.split("<tr data-person=\"")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].to_string())
            .collect()
    };
    let mut pages = 0;
    let mut informed_first = 0;
    for page in list_files(&run, "html") {
        let html = std::fs::read_to_string(&page).unwrap();
        let csv = read_csv(&page.with_extension("csv"));
        let on_list = csv
            .lines()
            .skip(1)
            .filter(|l| !l.starts_with("ute av listen"))
            .count();
        let (now, first) = (table(&html, "rangert"), table(&html, "forst"));
        assert_eq!(now.len() + first.len(), on_list, "{}", page.display());
        let has = |id: &String, h: &str| hints[id].iter().any(|x| x == h);
        assert!(first.iter().all(|id| has(id, "mangler_14a_vedtak")));
        assert!(now.iter().all(|id| !has(id, "mangler_14a_vedtak")));
        for t in [&now, &first] {
            // the informed-but-not-assessed come before everyone else in their table
            let flags: Vec<bool> = t
                .iter()
                .map(|id| has(id, "informert_uten_vurdering"))
                .collect();
            assert!(
                flags.windows(2).all(|w| w[0] || !w[1]),
                "{}: {flags:?}",
                page.display()
            );
            informed_first += flags.iter().filter(|f| **f).count();
        }
        assert!(html.contains("id=\"rekkefolge\""));
        pages += 1;
    }
    assert!(
        pages > 5 && informed_first > 0,
        "{pages} pages, {informed_first} informed"
    );
}

/// Each caseworker list is also a workbook: ids and office numbers as text (leading zeros
/// kept), numbers and dates typed, a frozen header row and a filter, the same persons as the CSV.
#[test]
fn lists_are_also_excel_workbooks() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    kvp()
        .args([
            "-q",
            "weekly",
            "--data",
            "testdata/demo",
            "--as-of",
            "2026-11-16",
            "--state",
        ])
        .arg(&state)
        .assert()
        .success();
    let run = newest_run(&state);
    let mut books = 0;
    for f in list_files(&run, "xlsx") {
        let xml = super::xlsx_text(&f);
        let csv = read_csv(&f.with_extension("csv"));
        for line in csv.lines().skip(1) {
            // the person id, as text with its leading zero
            let id = line
                .split(';')
                .nth(3)
                .unwrap()
                .trim_matches(|c| c == '"' || c == '=');
            assert!(
                xml.contains(&format!("<t>{id}</t>")),
                "{id} not in {}",
                f.display()
            );
        }
        assert!(xml.contains("ySplit=\"1\""), "frozen header");
        assert!(xml.contains("<autoFilter"), "filter");
        assert!(xml.contains("Person-ID") && xml.contains("Første gang kandidat"));
        books += 1;
    }
    assert!(books > 5);
}

/// A long list prints compactly: the worklist of a 60+ person list (the busiest of a generated
/// population of 5 000) fits on two A4 pages in Chromium's print, because print shows the rule
/// files' short forms (`kort_tittel`, `kort_forklaring`, `kort_neste_steg`), one line each, while
/// the screen shows the full ones.
#[test]
fn the_worklist_prints_on_two_a4_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, state) = (tmp.path().join("data"), tmp.path().join("state"));
    kvp()
        .args([
            "-q",
            "generate",
            "--persons",
            "5000",
            "--as-of",
            "2026-11-16",
            "--out",
        ])
        .arg(&data)
        .assert()
        .success();
    kvp()
        .args(["-q", "weekly", "--as-of", "2026-11-16", "--data"])
        .arg(&data)
        .arg("--state")
        .arg(&state)
        .assert()
        .success();
    let run = newest_run(&state);
    let (rows, page) = list_files(&run, "html")
        .into_iter()
        .map(|p| {
            let html = std::fs::read_to_string(&p).unwrap();
            let start = html.find("<section id=\"arbeidsliste\">").unwrap();
            let end = start + html[start..].find("</section>").unwrap() + "</section>".len();
            let rows = html[start..end].matches("<tr data-person=").count();
            (rows, html[..end].to_string() + "</main></body></html>")
        })
        .max_by_key(|(rows, _)| *rows)
        .unwrap();
    assert!(rows >= 60, "the busiest list has {rows} rows");
    // every row carries both forms; the short ones come from the rule files
    assert_eq!(page.matches("<span class=\"kort\">").count(), 3 * rows);
    assert!(page.contains("Langtidsmottaker, ") || page.contains(">Langtidsmottaker<"));
    assert!(page.contains(" mnd</span>"), "a short decisive fact");
    assert!(page.contains(">Vurder KVP</span>"), "a short next step");
    let Some(browser) = Browser::require() else {
        return;
    };
    let only = tmp.path().join("arbeidsliste.html");
    std::fs::write(&only, &page).unwrap();
    let pdf = browser.pdf(&only, &tmp.path().join("arbeidsliste.pdf"));
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(
        (1..=2).contains(&pages),
        "{rows} rows print on {pages} pages"
    );
}

/// A run that fails (here: last week's list is not Parquet) exits with 2, names the run it
/// could not read, records nothing and leaves no folder of its own behind; the history is as
/// before.
#[test]
fn a_failed_run_leaves_no_folder_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    weekly(&state, 0, &[]);
    let first = newest_run(&state);
    std::fs::write(first.join("liste.parquet"), b"not parquet").unwrap();
    let before = names_in(&state);
    let stderr = weekly_fails(&state, 1);
    assert!(stderr.contains("2026-10-26-r1"), "{stderr}");
    assert!(stderr.contains("liste.parquet"), "{stderr}");
    let after = names_in(&state);
    assert_eq!(after, before, "the state folder changed");
    assert_eq!(run_ids(&state), ["2026-10-26-r1"]);
}
