//! Writing received chunks at their place in a file with positional writes and no copy of the
//! bytes: inline while the writes are page-cache fast, from a blocking task once one is slow.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::error::OssError;

/// Bytes collected before each write once writes are offloaded: one blocking-pool hop (two
/// thread wake-ups) per batch, at most two batches per stream in memory.
const WRITE_BATCH: usize = 1024 * 1024;

/// An inline file read or write slower than this counts as slow. A chunk is at most the HTTP
/// read buffer (about 400 KiB); to or from the page cache that is a copy of some tens of
/// microseconds, as long as the socket call next to it.
pub(super) const SLOW_FILE_IO: Duration = Duration::from_millis(2);

/// Consecutive slow inline calls that mean the file system is blocking (dirty-page throttling,
/// a cold disk, a network file system), so the rest of the stream's file I/O goes to the
/// blocking pool. One slow call alone says little: on a busy machine the thread was merely
/// preempted in the middle of a fast copy (measured at load 10 on 2 cores: 35 to 51 of the 64
/// ranges of a 512 MiB download went to the blocking pool after a single 2-9 ms write, which
/// cost 18 % more client CPU and three times the page faults).
const SLOW_CALLS_IN_A_ROW: u32 = 3;

/// One inline call this slow moves the rest to the blocking pool at once: a stall that long
/// must not be repeated on an async worker thread.
const STALLED_FILE_IO: Duration = Duration::from_millis(100);

/// Tells a blocking file system from a preempted thread by the durations of a stream's inline
/// file calls: slow ([`SLOW_FILE_IO`]) [`SLOW_CALLS_IN_A_ROW`] times in a row, or one stall
/// ([`STALLED_FILE_IO`]).
#[derive(Debug, Clone)]
pub(super) struct SlowFileIo {
    /// A call slower than this counts as slow.
    bar: Duration,
    /// Slow calls since the last fast one.
    in_a_row: u32,
}

impl SlowFileIo {
    /// A detector counting calls slower than `bar` ([`SLOW_FILE_IO`] outside tests).
    pub(super) fn new(bar: Duration) -> Self {
        SlowFileIo { bar, in_a_row: 0 }
    }

    /// Records one inline call that took `elapsed`; `true` once the file system looks blocking
    /// and the stream's calls should move to the blocking pool.
    pub(super) fn is_blocking_after(&mut self, elapsed: Duration) -> bool {
        if elapsed > self.bar {
            self.in_a_row += 1;
        } else {
            self.in_a_row = 0;
        }
        self.in_a_row >= SLOW_CALLS_IN_A_ROW || elapsed >= STALLED_FILE_IO.max(self.bar)
    }
}

