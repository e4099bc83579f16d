//! Streaming the data of an opened object: [`RangeReader`] and the rule that decides where its
//! file reads run ([`ReadPolicy`]).
//!
//! A GET of a large object is a long run of file reads, each followed by a socket write of the
//! same bytes. From the page cache a read is a memory copy about as long as that write, so
//! sending every read to the blocking pool (two thread wake-ups each) costs more CPU than the
//! read itself. Reads therefore run inline on the runtime while they stay fast.
//!
//! A read slower than [`SLOW_READ`] (a cold disk, a network file system, or just a thread
//! preempted on a busy machine) sends the next reads of that stream to the blocking pool: a
//! run of [`FIRST_OFFLOAD_RUN`] reads, after which one read is tried inline again; each slow
//! retry doubles the run (up to [`MAX_OFFLOAD_RUN`]) and a fast one resets it. A slow disk thus
//! stalls a runtime thread for a few reads per stream (logarithmic in its length), while a
//! preemption blip costs a few thread hops, not the whole stream. The bucket remembers whether
//! its last inline read was slow: a stream that starts within [`SLOW_READ_MEMORY`] of such a
//! read begins with a run on the pool, so a slow disk does not stall once per request either.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// Bytes per file read of a [`RangeReader`]: one chunk handed to the HTTP writer. Large enough
/// that a 512 MiB GET is 512 reads and socket writes, small enough that a GET holds little
/// memory (one chunk being read, about one being sent).
pub const RANGE_CHUNK: usize = 1024 * 1024;

/// An inline read slower than this moves the next reads to the blocking pool (see the module
/// docs). A page-cache read of one [`RANGE_CHUNK`] takes some tens to hundreds of microseconds.
pub const SLOW_READ: Duration = Duration::from_millis(4);

/// Reads sent to the blocking pool after a first slow inline read.
pub const FIRST_OFFLOAD_RUN: u32 = 4;

/// The longest run of reads on the blocking pool between two inline attempts.
pub const MAX_OFFLOAD_RUN: u32 = 256;

/// How long after a slow inline read (with no fast one since) new streams of the same bucket
/// start with a run on the blocking pool.
pub const SLOW_READ_MEMORY: Duration = Duration::from_secs(1);

/// Where the file reads of a bucket's streams run: shared by every [`RangeReader`] of one
/// bucket (one data directory, one disk), it remembers whether the last inline read was slow.
#[derive(Debug)]
pub struct ReadPolicy {
    /// An inline read slower than this offloads.
    slow_read: Duration,
    /// The reference point of `last_slow_ms`.
    epoch: Instant,
    /// Milliseconds after `epoch` of the last inline read, plus one, if it was slow (0: the
    /// last one was fast, or none yet).
    last_slow_ms: AtomicU64,
}

impl Default for ReadPolicy {
    fn default() -> Self {
        ReadPolicy::with_slow_read(SLOW_READ)
    }
}

impl ReadPolicy {
    /// A policy that calls a read slow when it takes longer than `slow_read`
    /// (`Duration::ZERO`: every inline read is slow, which tests use to reach the pool).
    pub fn with_slow_read(slow_read: Duration) -> ReadPolicy {
        ReadPolicy {
            slow_read,
            epoch: Instant::now(),
            last_slow_ms: AtomicU64::new(0),
        }
    }

    /// Whether the last inline read was slow and happened within [`SLOW_READ_MEMORY`].
    fn recently_slow(&self) -> bool {
        let last = self.last_slow_ms.load(Ordering::Relaxed);
        last != 0 && self.now_ms().saturating_sub(last - 1) < SLOW_READ_MEMORY.as_millis() as u64
    }

    /// Records a slow inline read now.
    fn note_slow(&self) {
        self.last_slow_ms
            .store(self.now_ms().saturating_add(1), Ordering::Relaxed);
    }

    /// Records a fast inline read (writes only when that changes the state: the readers of
    /// one bucket share this word).
    fn note_fast(&self) {
        if self.last_slow_ms.load(Ordering::Relaxed) != 0 {
            self.last_slow_ms.store(0, Ordering::Relaxed);
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }
}

/// One file range still to read: data bytes `at..end` of `file`.
pub(crate) struct Piece {
    pub(crate) file: std::fs::File,
    pub(crate) at: u64,
    pub(crate) end: u64,
}

impl Piece {
    /// Reads the next chunk (up to [`RANGE_CHUNK`] bytes) and advances. The buffer is filled
    /// by the read itself, never zeroed first. A file that ends before `end` is an
    /// `UnexpectedEof` error naming the offset and the missing bytes.
    fn read_chunk(&mut self) -> std::io::Result<Bytes> {
        let want = usize::try_from(self.end - self.at).map_or(RANGE_CHUNK, |n| n.min(RANGE_CHUNK));
        let mut buf = Vec::with_capacity(want);
        // Clones of one open file share its cursor: position it before every read.
        (&self.file).seek(SeekFrom::Start(self.at))?;
        (&self.file).take(want as u64).read_to_end(&mut buf)?;
        if buf.len() < want {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "object data ends early: {} bytes missing at data offset {} of a piece \
                     expected to hold {} bytes",
                    self.end - self.at - buf.len() as u64,
                    self.at + buf.len() as u64,
                    self.end
                ),
            ));
        }
        self.at += want as u64;
        Ok(Bytes::from(buf))
    }
}

