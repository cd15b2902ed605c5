//! Work spread over the cores, one item at a time, so a few slow items (a large file, a shape
//! with 10,000 focus nodes) never all land on one core.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// As many workers as the machine has cores, at most `cap`, never more than there is work.
pub fn workers(items: usize, cap: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(cap)
        .min(items)
        .max(1)
}

/// `f` applied to every item on `workers` threads; results come back in item order. An item
/// whose worker panicked is `None`: a caller can report it, never find it misplaced.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(usize, &T) -> R + Sync,
) -> Vec<Option<R>> {
    let mut results = Vec::with_capacity(items.len());
    in_order(items, workers, f, |_, result| results.push(result));
    results
}

/// `f` applied to every item on `workers` threads, and `each` given the results in item order
/// on the calling thread, each as soon as it and those before it are done: what `each` does
/// with them (merging shards' graphs) overlaps the work still running instead of following
/// it. An item whose worker panicked, and any item no worker reached, is `None`.
pub fn in_order<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(usize, &T) -> R + Sync,
    mut each: impl FnMut(usize, Option<R>),
) {
    let next = AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let (done, results) = mpsc::channel();
    std::thread::scope(|scope| {
        let running: Vec<_> = (0..workers.max(1))
            .map(|_| {
                let done = done.clone();
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else {
                        return;
                    };
                    if done.send((i, f(i, item))).is_err() {
                        return;
                    }
                })
            })
            .collect();
        // The channel closes when the last worker ends, however it ends.
        drop(done);
        let mut waiting = BTreeMap::new();
        let mut at = 0;
        for (i, result) in results {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&at) {
                each(at, Some(result));
                at += 1;
            }
        }
        for worker in running {
            // A panic has already cost its item; the other items are accounted for below.
            let _ = worker.join();
        }
        for i in at..items.len() {
            each(i, waiting.remove(&i));
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_item_order() {
        let items: Vec<u64> = (0..1000).collect();
        let squares = super::map(&items, 4, |i, n| (i as u64, n * n));
        for (i, result) in squares.into_iter().enumerate() {
            assert_eq!(result, Some((i as u64, (i * i) as u64)));
        }
    }

    #[test]
    fn a_panicking_item_loses_only_itself_and_what_its_worker_left_undone() {
        let items: Vec<u64> = (0..50).collect();
        let results = super::map(&items, 1, |_, n| {
            assert_ne!(*n, 7, "seven");
            *n
        });
        // One worker took every item and stopped at 7: what it finished before is kept.
        for (i, result) in results.iter().enumerate() {
            assert_eq!(result.is_some(), i < 7, "item {i}");
        }
        let results = super::map(&items, 3, |_, n| {
            assert_ne!(*n, 7, "seven");
            *n
        });
        // The other workers take what the panicked one would have.
        for (i, result) in results.iter().enumerate() {
            assert_eq!(*result, (i != 7).then_some(i as u64), "item {i}");
        }
    }

    #[test]
    fn each_result_is_handed_over_before_the_last_is_done() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::time::{Duration, Instant};
        let items: Vec<u64> = (0..4).collect();
        let first_seen = AtomicBool::new(false);
        let mut order = Vec::new();
        super::in_order(
            &items,
            2,
            |i, n| {
                // The last item waits for the calling thread to have the first; a version
                // that held the results back until all were done would give up after 10 s.
                let deadline = Instant::now() + Duration::from_secs(10);
                while i == 3 && !first_seen.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                (*n, first_seen.load(Ordering::SeqCst))
            },
            |i, result| {
                first_seen.store(true, Ordering::SeqCst);
                order.push((i, result));
            },
        );
        let indexes: Vec<usize> = order.iter().map(|(i, _)| *i).collect();
        assert_eq!(indexes, [0, 1, 2, 3]);
        assert_eq!(order[3].1, Some((3, true)));
    }
}
