//! Output files: one writer per format behind [`ReportWriter`], all staged as temporary files
//! (mode 0600) in the output folder and renamed into place together at the end.

pub mod categories;
pub mod columns;
pub mod csv_out;
pub mod file_name;
pub mod manifest;
pub mod numbers;
pub mod page;
pub mod parquet_out;
pub mod pseudonym;
pub mod scan_files;
pub mod suppress;
pub mod xlsx_out;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use tempfile::{NamedTempFile, TempPath};

use crate::engine::Verdict;

/// A finished output waiting to be renamed into place. Its file is closed (only the path is
/// held), so a run that stages thousands of lists keeps no file open.
pub struct Staged {
    pub name: String,
    pub tmp: TempPath,
    pub rows: u64,
    /// The file's SHA-256 when it was computed as the file was written ([`HashedFile`]).
    sha256: Option<String>,
}

/// A temporary file written through SHA-256, so its hash is known once it is written and the
/// manifest need not read it back.
pub struct HashedFile {
    tmp: NamedTempFile,
    hash: Sha256,
}

impl HashedFile {
    pub fn new(tmp: NamedTempFile) -> HashedFile {
        HashedFile {
            tmp,
            hash: Sha256::new(),
        }
    }

    /// The written file, staged with its hash.
    pub fn staged(self, name: String, rows: u64) -> Staged {
        let mut s = Staged::new(name, self.tmp, rows);
        s.sha256 = Some(format!("{:x}", self.hash.finalize()));
        s
    }
}

impl std::io::Write for HashedFile {
    /// Hashes exactly the bytes the file took.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.tmp.write(bytes)?;
        self.hash.update(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.flush()
    }
}

/// An output written while verdicts stream past.
pub trait ReportWriter {
    /// Called once per person, in output order.
    fn verdict(&mut self, v: &Verdict) -> anyhow::Result<()>;
    /// Completes the file.
    fn finish(self: Box<Self>) -> anyhow::Result<Staged>;
}

/// The output folder: files are staged there and renamed into place by [`OutputDir::commit`].
pub struct OutputDir {
    dir: PathBuf,
    /// False for a scratch folder ([`OutputDir::scratch`]): committed without syncing.
    durable: bool,
    /// Set when staging a file created the folder; a run that then fails removes it again.
    created: std::sync::atomic::AtomicBool,
    committed: std::sync::atomic::AtomicBool,
}

impl Drop for OutputDir {
    /// A run that created the folder and failed before its commit leaves no empty folder
    /// behind (its temporary files are already gone; a folder with anything in it is kept).
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        if self.created.load(Ordering::Relaxed) && !self.committed.load(Ordering::Relaxed) {
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

impl OutputDir {
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The folder is created with the first file staged in it, so a run that fails while
    /// reading its inputs leaves no trace. Temporary files a killed earlier run left in it
    /// (`.*.tmp`) are removed.
    pub fn create(dir: &Path) -> anyhow::Result<OutputDir> {
        remove_leftovers(dir)?;
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            durable: true,
            created: false.into(),
            committed: false.into(),
        })
    }

    /// As [`OutputDir::create`], for files that are read once and thrown away (`audit
    /// verify`'s re-run, which only compares hashes): nothing is synced to disk on commit.
    pub fn scratch(dir: &Path) -> anyhow::Result<OutputDir> {
        let mut out = OutputDir::create(dir)?;
        out.durable = false;
        Ok(out)
    }

