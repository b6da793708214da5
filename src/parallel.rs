//! Work on every core without a thread pool of our own: scoped threads taking items in turn.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads set by `--threads`; 0 when not set.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Limits the threads [`threads`] gives (the command line's `--threads`).
pub fn set_threads(n: usize) {
    THREADS.store(n.max(1), Ordering::Relaxed);
}

/// The number of threads to use: `--threads` when given, else the cores this process may run on.
pub fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    }
}

/// `f` over `items` on up to `threads` threads, each taking the next item when done with
/// one; the results in item order.
pub fn map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_with(items, threads, || (), |_, item| f(item))
}

/// Like [`map`], with a state per thread made by `init` (a cache, a buffer) that `f` may use
/// for every item the thread takes.
pub fn map_with<T: Sync, R: Send, S>(
    items: &[T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                let mut state = init();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(&mut state, item);
                    *slots[i].lock().expect("no worker panicked") = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .expect("no worker panicked")
                .expect("every item was taken")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_in_item_order_whatever_the_threads() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [1, 2, 7] {
            let out = super::map(&items, threads, |x| x * x);
            assert_eq!(out, items.iter().map(|x| x * x).collect::<Vec<_>>());
        }
        assert!(super::map(&Vec::<u8>::new(), 2, |x| *x).is_empty());
    }
}
