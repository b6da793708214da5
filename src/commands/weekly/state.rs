//! The state folder of `weekly`: an index of recorded runs, one folder per run, a lock against
//! concurrent runs, and the atomic switch that makes a new run visible only once it is complete.
//!
//! Layout: `kvp-scan-state.json` (the index: the only file that says which runs exist),
//! `<run-id>/` per run, `.lock`, and while a run is being written `.ny-<run-id>/`. A new run is
//! written into `.ny-<run-id>/`, renamed to `<run-id>/`, and becomes part of the history when the
//! index is replaced (temp file + rename). A crash before that leaves the old index, which still
//! names only complete runs; the leftovers are removed by the next run.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

pub const INDEX: &str = "kvp-scan-state.json";
const LOCK: &str = ".lock";
const STAGING_PREFIX: &str = ".ny-";
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{op} {}", path.display())]
    Io {
        op: Op,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", crate::tr!(
        "en annen kjøring av kvp-scan holder låsen på tilstandsmappen {}; vent til den er ferdig",
        "another kvp-scan run holds the lock on the state folder {}; wait for it to finish",
        .0.display()
    ))]
    Locked(PathBuf),
    #[error("{}", crate::tr!(
        "tilstandsindeksen {} kan ikke leses som en kvp-scan-tilstand (forventet JSON, format {FORMAT})",
        "the state index {} cannot be read as a kvp-scan state (expected JSON, format {FORMAT})",
        path.display()
    ))]
    CorruptIndex {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}", crate::tr!(
        "{} er ikke tom og har ingen {INDEX}: den er ikke en tilstandsmappe for kvp-scan; oppgi en tom eller ny mappe",
        "{} is not empty and has no {INDEX}: it is not a kvp-scan state folder; give an empty or new folder",
        .0.display()
    ))]
    NotAState(PathBuf),
    #[error("{}", crate::tr!(
        "skanningsdatoen {as_of} er tidligere enn den nyeste registrerte kjøringen ({newest}); \
         bruk --replace-history for å fjerne kjøringene fra {as_of} og registrere denne i stedet",
        "the scan date {as_of} is earlier than the newest recorded run ({newest}); \
         pass --replace-history to drop the runs from {as_of} on and record this one instead"
    ))]
    EarlierDate { as_of: NaiveDate, newest: NaiveDate },
    #[error("{}", crate::tr!(
        "tilstandsmappen har pseudonymiserte person-ID-er; bruk --pseudonymize med den samme nøkkelfilen",
        "the state folder holds pseudonymised person ids; pass --pseudonymize with the same key file"
    ))]
    KeyMissing,
    #[error("{}", crate::tr!(
        "tilstandsmappen har ekte person-ID-er; en pseudonymisert kjøring kan ikke sammenlignes \
         med dem (bruk en ny tilstandsmappe for pseudonymiserte lister)",
        "the state folder holds real person ids; a pseudonymised run cannot be compared with them \
         (use a new state folder for pseudonymised lists)"
    ))]
    KeyUnexpected,
    #[error("{}", crate::tr!(
        "nøkkelfilen er ikke nøkkelen denne tilstandsmappen ble registrert med (nøkkelsjekk {found}, forventet {expected})",
        "the key file is not the key this state folder was recorded with (key check {found}, expected {expected})"
    ))]
    KeyMismatch { expected: String, found: String },
    #[error("{}", crate::tr!(
        "tilstandsindeksen {} nevner en kjøring `{run_id}` som ikke er en kjørings-ID (ÅÅÅÅ-MM-DD-r<n>) eller har en ugyldig skanningsdato; indeksen er ikke skrevet av kvp-scan",
        "the state index {} names a run `{run_id}` that is not a run id (YYYY-MM-DD-r<n>) or has a bad scan date; the index was not written by kvp-scan",
        path.display()
    ))]
    BadRunEntry { path: PathBuf, run_id: String },
}