    /// A new temporary file in the output folder, readable and writable by the owner only.
    pub fn temp(&self, name: &str) -> anyhow::Result<NamedTempFile> {
        if !self.dir.exists() {
            std::fs::create_dir_all(&self.dir).with_context(|| {
                crate::tr!(
                    "kan ikke opprette utdatamappen {}",
                    "cannot create the output folder {}",
                    self.dir.display()
                )
            })?;
            self.created
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        tempfile::Builder::new()
            .prefix(&format!(".{}.", name.replace('/', "_")))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .with_context(|| {
                crate::tr!(
                    "kan ikke opprette en midlertidig fil i {}",
                    "cannot create a temporary file in {}",
                    self.dir.display()
                )
            })
    }

    /// A complete file staged from bytes (HTML, JSON), hashed as written.
    pub fn stage_bytes(&self, name: &str, bytes: &[u8], rows: u64) -> anyhow::Result<Staged> {
        use std::io::Write;
        let mut file = HashedFile::new(self.temp(name)?);
        file.write_all(bytes)?;
        Ok(file.staged(name.into(), rows))
    }

    /// A JSON file (a manifest) staged pretty-printed, with a final newline.
    pub fn stage_json(&self, name: &str, value: &impl serde::Serialize) -> anyhow::Result<Staged> {
        let mut bytes = serde_json::to_vec_pretty(value)?;
        bytes.push(b'\n');
        self.stage_bytes(name, &bytes, 0)
    }

    /// Renames every staged file into place. The temporary files are complete when this is
    /// called, so a failure before it leaves no output behind.
    pub fn commit(&self, staged: Vec<Staged>) -> anyhow::Result<()> {
        self.committed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        // the files' contents are on disk before any name points at them
        if self.durable {
            let started = std::time::Instant::now();
            sync_staged(&self.dir, &staged)?;
            tracing::debug!(
                files = staged.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "staged files synced"
            );
        }
        for s in staged {
            let target = self.dir.join(&s.name);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).with_context(|| {
                    crate::tr!("kan ikke opprette {}", "cannot create {}", parent.display())
                })?;
            }
            s.tmp.persist(&target).with_context(|| {
                crate::tr!(
                    "kan ikke flytte den ferdige {} på plass",
                    "cannot move the finished {} into place",
                    target.display()
                )
            })?;
        }
        // the renames are durable only once the folder itself is synced
        if self.durable {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }
}

/// Puts every staged file's contents on disk. Staging does not sync file by file (a weekly
/// run stages some 2 500 lists, and one `fsync` each took longer than writing them): on Linux
/// one `syncfs` on the output folder's file system does it for all of them; where that is not
/// available or fails, each file is synced.
fn sync_staged(dir: &Path, staged: &[Staged]) -> anyhow::Result<()> {
    if staged.is_empty() {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(f) = std::fs::File::open(dir) {
            // SAFETY: syncfs takes a file descriptor that `f` keeps open for the call.
            if unsafe { libc::syncfs(f.as_raw_fd()) } == 0 {
                return Ok(());
            }
        }
    }
    for s in staged {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&s.tmp)
            .and_then(|f| f.sync_all())
            .with_context(|| {
                crate::tr!(
                    "kan ikke skrive {} ferdig til disken",
                    "cannot sync {} to disk",
                    s.name
                )
            })?;
    }
    Ok(())
}

/// Syncs a folder, so renames in it survive a crash.
pub fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| {
            crate::tr!(
                "kan ikke synkronisere mappen {}",
                "cannot sync the folder {}",
                dir.display()
            )
        })
}

/// Removes the temporary files (`.<name>.<6 random>.tmp`, as [`OutputDir::temp`] names them)
/// a killed run left in an output folder. Subfolders and other files are not touched.
fn remove_leftovers(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(()); // no folder yet
    };
    for e in entries {
        let e =
            e.with_context(|| crate::tr!("kan ikke liste {}", "cannot list {}", dir.display()))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        let kind = e.file_type().with_context(|| {
            crate::tr!("kan ikke lese {}", "cannot read {}", e.path().display())
        })?;
        if kind.is_file() && is_leftover(&name) {
            std::fs::remove_file(e.path()).with_context(|| {
                crate::tr!(
                    "kan ikke fjerne den etterlatte {}",
                    "cannot remove the leftover {}",
                    e.path().display()
                )
            })?;
            tracing::info!("removed a temporary file left by an interrupted run");
        }
    }
    Ok(())
}