type PieceRead = tokio::task::JoinHandle<std::io::Result<(Piece, Bytes)>>;

/// Reads a byte range of an object across its files in order, yielding chunks of up to
/// [`RANGE_CHUNK`] bytes: inline while reads are fast, in runs on the blocking pool after slow
/// ones (see the module docs). One read is in flight at a time. After an error the stream
/// ends, so a consumer never receives the bytes that follow a gap.
pub struct RangeReader {
    pieces: VecDeque<Piece>,
    pending: Option<PieceRead>,
    policy: Arc<ReadPolicy>,
    /// Reads still to send to the blocking pool before the next inline attempt.
    offload_left: u32,
    /// The run that the next slow inline read starts.
    next_run: u32,
    /// Reads done inline and on the blocking pool so far.
    counts: ReadCounts,
}

/// How many reads of a [`RangeReader`] ran where.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadCounts {
    /// Reads run on the runtime thread polling the stream.
    pub inline: u32,
    /// Reads run on the blocking pool.
    pub offloaded: u32,
}

impl RangeReader {
    pub(crate) fn new(pieces: VecDeque<Piece>, policy: Arc<ReadPolicy>) -> RangeReader {
        let offload_left = if policy.recently_slow() {
            FIRST_OFFLOAD_RUN
        } else {
            0
        };
        RangeReader {
            pieces,
            pending: None,
            policy,
            offload_left,
            next_run: FIRST_OFFLOAD_RUN,
            counts: ReadCounts::default(),
        }
    }

    /// How many reads ran inline and on the blocking pool so far.
    pub fn read_counts(&self) -> ReadCounts {
        self.counts
    }

    /// Ends the stream after an error.
    fn fail(&mut self, error: std::io::Error) -> Poll<Option<std::io::Result<Bytes>>> {
        self.pieces.clear();
        Poll::Ready(Some(Err(error)))
    }

