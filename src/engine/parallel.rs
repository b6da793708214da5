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