/// What failed on a path.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Sync,
    CreateFolder,
    Read,
    List,
    OpenLock,
    Lock,
    RemoveLeftover,
    MoveRun,
    CreateTemp,
    Write,
    Replace,
    RemoveOldRun,
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (nb, en) = match self {
            Op::Sync => ("kan ikke synkronisere", "cannot sync"),
            Op::CreateFolder => ("kan ikke opprette mappen", "cannot create the folder"),
            Op::Read => ("kan ikke lese", "cannot read"),
            Op::List => ("kan ikke liste", "cannot list"),
            Op::OpenLock => ("kan ikke åpne låsefilen", "cannot open the lock file"),
            Op::Lock => ("kan ikke låse", "cannot lock"),
            Op::RemoveLeftover => (
                "kan ikke fjerne den etterlatte",
                "cannot remove the leftover",
            ),
            Op::MoveRun => (
                "kan ikke flytte den nye kjøringen til",
                "cannot move the new run to",
            ),
            Op::CreateTemp => (
                "kan ikke opprette en midlertidig fil i",
                "cannot create a temporary file in",
            ),
            Op::Write => ("kan ikke skrive", "cannot write"),
            Op::Replace => ("kan ikke erstatte", "cannot replace"),
            Op::RemoveOldRun => (
                "kan ikke fjerne den gamle kjøringen",
                "cannot remove the old run",
            ),
        };
        f.write_str(crate::i18n::lang().pick((nb, en)))
    }
}

fn io(op: Op, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
    let path = path.to_path_buf();
    move |source| StateError::Io { op, path, source }
}

/// The index: every recorded run, oldest scan date first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    pub format: u32,
    /// Sequence number for the next run id.
    pub neste_nr: u64,
    /// Key check of `--pseudonymize` (not the key); null when ids are real.
    pub pseudonym_kontroll: Option<String>,
    pub kjoringer: Vec<RunEntry>,
    /// Runs removed by `weekly --keep` (they hold personal data), oldest first.
    #[serde(default)]
    pub fjernet: Vec<PrunedRun>,
}

/// A run removed from the history by `--keep`: what `history` says about it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PrunedRun {
    pub run_id: String,
    pub skanningsdato: String,
    /// The scan date of the run whose commit removed it.
    pub fjernet_ved: String,
}

/// How many runs `weekly` keeps by default: two years of weekly runs.
pub const DEFAULT_KEEP: usize = 104;

/// One recorded run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunEntry {
    pub run_id: String,
    /// YYYY-MM-DD
    pub skanningsdato: String,
    /// UTC, RFC 3339
    pub opprettet: String,
    pub personer: u64,
    pub per_status: BTreeMap<String, u64>,
    pub regelsett_sha256: String,
    pub liste: ListCounts,
}

/// What the run's candidate lists held.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ListCounts {
    pub kandidater: u64,
    pub nye: u64,
    pub fortsetter: u64,
    pub ute_av_listen: u64,
    pub skjermet_kode6: u64,
    pub fortrolig_kode7: u64,
    pub uten_veileder: u64,
}

impl RunEntry {
    pub fn date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.skanningsdato, "%Y-%m-%d").unwrap_or_default()
    }
}

/// What a new run will be and what it replaces.
#[derive(Debug, Clone)]
pub struct Plan {
    pub run_id: String,
    /// The run it is compared with: the newest with an earlier scan date.
    pub previous: Option<RunEntry>,
    /// Runs dropped from the history when this one is recorded (same date, or later dates with
    /// `--replace-history`).
    pub replaces: Vec<RunEntry>,
}

/// An open, locked state folder.
pub struct State {
    dir: PathBuf,
    index: Index,
    _lock: File,
}

/// Test hook: with `KVP_SCAN_FAILPOINT=<name>` the process stops at that point (prints a line
/// and sleeps) so a test can kill it there. Only in debug builds (what `cargo test` runs): a
/// release binary has no such hook.
#[cfg(debug_assertions)]
pub fn failpoint(name: &str) {
    if std::env::var("KVP_SCAN_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("failpoint {name}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn failpoint(_name: &str) {}

fn sync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(Op::Sync, dir))
}

fn create_private_dir(dir: &Path) -> Result<(), StateError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(io(Op::CreateFolder, dir))
}

