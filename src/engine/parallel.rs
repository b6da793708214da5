//! How many threads the work outside DataFusion gets: `--threads`, or the cores this process
//! may run on. That work (rendering sentences, reading Parquet parts, counting months with
//! stønad) runs on rayon's pool, sized here; DataFusion's partitions use the same number.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads set by `--threads`; 0 when not set.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Limits the threads [`threads`] gives and rayon's pool to `n` (the command line's
/// `--threads`). The pool is built once; a second call changes only [`threads`].
pub fn set_threads(n: usize) {
    let n = n.max(1);
    THREADS.store(n, Ordering::Relaxed);
    // an error means the pool exists already (sized by an earlier call): nothing to do
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
}

/// The number of threads to use: `--threads` when given, else the cores this process may run on.
pub fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    }
}

/// Values let go in batches on rayon's pool instead of where they were used: a verdict holds a
/// dozen strings, and freeing 150 000 of them on the thread that writes the outputs (the
/// slowest of the verdict phase) kept the other threads waiting. Whatever is left when it is
/// dropped goes the same way.
pub struct Graveyard<T: Send + 'static> {
    batch: Vec<T>,
}

impl<T: Send + 'static> Default for Graveyard<T> {
    fn default() -> Self {
        Graveyard { batch: Vec::new() }
    }
}

/// How many values are let go together.
const GRAVEYARD_BATCH: usize = 4096;

impl<T: Send + 'static> Graveyard<T> {
    pub fn bury(&mut self, v: T) {
        if self.batch.capacity() == 0 {
            self.batch.reserve_exact(GRAVEYARD_BATCH);
        }
        self.batch.push(v);
        if self.batch.len() >= GRAVEYARD_BATCH {
            let batch = std::mem::take(&mut self.batch);
            rayon::spawn(move || drop(batch));
        }
    }
}

impl<T: Send + 'static> Drop for Graveyard<T> {
    fn drop(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        if !batch.is_empty() {
            rayon::spawn(move || drop(batch));
        }
    }
}
