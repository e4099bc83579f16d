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
