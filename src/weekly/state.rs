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
    #[error("{op} {path}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another kvp-scan run holds the lock on the state folder {0}; wait for it to finish")]
    Locked(PathBuf),
    #[error(
        "the state index {path} cannot be read as a kvp-scan state (expected JSON, format {FORMAT})"
    )]
    CorruptIndex {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{0} is not empty and has no {INDEX}: it is not a kvp-scan state folder; give an empty or new folder"
    )]
    NotAState(PathBuf),
    #[error(
        "the scan date {as_of} is earlier than the newest recorded run ({newest}); \
         pass --replace-history to drop the runs from {as_of} on and record this one instead"
    )]
    EarlierDate { as_of: NaiveDate, newest: NaiveDate },
    #[error(
        "the state folder holds pseudonymised person ids; pass --pseudonymize with the same key file"
    )]
    KeyMissing,
    #[error(
        "the state folder holds real person ids; a pseudonymised run cannot be compared with them \
         (use a new state folder for pseudonymised lists)"
    )]
    KeyUnexpected,
    #[error(
        "the key file is not the key this state folder was recorded with (key check {found}, expected {expected})"
    )]
    KeyMismatch { expected: String, found: String },
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
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
}

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
/// and sleeps) so a test can kill it there. No effect otherwise.
pub fn failpoint(name: &str) {
    if std::env::var("KVP_SCAN_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("failpoint {name}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

fn sync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io("cannot sync", dir))
}

fn create_private_dir(dir: &Path) -> Result<(), StateError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(io("cannot create the folder", dir))
}

/// Reads the index of a state folder without locking it (the index is replaced atomically).
pub fn read_index(dir: &Path) -> Result<Option<Index>, StateError> {
    let path = dir.join(INDEX);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| StateError::CorruptIndex { path, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("cannot read", &path)(e)),
    }
}

fn is_run_id(name: &str) -> bool {
    // YYYY-MM-DD-r<digits>
    let b = name.as_bytes();
    b.len() > 12
        && NaiveDate::parse_from_str(&name[..10], "%Y-%m-%d").is_ok()
        && &name[10..12] == "-r"
        && name[12..].bytes().all(|c| c.is_ascii_digit())
}

impl State {
    /// Opens (or creates) a state folder and takes its lock.
    pub fn open(dir: &Path) -> Result<State, StateError> {
        create_private_dir(dir)?;
        let index = match read_index(dir)? {
            Some(i) => i,
            None => {
                let foreign = std::fs::read_dir(dir)
                    .map_err(io("cannot list", dir))?
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
            .map_err(io("cannot open the lock file", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StateError::Locked(dir.to_path_buf()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("cannot lock", &lock_path)(e)),
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
        for e in std::fs::read_dir(&self.dir).map_err(io("cannot list", &self.dir))? {
            let e = e.map_err(io("cannot list", &self.dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let recorded = self.index.kjoringer.iter().any(|r| r.run_id == name);
            if name.starts_with(STAGING_PREFIX) || (is_run_id(&name) && !recorded) {
                std::fs::remove_dir_all(e.path())
                    .map_err(io("cannot remove the leftover", &e.path()))?;
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
    pub fn commit(
        &mut self,
        plan: &Plan,
        entry: RunEntry,
        key_check: Option<String>,
    ) -> Result<(), StateError> {
        let staging = self.dir.join(format!("{STAGING_PREFIX}{}", plan.run_id));
        sync_dir(&staging)?;
        let target = self.run_dir(&plan.run_id);
        std::fs::rename(&staging, &target).map_err(io("cannot move the new run to", &target))?;
        sync_dir(&self.dir)?;
        failpoint("etter_flytting");

        let mut next = self.index.clone();
        next.kjoringer
            .retain(|r| !plan.replaces.iter().any(|x| x.run_id == r.run_id));
        next.kjoringer.push(entry);
        next.kjoringer
            .sort_by(|a, b| (a.date(), &a.opprettet).cmp(&(b.date(), &b.opprettet)));
        next.neste_nr += 1;
        next.pseudonym_kontroll = key_check;
        let mut tmp = tempfile::Builder::new()
            .prefix(".kvp-scan-state.")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(io("cannot create a temporary file in", &self.dir))?;
        let index_path = self.dir.join(INDEX);
        serde_json::to_writer_pretty(&mut tmp, &next).map_err(|e| StateError::Io {
            op: "cannot write",
            path: index_path.clone(),
            source: e.into(),
        })?;
        tmp.write_all(b"\n")
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(io("cannot write", &index_path))?;
        tmp.persist(&index_path)
            .map_err(|e| io("cannot replace", &index_path)(e.error))?;
        sync_dir(&self.dir)?;
        self.index = next;
        info!(run = %plan.run_id, "run recorded in the state index");
        failpoint("etter_bytte");

        for r in &plan.replaces {
            let p = self.run_dir(&r.run_id);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(io("cannot remove the replaced run", &p))?;
            }
        }
        Ok(())
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
            s.commit(&plan, entry(&plan.run_id, date), None).unwrap();
        }
        // same date again replaces it and compares with the week before
        let plan = s.plan(d("2026-11-16"), false).unwrap();
        assert_eq!(plan.run_id, "2026-11-16-r3");
        assert_eq!(plan.previous.as_ref().unwrap().run_id, "2026-11-09-r1");
        assert_eq!(plan.replaces[0].run_id, "2026-11-16-r2");
        s.staging(&plan.run_id).unwrap();
        s.commit(&plan, entry(&plan.run_id, "2026-11-16"), None)
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
    fn leftovers_are_removed_and_recorded_runs_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::open(dir.path()).unwrap();
        let plan = s.plan(d("2026-11-09"), false).unwrap();
        s.staging(&plan.run_id).unwrap();
        s.commit(&plan, entry(&plan.run_id, "2026-11-09"), None)
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
        s.commit(&plan, entry(&plan.run_id, "2026-11-09"), Some("abc".into()))
            .unwrap();
        assert!(s.check_key(Some("abc")).is_ok());
        assert!(matches!(s.check_key(None), Err(StateError::KeyMissing)));
        assert!(matches!(
            s.check_key(Some("abd")),
            Err(StateError::KeyMismatch { .. })
        ));
    }
}