/// Writes a run of consecutive bytes of a file starting at a given offset, with positional
/// writes of the received chunks themselves (never copied).
///
/// Each chunk is written inline, as it arrives, while writes stay page-cache fast: the chunk
/// is released before the next socket read, so the HTTP read buffer is reused instead of
/// reallocated (and page-faulted) per read, and no thread wake-up is spent per write. Once the
/// writes look blocking ([`SlowFileIo`]) the writer switches to offloading: chunks are then
/// batched up to 1 MiB and written by a blocking task while the caller goes on receiving, at
/// most one write in flight (memory: about two batches).
pub(crate) struct PositionalWriter {
    file: Arc<std::fs::File>,
    path: Arc<Path>,
    /// File offset of the next byte to write inline, or of the first pending byte.
    position: u64,
    /// Whether writes go to the blocking pool (after a slow inline write).
    offloaded: bool,
    /// Decides when inline writes look blocking.
    slow_write: SlowFileIo,
    pending: Vec<Bytes>,
    pending_len: usize,
    in_flight: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// Held around each write when several writers share the file (see
    /// [`PositionalWriter::sharing_writes`]).
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl PositionalWriter {
    /// A writer of `file` (named `path` in errors) from `position` on.
    pub(crate) fn new(file: Arc<std::fs::File>, path: Arc<Path>, position: u64) -> Self {
        PositionalWriter {
            file,
            path,
            position,
            offloaded: false,
            slow_write: SlowFileIo::new(SLOW_FILE_IO),
            pending: Vec::new(),
            pending_len: 0,
            in_flight: None,
            write_lock: None,
        }
    }

    /// The same writer taking `lock` around each of its writes. Writers of different ranges of
    /// one file share one lock: concurrent `pwrite`s to one file serialise on the file's inode
    /// lock in the kernel anyway, and a writer that finds it taken spins there, burning a core
    /// (measured: 14 % of a 4-range download's CPU on tmpfs). Waiting on this lock instead
    /// parks the task, and its worker thread goes on receiving the other ranges.
    pub(crate) fn sharing_writes(mut self, lock: Arc<tokio::sync::Mutex<()>>) -> Self {
        self.write_lock = Some(lock);
        self
    }

    /// Writes `chunk` as the next bytes (inline), or queues it and starts a write once a batch
    /// is full (offloaded).
    pub(crate) async fn push(&mut self, chunk: Bytes) -> Result<(), OssError> {
        if chunk.is_empty() {
            return Ok(());
        }
        if !self.offloaded {
            let guard = match &self.write_lock {
                Some(lock) => Some(lock.lock().await),
                None => None,
            };
            let started = Instant::now();
            write_all_at(&self.file, &chunk, self.position).map_err(|source| OssError::Io {
                path: PathBuf::from(&*self.path),
                source,
            })?;
            drop(guard);
            self.position += chunk.len() as u64;
            if self.slow_write.is_blocking_after(started.elapsed()) {
                tracing::debug!(
                    path = %self.path.display(),
                    elapsed_us = started.elapsed().as_micros() as u64,
                    "slow file writes; writing from the blocking pool from now on"
                );
                self.offloaded = true;
            }
            return Ok(());
        }
        self.pending_len += chunk.len();
        self.pending.push(chunk);
        if self.pending_len >= WRITE_BATCH {
            self.start_write().await?;
        }
        Ok(())
    }

    /// Whether writes have moved to the blocking pool.
    #[cfg(test)]
    fn is_offloaded(&self) -> bool {
        self.offloaded
    }

    /// The same writer with another slow-write bar (tests: `Duration::ZERO` offloads after
    /// the first few writes).
    #[cfg(test)]
    fn with_slow_write(mut self, slow_write: Duration) -> Self {
        self.slow_write = SlowFileIo::new(slow_write);
        self
    }

    /// Writes everything queued and waits for it.
    pub(crate) async fn finish(&mut self) -> Result<(), OssError> {
        self.start_write().await?;
        self.wait().await
    }

    async fn start_write(&mut self) -> Result<(), OssError> {
        self.wait().await?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunks = std::mem::take(&mut self.pending);
        let position = self.position;
        self.position += self.pending_len as u64;
        self.pending_len = 0;
        let file = self.file.clone();
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            let _guard = guard;
            let mut at = position;
            for chunk in chunks {
                write_all_at(&file, &chunk, at)?;
                at += chunk.len() as u64;
            }
            Ok(())
        }));
        Ok(())
    }

    async fn wait(&mut self) -> Result<(), OssError> {
        if let Some(handle) = self.in_flight.take() {
            let result = handle
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|r| r);
            result.map_err(|source| OssError::Io {
                path: PathBuf::from(&*self.path),
                source,
            })?;
        }
        Ok(())
    }
}

