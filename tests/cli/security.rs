//! Protected persons and hostile input: kode 6 only in `skjermet*` files (every output of scan,
//! two weekly runs, report and audit read back, Parquet decoded), `explain` refusing kode 6,
//! file names from data, many caseworkers under a small open-file limit, a forged audit, crash
//! leftovers, retention, CSV formula guards and bounded arguments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::{copy_of, kvp, read_batches, root, xlsx_text};

const DATA: &str = "testdata/skjermet/data";

/// label → person id of `testdata/skjermet`.
fn persons() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("testdata/skjermet/personer.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let (label, id) = l.split_once(';').unwrap();
            (label.to_string(), id.to_string())
        })
        .collect()
}

/// Every value of every column of a Parquet file, as text (lists flattened by the formatter).
fn parquet_cells(path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for b in read_batches(path) {
        cells_of(&b, &mut out);
    }
    out
}

fn cells_of(b: &RecordBatch, out: &mut Vec<String>) {
    let opts = FormatOptions::default();
    for col in b.columns() {
        let f = ArrayFormatter::try_new(col.as_ref(), &opts).unwrap();
        for i in 0..col.len() {
            out.push(f.value(i).to_string());
        }
    }
}

/// Every file below `dir` with its decoded text: Parquet as its cells, anything else as text.
fn read_all(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push((p.clone(), parquet_cells(&p).join("\n")));
            } else if p.extension().is_some_and(|x| x == "xlsx") {
                out.push((p.clone(), xlsx_text(&p)));
            } else {
                out.push((
                    p.clone(),
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into(),
                ));
            }
        }
    }
    out
}

fn run(args: &[&str], out: &Path) -> String {
    let a = kvp()
        .args(args)
        .arg(out)
        .args(["--threads", "2"])
        .assert()
        .success();
    String::from_utf8(a.get_output().stderr.clone()).unwrap()
}

