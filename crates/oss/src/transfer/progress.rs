//! Progress accounting that never counts a retried byte twice.
//!
//! Each part (or download range) keeps a high-water mark of the bytes any attempt got through;
//! a new attempt only reports bytes beyond that mark, so the total grows monotonically and ends
//! exactly at the object size.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A progress callback: `(bytes done, total)`; `total` is `None` while a stream's length is
/// unknown. Called from transfer tasks, possibly concurrently: keep it quick.
pub type ProgressFn = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// The running total of one transfer.
pub(crate) struct Tracker {
    /// Bytes counted; the lock also orders the callback's reports, so they only grow.
    done: Mutex<u64>,
    total: Option<u64>,
    callback: Option<ProgressFn>,
}

impl Tracker {
    pub(crate) fn new(total: Option<u64>, callback: Option<ProgressFn>) -> Arc<Tracker> {
        Arc::new(Tracker {
            done: Mutex::new(0),
            total,
            callback,
        })
    }

    /// Adds `n` new bytes and reports. Without a callback nobody reads the total: nothing is
    /// counted and no lock is taken (this runs once per received chunk of every range).
    pub(crate) fn add(&self, n: u64) {
        if n == 0 || self.callback.is_none() {
            return;
        }
        let mut done = jitstore_util::lock::lock(&self.done);
        *done += n;
        if let Some(cb) = &self.callback {
            cb(*done, self.total);
        }
    }

    /// Bytes counted so far.
    #[cfg(test)]
    pub(crate) fn done(&self) -> u64 {
        *jitstore_util::lock::lock(&self.done)
    }
}

/// The high-water mark of one part or range.
#[derive(Default)]
pub(crate) struct PartMark {
    high: AtomicU64,
}

impl PartMark {
    /// An attempt reached `position` bytes into the part: count what no attempt reached before.
    pub(crate) fn reached(&self, position: u64, tracker: &Tracker) {
        let before = self.high.fetch_max(position, Ordering::AcqRel);
        if position > before {
            tracker.add(position - before);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_is_not_counted_twice() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let tracker = Tracker::new(
            Some(100),
            Some(Arc::new(move |d, t| s.lock().unwrap().push((d, t)))),
        );
        let mark = PartMark::default();
        mark.reached(30, &tracker);
        mark.reached(60, &tracker); // first attempt dies at 60
        mark.reached(20, &tracker); // the retry starts over
        mark.reached(60, &tracker);
        mark.reached(100, &tracker);
        assert_eq!(tracker.done(), 100);
        let seen = seen.lock().unwrap();
        assert_eq!(
            *seen,
            vec![(30, Some(100)), (60, Some(100)), (100, Some(100))]
        );
    }
}