    /// Reads the next chunk of `piece` on this thread; a slow read starts a run on the pool.
    fn read_inline(&mut self, mut piece: Piece) -> Poll<Option<std::io::Result<Bytes>>> {
        let started = Instant::now();
        let read = piece.read_chunk();
        let elapsed = started.elapsed();
        self.counts.inline += 1;
        if elapsed > self.policy.slow_read {
            tracing::debug!(
                elapsed_us = elapsed.as_micros() as u64,
                run = self.next_run,
                "slow object read; the next reads go to the blocking pool"
            );
            self.policy.note_slow();
            self.offload_left = self.next_run;
            self.next_run = self.next_run.saturating_mul(2).min(MAX_OFFLOAD_RUN);
        } else {
            self.policy.note_fast();
            self.next_run = FIRST_OFFLOAD_RUN;
        }
        match read {
            Ok(chunk) => {
                if piece.at < piece.end {
                    self.pieces.push_front(piece);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Err(e) => self.fail(e),
        }
    }
}

impl futures::Stream for RangeReader {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(pending) = self.pending.as_mut() {
                let done = match Pin::new(pending).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(done) => done,
                };
                self.pending = None;
                return match done {
                    Ok(Ok((piece, chunk))) => {
                        if piece.at < piece.end {
                            self.pieces.push_front(piece);
                        }
                        Poll::Ready(Some(Ok(chunk)))
                    }
                    Ok(Err(e)) => self.fail(e),
                    Err(e) => self.fail(std::io::Error::other(format!("object read task: {e}"))),
                };
            }
            let Some(mut piece) = self.pieces.pop_front() else {
                return Poll::Ready(None);
            };
            if piece.at >= piece.end {
                continue;
            }
            if self.offload_left == 0 {
                return self.read_inline(piece);
            }
            self.offload_left -= 1;
            self.counts.offloaded += 1;
            self.pending = Some(tokio::task::spawn_blocking(move || {
                let chunk = piece.read_chunk()?;
                Ok((piece, chunk))
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn pattern(seed: u8, size: usize) -> Vec<u8> {
        (0..size)
            .map(|i| ((i / 5) as u8).wrapping_mul(7) ^ (i as u8) ^ seed)
            .collect()
    }

    /// Files with the given contents in a fresh temporary directory.
    fn files(contents: &[&[u8]]) -> (tempfile::TempDir, Vec<std::fs::File>) {
        let dir = tempfile::tempdir().unwrap();
        let files = contents
            .iter()
            .enumerate()
            .map(|(i, data)| {
                let path = dir.path().join(format!("piece-{i}"));
                std::fs::write(&path, data).unwrap();
                std::fs::File::open(&path).unwrap()
            })
            .collect();
        (dir, files)
    }

    /// Drains a reader: the chunks (or the error that ended it) and where its reads ran.
    async fn drain(mut reader: RangeReader) -> (Vec<Bytes>, Option<std::io::Error>, ReadCounts) {
        let mut chunks = Vec::new();
        let mut error = None;
        while let Some(item) = reader.next().await {
            match item {
                Ok(chunk) => chunks.push(chunk),
                Err(e) => {
                    assert!(error.is_none(), "a second item after an error");
                    error = Some(e);
                }
            }
        }
        (chunks, error, reader.read_counts())
    }

    fn reader(pieces: Vec<(std::fs::File, u64, u64)>, policy: &Arc<ReadPolicy>) -> RangeReader {
        let pieces = pieces
            .into_iter()
            .map(|(file, at, end)| Piece { file, at, end })
            .collect();
        RangeReader::new(pieces, policy.clone())
    }

    #[tokio::test]
    async fn ranges_across_pieces_are_byte_exact_inline_and_offloaded() {
        let a = pattern(1, RANGE_CHUNK + 300);
        let b = pattern(2, 17);
        let c = pattern(3, 2 * RANGE_CHUNK + 9);
        for slow_read in [Duration::from_secs(3600), Duration::ZERO] {
            let policy = Arc::new(ReadPolicy::with_slow_read(slow_read));
            let (_dir, f) = files(&[&a, &b, &c]);
            let mut it = f.into_iter();
            let (fa, fb, fc) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
            let pieces = vec![
                (fa, 100, a.len() as u64),
                (fb, 0, b.len() as u64),
                (fc, 0, c.len() as u64 - 4),
            ];
            let (chunks, error, counts) = drain(reader(pieces, &policy)).await;
            assert!(error.is_none(), "{error:?}");
            let expected = [&a[100..], &b[..], &c[..c.len() - 4]].concat();
            assert!(chunks.concat() == expected, "bytes differ ({slow_read:?})");
            assert!(chunks
                .iter()
                .all(|c| !c.is_empty() && c.len() <= RANGE_CHUNK));
            assert_eq!(counts.inline + counts.offloaded, chunks.len() as u32);
            if slow_read.is_zero() {
                assert!(counts.offloaded > 0, "{counts:?}");
            } else {
                assert_eq!(counts.offloaded, 0, "{counts:?}");
            }
        }
    }

    #[tokio::test]
    async fn slow_reads_go_to_the_pool_in_growing_runs() {
        // Every inline read is "slow": reads 1, 6 and 15 run inline, each followed by a run
        // on the pool of 4, 8 and 16 reads (the last one cut by the end of the data).
        let data = pattern(4, 20 * RANGE_CHUNK);
        let policy = Arc::new(ReadPolicy::with_slow_read(Duration::ZERO));
        let (_dir, f) = files(&[&data]);
        let file = f.into_iter().next().unwrap();
        let (chunks, error, counts) =
            drain(reader(vec![(file, 0, data.len() as u64)], &policy)).await;
        assert!(error.is_none(), "{error:?}");
        assert!(chunks.concat() == data);
        assert_eq!(
            counts,
            ReadCounts {
                inline: 3,
                offloaded: 17
            }
        );
    }

    #[tokio::test]
    async fn a_stream_starting_after_a_slow_read_begins_on_the_pool() {
        let data = pattern(5, 2 * RANGE_CHUNK);
        let (_dir, f) = files(&[&data, &data]);
        let mut it = f.into_iter();
        let (first, second) = (it.next().unwrap(), it.next().unwrap());
        let policy = Arc::new(ReadPolicy::with_slow_read(Duration::ZERO));
        let (_, _, counts) = drain(reader(vec![(first, 0, RANGE_CHUNK as u64)], &policy)).await;
        assert_eq!(
            counts,
            ReadCounts {
                inline: 1,
                offloaded: 0
            }
        );
        // The bucket remembers the slow read: the next stream starts with a run on the pool.
        let (chunks, _, counts) =
            drain(reader(vec![(second, 0, data.len() as u64)], &policy)).await;
        assert!(chunks.concat() == data);
        assert_eq!(
            counts,
            ReadCounts {
                inline: 0,
                offloaded: 2
            }
        );
        // A fast inline read clears the memory.
        policy.note_fast();
        assert!(!policy.recently_slow());
    }

    #[tokio::test]
    async fn a_file_ending_early_ends_the_stream_with_an_error() {
        let short = pattern(6, RANGE_CHUNK + 10);
        let next = pattern(7, 100);
        let policy = Arc::new(ReadPolicy::default());
        let (_dir, f) = files(&[&short, &next]);
        let mut it = f.into_iter();
        let (fs, fnext) = (it.next().unwrap(), it.next().unwrap());
        // The first piece claims 2 MiB; its file holds RANGE_CHUNK + 10 bytes.
        let pieces = vec![(fs, 0, 2 * RANGE_CHUNK as u64), (fnext, 0, 100)];
        let (chunks, error, _) = drain(reader(pieces, &policy)).await;
        let error = error.expect("the short file must end the stream with an error");
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
        let text = error.to_string();
        assert!(
            text.contains(&format!("{} bytes missing", RANGE_CHUNK - 10)),
            "{text}"
        );
        // The whole chunks before the gap, and nothing after it (not the next piece).
        assert_eq!(chunks.concat(), short[..RANGE_CHUNK].to_vec());
    }
}