/// The policy, tested the hard way: after scan, two weekly runs, report, audit and compare, no file
/// whose name does not start with `skjermet` names a kode-6 person, the office only they are
/// in, or a caseworker only they have; and the `skjermet*` files do hold them.
#[test]
fn kode_6_only_in_skjermet_files() {
    let ids = persons();
    let kode6: Vec<&String> = ids
        .iter()
        .filter(|(l, _)| {
            l.starts_with("kode6") || *l == "ukjent_vern" || *l == "duplikat_strengere"
        })
        .map(|(_, id)| id)
        .collect();
    assert_eq!(kode6.len(), 10);
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let common = ["--data", DATA];
    run(
        &[&["scan"][..], &common, &["--as-of", "2026-11-16", "--out"]].concat(),
        &t.join("scan"),
    );
    for date in ["2026-11-09", "2026-11-16"] {
        run(
            &[&["weekly"][..], &common, &["--as-of", date, "--state"]].concat(),
            &t.join("state"),
        );
    }
    run(
        &[
            &["report"][..],
            &common,
            // an office's own page, unsuppressed, for the office a kode-6 person shares
            &[
                "--as-of",
                "2026-11-16",
                "--kontor",
                "0314",
                "--intern",
                "--out",
            ],
        ]
        .concat(),
        &t.join("report"),
    );
    // the office only kode-6 persons are in has no page: it is not an office of the report
    let o = kvp()
        .args([
            "report",
            "--data",
            DATA,
            "--as-of",
            "2026-11-16",
            "--kontor",
            "SKJKONTOR",
        ])
        .arg("--out")
        .arg(t.join("report_skjermet_kontor"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!t.join("report_skjermet_kontor").exists());
    run(
        &[
            &["audit"][..],
            &common,
            &["--from", "2026-09-01", "--to", "2026-11-16", "--out"],
        ]
        .concat(),
        &t.join("audit"),
    );

    run(
        &[
            &["compare"][..],
            &common,
            &[
                "--as-of",
                "2026-11-16",
                "--set",
                "langtidsmottaker.min_maneder=5",
                "--out",
            ],
        ]
        .concat(),
        &t.join("compare"),
    );

    let forbidden: Vec<&str> = kode6
        .iter()
        .map(|s| s.as_str())
        .chain(["SKJKONTOR", "SKJV1", "SKJV2", "SKJV3", "SKJV9"])
        .collect();
    let files = read_all(t);
    assert!(files.len() > 20, "{} files", files.len());
    let mut in_skjermet: BTreeSet<&str> = BTreeSet::new();
    for (path, text) in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("skjermet") {
            for id in &kode6 {
                if text.contains(id.as_str()) {
                    in_skjermet.insert(id);
                }
            }
            continue;
        }
        for f in &forbidden {
            assert!(!text.contains(f), "{f} appears in {}", path.display());
        }
    }
    // every kode-6 person is in some skjermet file (the scan's skjermet.parquet has them all)
    assert_eq!(in_skjermet.len(), kode6.len(), "{in_skjermet:?}");
    let scan = parquet_cells(&t.join("scan/skjermet.parquet")).join("\n");
    for id in &kode6 {
        assert!(scan.contains(id.as_str()));
    }
    // compare keeps their changes apart too (their explanations name the new threshold)
    let compare = parquet_cells(&t.join("compare/skjermet_endringer.parquet")).join("\n");
    assert!(kode6.iter().any(|id| compare.contains(id.as_str())));
    let audit = std::fs::read_to_string(t.join("audit/skjermet_revisjon.csv")).unwrap();
    assert!(audit.contains("SKJKONTOR"), "{audit}");
    // the walk above covered the office page (html, csv, xlsx) and the § 20 a follow-up, whose
    // kode-6 person is counted only in the national line
    assert!(
        files
            .iter()
            .any(|(p, _)| p.ends_with("report/kontor_0314.xlsx"))
    );
    let aktivitet = std::fs::read_to_string(t.join("audit/revisjon_aktivitet.csv")).unwrap();
    assert!(
        aktivitet.contains("Strengt fortrolig adresse (kode 6);<5"),
        "{aktivitet}"
    );

    // the report counts them in one national line: 10 persons, 8 of them candidates
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.join("report/rapport.json")).unwrap()).unwrap();
    let line = report["enheter"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["niva"] == "skjermet")
        .expect("a skjermet line");
    assert_eq!(line["tall"]["status"]["kandidater"], 8, "{line}");
    assert_eq!(line["tall"]["status"]["deltakere"], "<5", "{line}");
    // and kode 7 is listed without municipality on every list
    for (path, text) in &files {
        if path.extension().is_some_and(|x| x == "csv")
            && path.components().any(|c| c.as_os_str() == "lister")
            && text.contains(&ids["kode7_1"])
        {
            let row = text.lines().find(|l| l.contains(&ids["kode7_1"])).unwrap();
            assert!(!row.contains("0301"), "{row}");
        }
    }
}

/// `explain` of one person in the protected fixture: exit code, stdout and stderr.
fn explain(id: &str, extra: &[&str]) -> (i32, String, String) {
    let a = kvp()
        .args([
            "explain",
            "--data",
            DATA,
            "--as-of",
            "2026-11-16",
            "--person",
            id,
        ])
        .args(extra)
        .assert();
    let o = a.get_output();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout.clone()).unwrap(),
        String::from_utf8(o.stderr.clone()).unwrap(),
    )
}

