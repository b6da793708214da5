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

/// A thread of its own that takes values over a bounded channel and gives one result once the
/// channel closes: the Parquet encoder beside the verdicts' writers, the weekly's list beside
/// the scan's. Dropped unfinished (a run that failed), it closes the channel and waits for the
/// thread, so nothing of it outlives the run.
pub struct Stage<T: Send + 'static, R: Send + 'static> {
    /// What the thread is, for the error when it panicked.
    name: &'static str,
    tx: Option<std::sync::mpsc::SyncSender<T>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<R>>>,
}

impl<T: Send + 'static, R: Send + 'static> Stage<T, R> {
    /// Starts `work` on its own thread with the receiving end of a channel of `bound` values.
    pub fn start(
        name: &'static str,
        bound: usize,
        work: impl FnOnce(std::sync::mpsc::Receiver<T>) -> anyhow::Result<R> + Send + 'static,
    ) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(bound);
        Stage {
            name,
            tx: Some(tx),
            thread: Some(std::thread::spawn(move || work(rx))),
        }
    }

    /// Sends `v` (waiting while the channel is full); false when the thread has stopped, on
    /// an error [`Stage::finish`] gives.
    pub fn send(&self, v: T) -> bool {
        self.tx.as_ref().is_some_and(|tx| tx.send(v).is_ok())
    }

    /// The thread's result (or its error), the channel closed first.
    pub fn finish(mut self) -> anyhow::Result<R> {
        drop(self.tx.take());
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => anyhow::bail!("the {} thread panicked", self.name),
            None => anyhow::bail!("the {} thread was finished before", self.name),
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> Drop for Stage<T, R> {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Lets `v` go on rayon's pool: a large value (a hash table of strings) is freed there instead
/// of on a thread that has more to do.
pub fn let_go<T: Send + 'static>(v: T) {
    rayon::spawn(move || drop(v));
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
            let_go(std::mem::take(&mut self.batch));
        }
    }
}

impl<T: Send + 'static> Drop for Graveyard<T> {
    fn drop(&mut self) {
        if !self.batch.is_empty() {
            let_go(std::mem::take(&mut self.batch));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{Sender, channel};
    use std::time::Duration;

    /// Says on a channel when it is let go.
    struct Told(usize, Sender<usize>);
    impl Drop for Told {
        fn drop(&mut self) {
            let _ = self.1.send(self.0);
        }
    }

    /// A full batch is let go while the graveyard is still in use, the rest when it is
    /// dropped: every value exactly once.
    #[test]
    fn every_buried_value_is_let_go_once() {
        let (tx, rx) = channel();
        let mut g = Graveyard::default();
        let n = GRAVEYARD_BATCH + 10;
        for i in 0..n {
            g.bury(Told(i, tx.clone()));
        }
        let wait = Duration::from_secs(60);
        let mut first: Vec<usize> = (0..GRAVEYARD_BATCH)
            .map(|_| rx.recv_timeout(wait).expect("a full batch is let go"))
            .collect();
        first.sort_unstable();
        assert_eq!(first, (0..GRAVEYARD_BATCH).collect::<Vec<_>>());
        drop(g);
        drop(tx);
        let mut rest: Vec<usize> = rx.iter().collect();
        rest.sort_unstable();
        assert_eq!(rest, (GRAVEYARD_BATCH..n).collect::<Vec<_>>());
    }

    /// A stage gives what its thread made of every value sent; a thread that stopped on an
    /// error refuses further values and `finish` gives the error; a panic is an error naming
    /// the stage; one dropped unfinished has its thread joined (the thread saw the channel
    /// close).
    #[test]
    fn a_stage_gives_its_threads_result_or_error() {
        let sum = Stage::start("sum", 1, |rx| Ok(rx.iter().sum::<u64>()));
        for i in 1..=100u64 {
            assert!(sum.send(i));
        }
        assert_eq!(sum.finish().unwrap(), 5050);

        let failing = Stage::start("failing", 1, |rx: std::sync::mpsc::Receiver<u64>| {
            for v in rx {
                anyhow::ensure!(v < 3, "value {v} refused");
            }
            Ok(())
        });
        let sent: Vec<bool> = (0..10).map(|v| failing.send(v)).collect();
        assert!(sent[..3].iter().all(|s| *s));
        assert!(!sent[9], "the stopped thread's channel is closed");
        assert_eq!(failing.finish().unwrap_err().to_string(), "value 3 refused");

        let panics = Stage::<u64, ()>::start("panicking", 1, |_| panic!("on purpose"));
        assert!(
            panics
                .finish()
                .unwrap_err()
                .to_string()
                .contains("panicking")
        );

        let (tx, rx) = channel();
        let dropped = Stage::<u64, ()>::start("dropped", 1, move |values| {
            let n = values.iter().count();
            tx.send(n).unwrap();
            Ok(())
        });
        dropped.send(7);
        drop(dropped);
        assert_eq!(
            rx.try_recv(),
            Ok(1),
            "joined on drop, after the channel closed"
        );
    }
}
