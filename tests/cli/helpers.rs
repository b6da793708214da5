//! Helpers every test module shares: the binary, a scan into a temporary folder, and readers
//! for the Parquet, CSV and workbook outputs.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub(crate) const AS_OF: &str = "2026-11-16";

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn kvp() -> Command {
    let mut c = Command::cargo_bin("kvp-scan").unwrap();
    c.current_dir(root()).env_remove("KVP_SCAN_LOG");
    c
}

/// `kvp-scan generate` of `persons` persons (seed `seed`, as of [`AS_OF`]) into `out`, with
/// `extra` arguments (such as `--kostra DIR`).
pub(crate) fn generate(persons: u32, seed: u32, out: &Path, extra: &[&std::ffi::OsStr]) {
    kvp()
        .args(["-q", "generate", "--persons", &persons.to_string()])
        .args(["--seed", &seed.to_string(), "--as-of", AS_OF, "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

pub(crate) struct Scan {
    pub(crate) _tmp: tempfile::TempDir,
    pub(crate) out: PathBuf,
    pub(crate) stderr: String,
}

pub(crate) fn scan(data: &str, extra: &[&str]) -> Scan {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ut");
    let assert = kvp()
        .args(["scan", "--data", data, "--out"])
        .arg(&out)
        .args(["--as-of", AS_OF, "--threads", "2"])
        .args(extra)
        .assert()
        .success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    Scan {
        _tmp: tmp,
        out,
        stderr,
    }
}

/// One row of vurderinger.parquet, reduced to what tests compare.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) status: String,
    pub(crate) treff: BTreeSet<String>,
    pub(crate) eksklusjoner: BTreeSet<String>,
    pub(crate) hint: BTreeSet<String>,
    pub(crate) uavklart: BTreeSet<String>,
    pub(crate) begrunnelse: Vec<String>,
    pub(crate) alder: i64,
    pub(crate) maneder: i64,
}

pub(crate) fn read_batches(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// The text of a workbook: every XML part of the zip, decompressed.
pub(crate) fn xlsx_text(path: &Path) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        f.read_to_string(&mut text).unwrap();
    }
    text
}

pub(crate) fn list(b: &RecordBatch, col: &str, row: usize) -> Vec<String> {
    let l = b.column_by_name(col).unwrap().as_list::<i32>();
    if l.is_null(row) {
        return vec![];
    }
    let v = l.value(row);
    let s = v.as_string::<i32>();
    (0..s.len()).map(|i| s.value(i).to_string()).collect()
}

/// Every person's verdict: `vurderinger.parquet` and the kode-6 persons' `skjermet.parquet`.
pub(crate) fn vurderinger(out: &Path) -> BTreeMap<String, Row> {
    let mut rows = BTreeMap::new();
    let batches = read_batches(&out.join("vurderinger.parquet"))
        .into_iter()
        .chain(read_batches(&out.join("skjermet.parquet")));
    for b in batches {
        let ids = b.column_by_name("person_id").unwrap().as_string::<i32>();
        let status = b.column_by_name("status").unwrap().as_string::<i32>();
        let alder = b
            .column_by_name("alder")
            .unwrap()
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let mnd = b
            .column_by_name("stonadsmaneder_siste_12")
            .unwrap()
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        for i in 0..b.num_rows() {
            let set = |c| list(&b, c, i).into_iter().collect::<BTreeSet<_>>();
            rows.insert(
                ids.value(i).to_string(),
                Row {
                    status: status.value(i).to_string(),
                    treff: set("treff"),
                    eksklusjoner: set("eksklusjoner"),
                    hint: set("hint"),
                    uavklart: set("uavklart"),
                    begrunnelse: list(&b, "begrunnelse", i),
                    alder: alder.value(i),
                    maneder: mnd.value(i),
                },
            );
        }
    }
    rows
}

pub(crate) struct Expected {
    pub(crate) label: String,
    pub(crate) person_id: String,
    pub(crate) status: String,
    pub(crate) treff: BTreeSet<String>,
    pub(crate) eksklusjoner: BTreeSet<String>,
    pub(crate) hint: BTreeSet<String>,
}

/// The shipped rules' Norwegian titles by id (what the human-facing CSVs show).
pub(crate) fn rule_titles() -> BTreeMap<String, String> {
    std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| {
            let t: toml::Table = std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .parse()
                .unwrap();
            (
                t["id"].as_str().unwrap().to_string(),
                t["tittel"]["nb"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub(crate) fn expected() -> Vec<Expected> {
    let text = std::fs::read_to_string(root().join("testdata/forventet_fixtures.csv")).unwrap();
    let set = |s: &str| {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect::<BTreeSet<_>>()
    };
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            Expected {
                label: f[0].into(),
                person_id: f[1].into(),
                status: f[2].into(),
                treff: set(f[3]),
                eksklusjoner: set(f[4]),
                hint: set(f[5]),
            }
        })
        .collect()
}

pub(crate) fn read_csv(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "{} must start with a UTF-8 BOM",
        path.display()
    );
    String::from_utf8(bytes[3..].to_vec()).unwrap()
}

pub(crate) fn filter_summary(s: &str) -> String {
    s.lines()
        .map(|l| {
            if l.trim_start().starts_with("elapsed:") || l.trim_start().starts_with("tid:") {
                "  tid: [time] s"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A copy of the bundled data set `testdata` (a folder under the repository) in `to`, for a
/// test that changes its files.
pub(crate) fn copy_of(testdata: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(root().join(testdata)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A copy of the shipped rules with one file edited.
pub(crate) fn rules_with(dir: &Path, file: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let to = dir.join("regler");
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(root().join("rules")).unwrap() {
        let p = e.unwrap().path();
        let mut text = std::fs::read_to_string(&p).unwrap();
        if p.file_name().unwrap() == file {
            let edited = edit(&text);
            assert_ne!(edited, text, "the edit changed nothing");
            text = edited;
        }
        std::fs::write(to.join(p.file_name().unwrap()), text).unwrap();
    }
    to
}