#[test]
fn explain_refuses_kode_6_without_skjermet() {
    let ids = persons();
    let (code, out, err) = explain(&ids["kode6_kontor_1"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--skjermet"), "{err}");
    assert!(!out.contains("SKJKONTOR") && !err.contains("SKJKONTOR"));
    // the unrecognised protection value counts as kode 6 too
    assert_eq!(explain(&ids["ukjent_vern"], &[]).0, 2);
    let (code, out, _) = explain(&ids["kode6_kontor_1"], &["--skjermet"]);
    assert_eq!(code, 0);
    assert!(out.contains("SKJKONTOR"), "{out}");
    // an ordinary person needs no flag
    assert_eq!(explain(&ids["vanlig_1"], &[]).0, 0);
}

/// Every file below `dir` (relative paths).
fn files(dir: &Path) -> Vec<PathBuf> {
    read_all(dir)
        .into_iter()
        .map(|(p, _)| p.strip_prefix(dir).unwrap().to_path_buf())
        .collect()
}

/// Caseworker ids that clash after cleaning, differ only in case, name a device, a path, our
/// own list, a formula or are blank: each gets its own list, blank ones the office's «uten
/// veileder» list, and `oversikt.csv` maps every id to its files.
#[test]
fn every_caseworker_gets_a_file_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    run(
        &[
            "weekly",
            "--data",
            "testdata/filnavn/data",
            "--as-of",
            "2026-11-16",
            "--state",
        ],
        &state,
    );
    let run_dir = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .unwrap();
    let lists: Vec<PathBuf> = files(&run_dir.join("lister"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "csv") && p.components().count() == 2)
        .collect();
    // 12 ids, of which "" and "   " share the «uten veileder» list
    assert_eq!(lists.len(), 11, "{lists:?}");
    let mut lower = BTreeSet::new();
    for p in &lists {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        assert!(name.len() <= 100, "{name}");
        assert!(
            lower.insert(name.to_ascii_lowercase()),
            "{name} twice (ignoring case)"
        );
        let stem = name.trim_end_matches(".csv").to_ascii_uppercase();
        assert!(
            !["CON", "NUL", "PRN", "AUX"].contains(&stem.as_str()),
            "{name}"
        );
    }
    assert!(lists.iter().any(|p| p.ends_with("0314/uten_veileder.csv")));
    // every candidate is on exactly one list
    let ids = {
        let text = std::fs::read_to_string(root().join("testdata/filnavn/personer.csv")).unwrap();
        text.lines()
            .skip(1)
            .map(|l| l.split_once(';').unwrap().1.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids.len(), 12);
    let texts: Vec<String> = lists
        .iter()
        .map(|p| std::fs::read_to_string(run_dir.join("lister").join(p)).unwrap())
        .collect();
    for id in &ids {
        let n = texts.iter().filter(|t| t.contains(id.as_str())).count();
        assert_eq!(n, 1, "{id} on {n} lists");
    }
    let uten = std::fs::read_to_string(run_dir.join("lister/0314/uten_veileder.csv")).unwrap();
    assert_eq!(uten.lines().count(), 3, "{uten}");
    // the overview names each id with its files, formulas defused
    let oversikt = std::fs::read_to_string(run_dir.join("lister/oversikt.csv")).unwrap();
    assert_eq!(oversikt.lines().count(), 12, "{oversikt}");
    for p in &lists {
        let rel = p.to_string_lossy().to_string();
        assert!(oversikt.contains(&rel), "{rel} not in {oversikt}");
    }
    assert!(oversikt.contains(";'=HYPERLINK(1);"), "{oversikt}");
    assert!(oversikt.contains(";'  -1;"), "{oversikt}");
    assert!(!oversikt.contains(";=HYPERLINK"));
    for t in &texts {
        for line in t.lines() {
            for cell in line.split(';') {
                let c = cell.trim_start_matches(['\u{feff}', ' ']);
                let formula = c.starts_with(['=', '+', '-', '@']) && !c.starts_with("=\"");
                assert!(!formula, "unguarded cell {cell:?}");
            }
        }
    }
}

/// 5 000 caseworkers (10 000 list files) under an open-file limit of 256: each list is written
/// and closed as it is done.
#[test]
fn thousands_of_lists_under_a_small_open_file_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let bin = assert_cmd::cargo::cargo_bin("kvp-scan");
    let a = assert_cmd::Command::new("sh")
        .current_dir(root())
        .args(["-c", "ulimit -n 256 && exec \"$0\" \"$@\""])
        .arg(&bin)
        .args([
            "-q",
            "weekly",
            "--data",
            "testdata/mange_veiledere",
            "--as-of",
            "2026-11-16",
            "--threads",
            "2",
            "--state",
        ])
        .arg(&state)
        .assert();
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    a.success();
    assert!(!err.contains("Too many open files"), "{err}");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("kvp-scan-state.json")).unwrap()).unwrap();
    let run = &index["kjoringer"][0];
    assert_eq!(run["liste"]["kandidater"], 5000, "{run}");
    let lists = files(&state.join(run["run_id"].as_str().unwrap()).join("lister"));
    // CSV, HTML and Excel per caseworker, and the overview
    assert_eq!(lists.len(), 3 * 5000 + 1);
}

