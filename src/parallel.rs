//! Work spread over the cores, one item at a time, so a few slow items (a large file, a shape
//! with 10,000 focus nodes) never all land on one core.

use std::sync::atomic::{AtomicUsize, Ordering};

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
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let running: Vec<_> = (0..workers.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return done;
                        };
                        done.push((i, f(i, item)));
                    }
                })
            })
            .collect();
        for worker in running {
            for (i, result) in worker.join().unwrap_or_default() {
                results[i] = Some(result);
            }
        }
    });
    results
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
    fn a_panicking_item_loses_only_its_worker_s_results() {
        let items: Vec<u64> = (0..50).collect();
        let results = super::map(&items, 1, |_, n| {
            assert_ne!(*n, 7, "seven");
            *n
        });
        // One worker took every item; it stopped at 7 and its results are gone.
        assert!(results.iter().all(Option::is_none));
        let results = super::map(&items, 2, |_, n| *n);
        assert!(results.iter().all(Option::is_some));
    }
}
