//! The one lock-poisoning rule of jitstore: a poisoned lock is recovered, not propagated.
//!
//! A lock is poisoned when a thread panicked while holding it. Every lock in jitstore guards
//! data that is consistent between statements (counters, caches, checksums, queues), so the
//! data is still usable and refusing it would only turn one panic into many. Use these
//! functions instead of `lock().unwrap()`, `lock().ok()` or a hand-written `match`.
//!
//! ```
//! use std::sync::Mutex;
//! use jitstore_util::lock::lock;
//!
//! let counter = Mutex::new(1);
//! *lock(&counter) += 1;
//! assert_eq!(*lock(&counter), 2);
//! ```

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `mutex`, recovering the data if a panicking thread poisoned it.
pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes a read lock on `lock`, recovering the data if a panicking thread poisoned it.
pub fn read<T: ?Sized>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes the write lock on `lock`, recovering the data if a panicking thread poisoned it.
pub fn write<T: ?Sized>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Consumes `mutex` and returns its data, recovering it if a panicking thread poisoned it.
pub fn into_inner<T>(mutex: Mutex<T>) -> T {
    mutex
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn poison_mutex(m: &Arc<Mutex<u32>>) {
        let m = Arc::clone(m);
        let joined = std::thread::spawn(move || {
            let _guard = m.lock().unwrap();
            panic!("poison it");
        })
        .join();
        assert!(joined.is_err());
    }

    #[test]
    fn a_poisoned_mutex_still_gives_its_data() {
        let m = Arc::new(Mutex::new(7));
        poison_mutex(&m);
        assert!(m.is_poisoned());
        *lock(&m) += 1;
        assert_eq!(*lock(&m), 8);
        let m = Arc::try_unwrap(m).unwrap();
        assert_eq!(into_inner(m), 8);
    }

    #[test]
    fn a_poisoned_rwlock_still_gives_its_data() {
        let l = Arc::new(RwLock::new(String::from("a")));
        let l2 = Arc::clone(&l);
        let joined = std::thread::spawn(move || {
            let _guard = l2.write().unwrap();
            panic!("poison it");
        })
        .join();
        assert!(joined.is_err());
        assert!(l.is_poisoned());
        write(&l).push('b');
        assert_eq!(*read(&l), "ab");
    }
}