/// A file a person left in the state folder, and a leftover temporary file in an output
/// folder, break nothing: weekly and history still work, the leftover is removed.
#[test]
fn foreign_files_and_leftovers_do_not_break_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let args = ["weekly", "--data", "testdata/filnavn/data", "--as-of"];
    run(&[&args[..], &["2026-11-09", "--state"]].concat(), &state);
    std::fs::write(state.join("Veileder_Åse-notat.txt"), "notat").unwrap();
    std::fs::write(state.join("2026-11-1Å-r9"), "x").unwrap();
    run(&[&args[..], &["2026-11-16", "--state"]].concat(), &state);
    kvp()
        .args(["history", "--state"])
        .arg(&state)
        .assert()
        .success();

    let out = tmp.path().join("ut");
    std::fs::create_dir_all(&out).unwrap();
    let leftover = out.join(".kandidater.csv.Ab12Cd.tmp");
    std::fs::write(&leftover, "half a file").unwrap();
    std::fs::write(out.join("mine.txt"), "kept").unwrap();
    run(
        &[
            "scan",
            "--data",
            "testdata/filnavn/data",
            "--as-of",
            "2026-11-16",
            "--out",
        ],
        &out,
    );
    assert!(!leftover.exists(), "the leftover temporary file is removed");
    assert!(out.join("mine.txt").exists(), "other files are kept");
}

/// `--keep N` prunes the oldest runs at the commit point; `history` says which.
#[test]
fn keep_prunes_old_runs_and_history_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let args = [
        "weekly",
        "--data",
        "testdata/filnavn/data",
        "--keep",
        "2",
        "--as-of",
    ];
    for date in ["2026-11-02", "2026-11-09", "2026-11-16"] {
        run(&[&args[..], &[date, "--state"]].concat(), &state);
    }
    assert!(!state.join("2026-11-02-r1").exists());
    assert!(state.join("2026-11-09-r2").exists() && state.join("2026-11-16-r3").exists());
    let a = kvp()
        .args(["history", "--state"])
        .arg(&state)
        .assert()
        .success();
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(out.contains("fjernet av --keep"), "{out}");
    assert!(out.contains("2026-11-02-r1"), "{out}");
}

/// Arguments with no sane meaning are refused with a message, not run for hours.
#[test]
fn unbounded_arguments_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ut");
    for args in [
        &[
            "report",
            "--data",
            DATA,
            "--as-of",
            "2026-11-16",
            "--months",
            "5000",
        ][..],
        &["scan", "--data", DATA, "--as-of", "3000-01-01"][..],
        &["scan", "--data", DATA, "--threads", "100000"][..],
    ] {
        kvp().args(args).arg("--out").arg(&out).assert().code(2);
    }
    let a = kvp()
        .args([
            "audit",
            "--data",
            DATA,
            "--from",
            "2015-01-05",
            "--to",
            "2026-11-16",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("fem år"), "{err}");
    assert!(!out.exists());
}

