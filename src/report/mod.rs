//! Output files: one writer per format behind [`ReportWriter`], all staged as temporary files
//! (mode 0600) in the output folder and renamed into place together at the end.

pub mod csv_out;
pub mod manifest;
pub mod parquet_out;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::engine::Verdict;

/// A finished output waiting to be renamed into place.
pub struct Staged {
    pub name: String,
    pub tmp: NamedTempFile,
    pub rows: u64,
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
    /// reading its inputs leaves no trace.
    pub fn create(dir: &Path) -> anyhow::Result<OutputDir> {
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            created: false.into(),
            committed: false.into(),
        })
    }

    /// A new temporary file in the output folder, readable and writable by the owner only.
    pub fn temp(&self, name: &str) -> anyhow::Result<NamedTempFile> {
        if !self.dir.exists() {
            std::fs::create_dir_all(&self.dir).with_context(|| {
                format!("cannot create the output folder {}", self.dir.display())
            })?;
            self.created
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        tempfile::Builder::new()
            .prefix(&format!(".{}.", name.replace('/', "_")))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .with_context(|| format!("cannot create a temporary file in {}", self.dir.display()))
    }

    /// A complete file staged from bytes (HTML, JSON).
    pub fn stage_bytes(&self, name: &str, bytes: &[u8], rows: u64) -> anyhow::Result<Staged> {
        use std::io::Write;
        let mut tmp = self.temp(name)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        Ok(Staged {
            name: name.into(),
            tmp,
            rows,
        })
    }

    /// Renames every staged file into place. The temporary files are complete when this is
    /// called, so a failure before it leaves no output behind.
    pub fn commit(&self, staged: Vec<Staged>) -> anyhow::Result<()> {
        self.committed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        for s in staged {
            let target = self.dir.join(&s.name);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            s.tmp.persist(&target).with_context(|| {
                format!("cannot move the finished {} into place", target.display())
            })?;
        }
        Ok(())
    }
}

impl Staged {
    pub fn sha256(&self) -> anyhow::Result<String> {
        sha256_of(self.tmp.path())
    }
}

pub fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let mut r = BufReader::new(
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
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