/// Whether a file name is one of this tool's temporary files: `.` + output name + `.` + six
/// random letters or digits + `.tmp`.
fn is_leftover(name: &str) -> bool {
    let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((stem, random)) = inner.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty()
        && random.len() == 6
        && random.bytes().all(|b| b.is_ascii_alphanumeric())
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl Staged {
    /// A finished temporary file; it is closed here.
    pub fn new(name: String, tmp: NamedTempFile, rows: u64) -> Staged {
        Staged {
            name,
            tmp: tmp.into_temp_path(),
            rows,
            sha256: None,
        }
    }

    /// The file's SHA-256: computed as it was written, or read from the file.
    pub fn sha256(&self) -> anyhow::Result<String> {
        match &self.sha256 {
            Some(h) => Ok(h.clone()),
            None => sha256_of(&self.tmp),
        }
    }
}

pub fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let mut r = BufReader::new(
        std::fs::File::open(path)
            .with_context(|| crate::tr!("kan ikke lese {}", "cannot read {}", path.display()))?,
    );
    let mut h = Sha256::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both kinds of folder end with every staged file in place under its name, with its
    /// bytes, and no temporary file left; both kinds sync the contents before the names
    /// (durable) or not at all (scratch), which a test cannot observe, so the files are what
    /// is checked, through both paths of `commit`.
    #[test]
    fn committed_files_are_in_place_in_durable_and_scratch_folders() {
        for scratch in [false, true] {
            let root = tempfile::tempdir().unwrap();
            let dir = root.path().join("ut");
            let out = if scratch {
                OutputDir::scratch(&dir).unwrap()
            } else {
                OutputDir::create(&dir).unwrap()
            };
            let staged = vec![
                out.stage_bytes("a.csv", b"x;y\n", 1).unwrap(),
                out.stage_bytes("lister/0301/b.html", b"<p>b</p>", 1)
                    .unwrap(),
            ];
            let hashes: Vec<String> = staged.iter().map(|s| s.sha256().unwrap()).collect();
            out.commit(staged).unwrap();
            assert_eq!(std::fs::read(dir.join("a.csv")).unwrap(), b"x;y\n");
            assert_eq!(
                std::fs::read(dir.join("lister/0301/b.html")).unwrap(),
                b"<p>b</p>"
            );
            assert_eq!(hashes[0], sha256_of(&dir.join("a.csv")).unwrap());
            let left: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| is_leftover(n))
                .collect();
            assert!(left.is_empty(), "scratch={scratch}: {left:?}");
        }
    }

    /// A file hashed as it is written carries the hash of the bytes it holds, written in
    /// pieces of any size (an empty one too), and keeps it after the rename.
    #[test]
    fn a_file_hashed_as_written_has_the_hash_of_its_bytes() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("ut");
        let out = OutputDir::create(&dir).unwrap();
        let pieces: [&[u8]; 4] = [b"\xEF\xBB\xBFa;b\r\n", b"", &[7u8; 100_000], b"1;2\r\n"];
        use std::io::Write;
        let mut f = HashedFile::new(out.temp("k.csv").unwrap());
        for p in pieces {
            f.write_all(p).unwrap();
        }
        let staged = f.staged("k.csv".into(), 2);
        let hash = staged.sha256().unwrap();
        assert_eq!(hash, sha256_of(&staged.tmp).unwrap());
        assert_eq!(hash, format!("{:x}", Sha256::digest(pieces.concat())));
        out.commit(vec![staged]).unwrap();
        assert_eq!(std::fs::read(dir.join("k.csv")).unwrap(), pieces.concat());
        assert_eq!(hash, sha256_of(&dir.join("k.csv")).unwrap());
    }

    #[test]
    fn only_our_temporary_files_are_leftovers() {
        assert!(is_leftover(".kandidater.csv.a1B2c3.tmp"));
        assert!(is_leftover(".lister_0314_V1.csv.zzzzzz.tmp"));
        assert!(!is_leftover("kandidater.csv"));
        assert!(!is_leftover(".bashrc"));
        assert!(!is_leftover(".notes.tmp"));
        assert!(!is_leftover(".x.toolong1.tmp"));
        assert!(!is_leftover("..abcdef.tmp"));
    }
}