/// `audit verify` compares the whole folder with the manifest: a file dropped from the
/// manifest and altered, an extra file, a missing file, or a manifest path that leaves the
/// folder all fail.
#[test]
fn audit_verify_is_not_fooled() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("revisjon");
    super::audit::audit(&out, &[]);
    let verify = super::audit::verify;
    assert!(verify(&out).0, "{}", verify(&out).1);

    let manifest_path = out.join("manifest.json");
    let original = std::fs::read(&manifest_path).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut m: serde_json::Value = serde_json::from_slice(&original).unwrap();
        f(&mut m);
        std::fs::write(&manifest_path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    };

    // drop revisjon.csv from the manifest, then alter it
    edit(&|m| {
        m["utdata"]
            .as_array_mut()
            .unwrap()
            .retain(|o| o["fil"] != "revisjon.csv")
    });
    let csv = out.join("revisjon.csv");
    let kept = std::fs::read(&csv).unwrap();
    std::fs::write(&csv, b"Person-ID\r\n").unwrap();
    let (ok, text) = verify(&out);
    assert!(!ok, "{text}");
    assert!(text.contains("revisjon.csv"), "{text}");
    std::fs::write(&csv, &kept).unwrap();
    std::fs::write(&manifest_path, &original).unwrap();

    // an extra file
    std::fs::write(out.join("ekstra.csv"), b"x").unwrap();
    let (ok, text) = verify(&out);
    assert!(!ok && text.contains("ekstra.csv"), "{text}");
    std::fs::remove_file(out.join("ekstra.csv")).unwrap();

    // a missing file
    std::fs::remove_file(out.join("revisjon.html")).unwrap();
    let (ok, text) = verify(&out);
    assert!(!ok && text.contains("revisjon.html"), "{text}");

    // paths that leave the folder are refused before anything is read
    for bad in ["../../etc/passwd", "/etc/passwd"] {
        edit(&|m| m["utdata"][0]["fil"] = bad.into());
        let (ok, text) = verify(&out);
        assert!(
            !ok && text.contains("ikke er en enkel relativ sti"),
            "{text}"
        );
    }
    std::fs::write(&manifest_path, &original).unwrap();
}

/// Rewrites `file` with the first batch's `column` (a `date32`) set to `days` in its first rows.
fn set_first_dates(file: &Path, column: &str, days: &[i32]) {
    use datafusion::arrow::array::Date32Array;
    use datafusion::parquet::arrow::ArrowWriter;
    let batches: Vec<RecordBatch> = read_batches(file)
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let at = b.schema().index_of(column).unwrap();
            let mut dates: Vec<Option<i32>> = b
                .column(at)
                .as_any()
                .downcast_ref::<Date32Array>()
                .unwrap()
                .iter()
                .collect();
            if i == 0 {
                for (d, day) in dates.iter_mut().zip(days) {
                    *d = Some(*day);
                }
            }
            let mut columns = b.columns().to_vec();
            columns[at] = std::sync::Arc::new(Date32Array::from(dates));
            RecordBatch::try_new(b.schema(), columns).unwrap()
        })
        .collect();
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(file).unwrap(),
        batches[0].schema(),
        None,
    )
    .unwrap();
    for b in &batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
}

/// A `date32` no calendar shows (day 2 147 483 647, written by a hostile or broken export) in
/// a birth date is a data-quality finding that sets the row aside, not a panic: the scan
/// finishes and names the file, row and column. In last week's `vurderinger.parquet` such a
/// day makes the weekly stop with an error naming the file and column.
#[test]
fn a_day_beyond_the_calendar_is_a_finding_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    copy_of("testdata/demo", &data);
    set_first_dates(
        &data.join("personer.parquet"),
        "fodselsdato",
        &[i32::MAX, i32::MIN],
    );
    let out = tmp.path().join("ut");
    kvp()
        .args(["-q", "scan", "--as-of", "2026-11-16", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let found = std::fs::read_to_string(out.join("datakvalitet.csv")).unwrap();
    for row in [1, 2] {
        let line =
            format!("personer;personer.parquet;{row};fodselsdato;feil (raden er satt til side)");
        assert!(found.contains(&line), "{found}");
    }

    let state = tmp.path().join("state");
    let weekly = |date: &str| {
        let mut c = kvp();
        c.args([
            "-q",
            "weekly",
            "--data",
            "testdata/demo",
            "--as-of",
            date,
            "--state",
        ])
        .arg(&state);
        c
    };
    weekly("2026-11-09").assert().success();
    let last = state.join("2026-11-09-r1").join("vurderinger.parquet");
    set_first_dates(&last, "kvp_siste_dato", &[i32::MAX]);
    let a = weekly("2026-11-16").assert().code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("2026-11-09-r1/vurderinger.parquet") && err.contains("`kvp_siste_dato`"),
        "{err}"
    );
}