/// Reads the index of a state folder without locking it (the index is replaced atomically).
pub fn read_index(dir: &Path) -> Result<Option<Index>, StateError> {
    let path = dir.join(INDEX);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let index: Index =
                serde_json::from_slice(&bytes).map_err(|source| StateError::CorruptIndex {
                    path: path.clone(),
                    source,
                })?;
            // run ids become paths (and folders to delete): only well-formed ones are accepted
            for r in &index.kjoringer {
                let date_ok = NaiveDate::parse_from_str(&r.skanningsdato, "%Y-%m-%d").is_ok();
                if !is_run_id(&r.run_id) || !date_ok {
                    return Err(StateError::BadRunEntry {
                        path,
                        run_id: r.run_id.chars().take(40).collect(),
                    });
                }
            }
            Ok(Some(index))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(Op::Read, &path)(e)),
    }
}

/// `YYYY-MM-DD-r<digits>`; any other name (of any bytes) is not a run id.
pub fn is_run_id(name: &str) -> bool {
    let (Some(date), Some(r), Some(n)) = (name.get(..10), name.get(10..12), name.get(12..)) else {
        return false;
    };
    r == "-r"
        && !n.is_empty()
        && n.len() <= 19
        && n.bytes().all(|c| c.is_ascii_digit())
        && date.bytes().all(|c| c.is_ascii_digit() || c == b'-')
        && NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
}