#[cfg(unix)]
fn write_all_at(file: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn write_all_at(file: &std::fs::File, mut buf: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runs of one file, pushed interleaved in odd-sized chunks crossing batch
    /// boundaries, by writers built with `slow_write` that share one write lock (as a ranged
    /// download's writers do); returns whether they were offloaded.
    async fn two_interleaved_runs(tag: &str, slow_write: Duration) -> (bool, bool) {
        let dir = std::env::temp_dir().join(format!("jitstore-pw-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        let file = Arc::new(std::fs::File::create(&path).unwrap());
        file.set_len(3 * WRITE_BATCH as u64).unwrap();
        let name: Arc<Path> = Arc::from(path.as_path());
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        let mut second = PositionalWriter::new(file.clone(), name.clone(), WRITE_BATCH as u64)
            .with_slow_write(slow_write)
            .sharing_writes(lock.clone());
        let mut first = PositionalWriter::new(file.clone(), name, 0)
            .with_slow_write(slow_write)
            .sharing_writes(lock);
        let run = |seed: u8| -> Vec<u8> {
            (0..WRITE_BATCH)
                .map(|i| (i as u8).wrapping_mul(seed))
                .collect()
        };
        let (a, b) = (run(3), run(7));
        for (ca, cb) in a.chunks(70_001).zip(b.chunks(70_001)) {
            first.push(Bytes::copy_from_slice(ca)).await.unwrap();
            second.push(Bytes::copy_from_slice(cb)).await.unwrap();
        }
        first.finish().await.unwrap();
        second.finish().await.unwrap();
        let written = std::fs::read(&path).unwrap();
        assert_eq!(&written[..WRITE_BATCH], &a[..]);
        assert_eq!(&written[WRITE_BATCH..2 * WRITE_BATCH], &b[..]);
        assert!(written[2 * WRITE_BATCH..].iter().all(|&x| x == 0));
        std::fs::remove_dir_all(&dir).unwrap();
        (first.is_offloaded(), second.is_offloaded())
    }

    #[tokio::test]
    async fn a_writer_sharing_a_lock_writes_only_while_it_holds_it() {
        let dir = std::env::temp_dir().join(format!("jitstore-pw-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        let file = Arc::new(std::fs::File::create(&path).unwrap());
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        let mut writer =
            PositionalWriter::new(file, Arc::from(path.as_path()), 0).sharing_writes(lock.clone());
        let held = lock.clone().lock_owned().await;
        let push = writer.push(Bytes::from_static(b"0123456789abcdef"));
        tokio::pin!(push);
        let early = tokio::time::timeout(Duration::from_millis(100), &mut push).await;
        assert!(
            early.is_err(),
            "the write went ahead while another writer held the lock"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"",
            "bytes written without the lock"
        );
        drop(held);
        push.await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123456789abcdef");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn writes_runs_at_their_offsets_inline() {
        // Writes into a temp file are far below the slow-write bar: they stay inline.
        let offloaded = two_interleaved_runs("inline", Duration::from_secs(3600)).await;
        assert_eq!(offloaded, (false, false));
    }

    #[tokio::test]
    async fn a_slow_write_moves_the_rest_to_the_blocking_pool() {
        // Every write is "slow" against a zero bar: the first few are inline, the rest are
        // batched and written from the blocking pool, at the right offsets.
        let offloaded = two_interleaved_runs("offload", Duration::ZERO).await;
        assert_eq!(offloaded, (true, true));
    }

    #[test]
    fn one_slow_write_among_fast_ones_is_a_preemption_not_a_blocking_file_system() {
        let (fast, slow) = (Duration::from_micros(50), Duration::from_millis(9));
        let mut detector = SlowFileIo::new(SLOW_FILE_IO);
        for _ in 0..100 {
            assert!(!detector.is_blocking_after(fast));
            assert!(!detector.is_blocking_after(slow));
            assert!(!detector.is_blocking_after(slow));
        }
        assert!(
            detector.is_blocking_after(slow),
            "the third slow write in a row"
        );
    }

    #[test]
    fn one_stalled_write_is_enough() {
        let mut detector = SlowFileIo::new(SLOW_FILE_IO);
        assert!(!detector.is_blocking_after(Duration::from_millis(99)));
        assert!(!detector.is_blocking_after(Duration::from_micros(10)));
        assert!(detector.is_blocking_after(STALLED_FILE_IO));
    }

    #[tokio::test]
    async fn a_failed_write_names_the_file() {
        let dir = std::env::temp_dir().join(format!("jitstore-pw-ro-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("read-only.bin");
        std::fs::write(&path, b"x").unwrap();
        // Opened for reading only: every positional write fails.
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        let mut writer = PositionalWriter::new(file, Arc::from(path.as_path()), 0);
        let err = writer.push(Bytes::from_static(b"abc")).await.unwrap_err();
        match err {
            OssError::Io { path: named, .. } => assert_eq!(named, path),
            other => panic!("expected an I/O error naming the file, got {other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