impl State {
    /// Opens (or creates) a state folder and takes its lock.
    pub fn open(dir: &Path) -> Result<State, StateError> {
        create_private_dir(dir)?;
        let index = match read_index(dir)? {
            Some(i) => i,
            None => {
                let foreign = std::fs::read_dir(dir)
                    .map_err(io(Op::List, dir))?
                    .filter_map(|e| e.ok())
                    .any(|e| {
                        let n = e.file_name().to_string_lossy().into_owned();
                        n != LOCK && !n.starts_with(STAGING_PREFIX) && !is_run_id(&n)
                    });
                if foreign {
                    return Err(StateError::NotAState(dir.to_path_buf()));
                }
                Index {
                    format: FORMAT,
                    neste_nr: 1,
                    pseudonym_kontroll: None,
                    kjoringer: Vec::new(),
                    fjernet: Vec::new(),
                }
            }
        };
        let lock_path = dir.join(LOCK);
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let lock = opts
            .open(&lock_path)
            .map_err(io(Op::OpenLock, &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StateError::Locked(dir.to_path_buf()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(Op::Lock, &lock_path)(e)),
        }
        // Read again under the lock: another run may have switched the index meanwhile.
        let index = read_index(dir)?.unwrap_or(index);
        Ok(State {
            dir: dir.to_path_buf(),
            index,
            _lock: lock,
        })
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn run_dir(&self, run_id: &str) -> PathBuf {
        self.dir.join(run_id)
    }

    /// The key check must match the one the history was recorded with.
    pub fn check_key(&self, key_check: Option<&str>) -> Result<(), StateError> {
        if self.index.kjoringer.is_empty() {
            return Ok(());
        }
        match (&self.index.pseudonym_kontroll, key_check) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(StateError::KeyMissing),
            (None, Some(_)) => Err(StateError::KeyUnexpected),
            (Some(a), Some(b)) if a == b => Ok(()),
            (Some(a), Some(b)) => Err(StateError::KeyMismatch {
                expected: a.clone(),
                found: b.to_string(),
            }),
        }
    }

    /// Removes what an interrupted run left behind: staging folders, and run folders the index
    /// does not name (renamed into place but never recorded). Returns how many were removed.
    pub fn clean_leftovers(&self) -> Result<usize, StateError> {
        let mut removed = 0;
        for e in std::fs::read_dir(&self.dir).map_err(io(Op::List, &self.dir))? {
            let e = e.map_err(io(Op::List, &self.dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let recorded = self.index.kjoringer.iter().any(|r| r.run_id == name);
            if name.starts_with(STAGING_PREFIX) || (is_run_id(&name) && !recorded) {
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                if is_dir {
                    std::fs::remove_dir_all(e.path())
                } else {
                    std::fs::remove_file(e.path())
                }
                .map_err(io(Op::RemoveLeftover, &e.path()))?;
                removed += 1;
            }
        }
        if removed > 0 {
            warn!(
                removed,
                "removed folders left by an interrupted run; the recorded history is intact"
            );
        }
        Ok(removed)
    }

    /// Decides the new run's id, the run it is compared with and the runs it replaces.
    pub fn plan(&self, as_of: NaiveDate, replace_history: bool) -> Result<Plan, StateError> {
        let newest = self.index.kjoringer.iter().map(|r| r.date()).max();
        if let Some(newest) = newest
            && as_of < newest
            && !replace_history
        {
            return Err(StateError::EarlierDate { as_of, newest });
        }
        let replaces = self
            .index
            .kjoringer
            .iter()
            .filter(|r| r.date() >= as_of)
            .cloned()
            .collect();
        let previous = self
            .index
            .kjoringer
            .iter()
            .filter(|r| r.date() < as_of)
            .max_by_key(|r| r.date())
            .cloned();
        Ok(Plan {
            run_id: format!("{}-r{}", as_of.format("%Y-%m-%d"), self.index.neste_nr),
            previous,
            replaces,
        })
    }

    /// A new, empty staging folder for the run (mode 0700).
    pub fn staging(&self, run_id: &str) -> Result<PathBuf, StateError> {
        let p = self.dir.join(format!("{STAGING_PREFIX}{run_id}"));
        create_private_dir(&p)?;
        Ok(p)
    }

    /// Makes a finished run part of the history: renames its staging folder into place, then
    /// replaces the index atomically, then removes the runs it replaced.
    /// At most `keep` runs stay recorded (the newest, this one included): older runs are
    /// removed from the index at the same switch and their folders deleted after it.
    pub fn commit(
        &mut self,
        plan: &Plan,
        entry: RunEntry,
        key_check: Option<String>,
        keep: usize,
    ) -> Result<Vec<PrunedRun>, StateError> {
        let staging = self.dir.join(format!("{STAGING_PREFIX}{}", plan.run_id));
        sync_dir(&staging)?;
        let target = self.run_dir(&plan.run_id);
        std::fs::rename(&staging, &target).map_err(io(Op::MoveRun, &target))?;
        sync_dir(&self.dir)?;
        failpoint("etter_flytting");

        let mut next = self.index.clone();
        next.kjoringer
            .retain(|r| !plan.replaces.iter().any(|x| x.run_id == r.run_id));
        next.kjoringer.push(entry);
        next.kjoringer
            .sort_by(|a, b| (a.date(), &a.opprettet).cmp(&(b.date(), &b.opprettet)));
        let excess = next.kjoringer.len().saturating_sub(keep.max(1));
        let pruned: Vec<PrunedRun> = next
            .kjoringer
            .drain(..excess)
            .map(|r| PrunedRun {
                run_id: r.run_id,
                skanningsdato: r.skanningsdato,
                fjernet_ved: plan.run_id.get(..10).unwrap_or_default().to_string(),
            })
            .collect();
        next.fjernet.extend(pruned.iter().cloned());
        next.neste_nr += 1;
        next.pseudonym_kontroll = key_check;
        let mut tmp = tempfile::Builder::new()
            .prefix(".kvp-scan-state.")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(io(Op::CreateTemp, &self.dir))?;
        let index_path = self.dir.join(INDEX);
        // serialised first and written in one piece, not a token at a time
        let mut bytes = serde_json::to_vec_pretty(&next).map_err(|e| StateError::Io {
            op: Op::Write,
            path: index_path.clone(),
            source: e.into(),
        })?;
        bytes.push(b'\n');
        tmp.write_all(&bytes)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(io(Op::Write, &index_path))?;
        tmp.persist(&index_path)
            .map_err(|e| io(Op::Replace, &index_path)(e.error))?;
        sync_dir(&self.dir)?;
        self.index = next;
        info!(run = %plan.run_id, "run recorded in the state index");
        failpoint("etter_bytte");

        for run_id in plan
            .replaces
            .iter()
            .map(|r| &r.run_id)
            .chain(pruned.iter().map(|r| &r.run_id))
        {
            let p = self.run_dir(run_id);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(io(Op::RemoveOldRun, &p))?;
            }
        }
        if !pruned.is_empty() {
            info!(pruned = pruned.len(), "old runs removed (--keep)");
        }
        Ok(pruned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, date: &str) -> RunEntry {
        RunEntry {
            run_id: id.into(),
            skanningsdato: date.into(),
            opprettet: "2026-11-22T00:00:00Z".into(),
            personer: 0,
            per_status: BTreeMap::new(),
            regelsett_sha256: String::new(),
            liste: ListCounts::default(),
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn run_ids_are_recognised() {
        assert!(is_run_id("2026-11-16-r1"));
        assert!(is_run_id("2026-11-16-r123"));
        assert!(!is_run_id("2026-11-16"));
        assert!(!is_run_id("2026-11-16-rx"));
        assert!(!is_run_id("notes-r1"));
    }

    #[test]
    fn plan_commit_replace_and_refuse_earlier_dates() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::open(dir.path()).unwrap();
        // a second open is refused while the first holds the lock
        assert!(matches!(
            State::open(dir.path()),
            Err(StateError::Locked(_))
        ));
        for (date, expect_prev) in [("2026-11-09", None), ("2026-11-16", Some("2026-11-09-r1"))] {
            let plan = s.plan(d(date), false).unwrap();
            assert_eq!(
                plan.previous.as_ref().map(|p| p.run_id.as_str()),
                expect_prev
            );
            s.staging(&plan.run_id).unwrap();
            s.commit(&plan, entry(&plan.run_id, date), None, DEFAULT_KEEP)
                .unwrap();
        }
        // same date again replaces it and compares with the week before
        let plan = s.plan(d("2026-11-16"), false).unwrap();
        assert_eq!(plan.run_id, "2026-11-16-r3");
        assert_eq!(plan.previous.as_ref().unwrap().run_id, "2026-11-09-r1");
        assert_eq!(plan.replaces[0].run_id, "2026-11-16-r2");
        s.staging(&plan.run_id).unwrap();
        s.commit(&plan, entry(&plan.run_id, "2026-11-16"), None, DEFAULT_KEEP)
            .unwrap();
        assert!(!dir.path().join("2026-11-16-r2").exists());
        let ids: Vec<_> = s
            .index()
            .kjoringer
            .iter()
            .map(|r| r.run_id.clone())
            .collect();
        assert_eq!(ids, ["2026-11-09-r1", "2026-11-16-r3"]);

        assert!(matches!(
            s.plan(d("2026-11-02"), false),
            Err(StateError::EarlierDate { .. })
        ));
        let plan = s.plan(d("2026-11-02"), true).unwrap();
        assert_eq!(plan.replaces.len(), 2);
        assert!(plan.previous.is_none());
        drop(s);
        let s = State::open(dir.path()).unwrap();
        assert_eq!(s.index().kjoringer.len(), 2);
    }

    #[test]
    fn keep_prunes_the_oldest_runs_and_records_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::open(dir.path()).unwrap();
        for date in ["2026-11-02", "2026-11-09", "2026-11-16"] {
            let plan = s.plan(d(date), false).unwrap();
            std::fs::create_dir_all(s.staging(&plan.run_id).unwrap()).unwrap();
            let pruned = s.commit(&plan, entry(&plan.run_id, date), None, 2).unwrap();
            if date == "2026-11-16" {
                assert_eq!(pruned.len(), 1);
                assert_eq!(pruned[0].run_id, "2026-11-02-r1");
                assert_eq!(pruned[0].fjernet_ved, "2026-11-16");
            }
        }
        let ids: Vec<&str> = s
            .index()
            .kjoringer
            .iter()
            .map(|r| r.run_id.as_str())
            .collect();
        assert_eq!(ids, ["2026-11-09-r2", "2026-11-16-r3"]);
        assert!(!dir.path().join("2026-11-02-r1").exists());
        assert!(dir.path().join("2026-11-09-r2").exists());
        let again = read_index(dir.path()).unwrap().unwrap();
        assert_eq!(again.fjernet.len(), 1);
    }

    #[test]
    fn run_ids_of_any_bytes_do_not_panic() {
        for name in [
            "Veileder_Åse-notat.txt",
            "2026-11-1Å-r1",
            "2026-11-16-rÅ",
            "ÅÅÅÅÅÅÅÅÅÅÅÅÅ",
            "2026-11-16-r",
            "",
        ] {
            assert!(!is_run_id(name), "{name}");
        }
        assert!(is_run_id("2026-11-16-r12"));
    }

    #[test]
    fn an_index_naming_a_path_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let json = r#"{"format":1,"neste_nr":2,"pseudonym_kontroll":null,"kjoringer":[{"run_id":"../../etc","skanningsdato":"2026-11-16","opprettet":"x","personer":0,"per_status":{},"regelsett_sha256":"","liste":{"kandidater":0,"nye":0,"fortsetter":0,"ute_av_listen":0,"skjermet_kode6":0,"fortrolig_kode7":0,"uten_veileder":0}}]}"#;
        std::fs::write(dir.path().join(INDEX), json).unwrap();
        assert!(matches!(
            read_index(dir.path()),
            Err(StateError::BadRunEntry { .. })
        ));
    }

    #[test]
    fn leftovers_are_removed_and_recorded_runs_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::open(dir.path()).unwrap();
        let plan = s.plan(d("2026-11-09"), false).unwrap();
        s.staging(&plan.run_id).unwrap();
        s.commit(&plan, entry(&plan.run_id, "2026-11-09"), None, DEFAULT_KEEP)
            .unwrap();
        std::fs::create_dir(dir.path().join(".ny-2026-11-16-r2")).unwrap();
        std::fs::create_dir(dir.path().join("2026-11-16-r2")).unwrap();
        std::fs::create_dir(dir.path().join("mine-notater")).unwrap();
        assert_eq!(s.clean_leftovers().unwrap(), 2);
        assert!(dir.path().join("2026-11-09-r1").exists());
        assert!(dir.path().join("mine-notater").exists());
    }

    #[test]
    fn foreign_folders_and_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.parquet"), b"x").unwrap();
        assert!(matches!(
            State::open(dir.path()),
            Err(StateError::NotAState(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::open(dir.path()).unwrap();
        let plan = s.plan(d("2026-11-09"), false).unwrap();
        s.staging(&plan.run_id).unwrap();
        s.commit(
            &plan,
            entry(&plan.run_id, "2026-11-09"),
            Some("abc".into()),
            DEFAULT_KEEP,
        )
        .unwrap();
        assert!(s.check_key(Some("abc")).is_ok());
        assert!(matches!(s.check_key(None), Err(StateError::KeyMissing)));
        assert!(matches!(
            s.check_key(Some("abd")),
            Err(StateError::KeyMismatch { .. })
        ));
    }
}

/// No state-folder content (file names, an index of any bytes) makes opening, cleaning,
/// planning or `history` panic: a broken folder is an error message.
#[cfg(test)]
mod no_panic {
    use super::*;
    use proptest::prelude::*;

    const VALID_INDEX: &str = r#"{"format":1,"neste_nr":3,"pseudonym_kontroll":null,"kjoringer":[{"run_id":"2026-11-09-r1","skanningsdato":"2026-11-09","opprettet":"2026-11-09T10:00:00.000Z","personer":3,"per_status":{"kandidat":1},"regelsett_sha256":"abcdef0123456789","liste":{"kandidater":1,"nye":1,"fortsetter":0,"ute_av_listen":0,"skjermet_kode6":0,"fortrolig_kode7":0,"uten_veileder":0}}]}"#;

    fn exercise(dir: &Path) {
        let _ = read_index(dir);
        let _ = super::super::history_text(dir, crate::contract::Lang::Nb);
        if let Ok(s) = State::open(dir) {
            let _ = s.clean_leftovers();
            let _ = s.plan(NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(), false);
            let _ = s.plan(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), true);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_file_names(names in proptest::collection::vec("[^/\\x00]{1,40}", 0..6)) {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(INDEX), VALID_INDEX).unwrap();
            for n in &names {
                if n == "." || n == ".." {
                    continue;
                }
                let _ = std::fs::write(dir.path().join(n), b"x");
            }
            exercise(dir.path());
        }

        #[test]
        fn any_index(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<char>()), 0..8),
            raw in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let bytes = match raw {
                Some(b) => b,
                None => {
                    let mut chars: Vec<char> = VALID_INDEX.chars().collect();
                    for (at, c) in edits {
                        let i = at.index(chars.len());
                        chars[i] = c;
                    }
                    chars.into_iter().collect::<String>().into_bytes()
                }
            };
            std::fs::write(dir.path().join(INDEX), bytes).unwrap();
            std::fs::create_dir(dir.path().join("2026-11-09-r1")).unwrap();
            exercise(dir.path());
        }
    }
}
