//! MD5 hashing threads that every large upload stream feeds.
//!
//! Each stream ([`HashStream`]) queues the chunks of its body (reference-counted [`Bytes`],
//! never copied) to a hashing thread. Whichever of a thread's streams have a whole block queued
//! are hashed together, up to [`LANES`] at a time, with [`compress_lanes`]; a stream alone goes
//! through the single-lane compression. So concurrent uploads (the parts of a multipart upload)
//! cost little more MD5 time than one. New streams join the busiest thread that has a free
//! lane, so up to [`LANES`] concurrent streams share one thread and its lanes; more spread over
//! the other threads (one per core).
//!
//! - Fairness: each round starts with the stream after the last one hashed in the previous
//!   round, and takes at most [`STEP`] bytes of each, so every stream with data progresses.
//! - Bounded memory: a stream has at most [`HASH_BUDGET`] bytes queued; sending waits
//!   beyond that until the service has hashed them (the same back-pressure as a bounded
//!   channel to a thread of its own).
//! - Abandonment: dropping a [`HashStream`] before [`HashStream::finish`] drops its queue and
//!   frees its lane.
//!
//! The threads start on first use and live as long as the process (idle, they wait for a
//! message). It does not depend on any Tokio runtime, so servers on different runtimes (tests)
//! share it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::OnceLock;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::byte_budget::ByteBudget;
use super::md5_lanes::{compress_lanes, Md5Hasher, BLOCK, LANES};

/// Bytes one stream may have queued for hashing.
pub const HASH_BUDGET: usize = 4 * 1024 * 1024;

/// Bytes of one stream hashed per round at most (whole blocks).
pub const STEP: usize = 64 * 1024;

/// What a stream tells the service thread.
enum Message {
    Open {
        id: u64,
        hasher: Md5Hasher,
        budget: ByteBudget,
    },
    Data {
        id: u64,
        chunk: Bytes,
        taken: u32,
    },
    Finish {
        id: u64,
        reply: oneshot::Sender<Md5Hasher>,
    },
    Abandon {
        id: u64,
    },
}

/// One hashing thread: where its messages go and how many streams it serves.
struct Worker {
    tx: mpsc::Sender<Message>,
    streams: AtomicUsize,
}

/// The hashing threads, started on first use: one per available core (at least one). A thread
/// that could not be started is left out; none at all makes [`HashStream::open`] fail.
fn workers() -> &'static [Worker] {
    static WORKERS: OnceLock<Vec<Worker>> = OnceLock::new();
    WORKERS.get_or_init(|| {
        let count = std::thread::available_parallelism().map_or(1, |n| n.get());
        (0..count)
            .filter_map(|n| {
                let (tx, rx) = mpsc::channel();
                std::thread::Builder::new()
                    .name(format!("jitstore-md5-{n}"))
                    .spawn(move || run(rx))
                    .ok()
                    .map(|_| Worker {
                        tx,
                        streams: AtomicUsize::new(0),
                    })
            })
            .collect()
    })
}

/// The thread a new stream joins: the busiest one that still has a free lane, so that
/// concurrent streams share lanes (the cheapest way to hash them); when every thread has
/// [`LANES`] streams, the least busy one.
fn pick_worker() -> Option<&'static Worker> {
    let all = workers();
    let load = |w: &&Worker| w.streams.load(Ordering::Relaxed);
    all.iter()
        .filter(|w| load(w) < LANES)
        .max_by_key(load)
        .or_else(|| all.iter().min_by_key(load))
}

fn stopped() -> std::io::Error {
    std::io::Error::other("the MD5 hashing thread stopped")
}

/// A stream's handle on the hashing service.
pub struct HashStream {
    id: u64,
    worker: &'static Worker,
    budget: ByteBudget,
    /// Set once `Finish` is sent: dropping the handle then abandons nothing.
    finished: bool,
}

impl HashStream {
    /// Registers a stream whose message so far is `hasher`'s.
    pub fn open(hasher: Md5Hasher) -> std::io::Result<Self> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let worker = pick_worker()
            .ok_or_else(|| std::io::Error::other("the MD5 hashing threads could not be started"))?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let budget = ByteBudget::new(HASH_BUDGET);
        worker
            .tx
            .send(Message::Open {
                id,
                hasher,
                budget: budget.clone(),
            })
            .map_err(|_| stopped())?;
        worker.streams.fetch_add(1, Ordering::Relaxed);
        Ok(HashStream {
            id,
            worker,
            budget,
            finished: false,
        })
    }

    /// Queues the next chunk of the message; waits while [`HASH_BUDGET`] bytes are queued.
    pub async fn send(&mut self, chunk: Bytes) -> std::io::Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        let taken = self.budget.take(chunk.len()).await?;
        self.worker
            .tx
            .send(Message::Data {
                id: self.id,
                chunk,
                taken,
            })
            .map_err(|_| stopped())
    }

    /// Waits until every queued chunk is hashed; returns the hasher of the whole message.
    pub async fn finish(mut self) -> std::io::Result<Md5Hasher> {
        let (reply, done) = oneshot::channel();
        self.finished = true;
        self.worker
            .tx
            .send(Message::Finish { id: self.id, reply })
            .map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())
    }
}

impl Drop for HashStream {
    fn drop(&mut self) {
        self.worker.streams.fetch_sub(1, Ordering::Relaxed);
        if !self.finished {
            // If the thread is gone, there is nothing left to release.
            let _ = self.worker.tx.send(Message::Abandon { id: self.id });
        }
    }
}

/// A queued chunk and where hashing has got to in it.
struct Queued {
    chunk: Bytes,
    at: usize,
    taken: u32,
}

/// The service thread's view of one stream.
struct Lane {
    id: u64,
    hasher: Md5Hasher,
    queue: VecDeque<Queued>,
    /// Bytes in `queue` not hashed yet.
    queued: usize,
    budget: ByteBudget,
    finish: Option<oneshot::Sender<Md5Hasher>>,
}

impl Lane {
    /// Whether a whole block is queued (a round would make progress).
    fn ready(&self) -> bool {
        self.queued >= BLOCK
    }

    /// Marks `n` bytes of the front chunk hashed; gives a finished chunk's budget back.
    fn consume(&mut self, n: usize) {
        self.queued = self.queued.saturating_sub(n);
        if let Some(front) = self.queue.front_mut() {
            front.at += n;
            if front.at >= front.chunk.len() {
                self.budget.give_back(front.taken);
                self.queue.pop_front();
            }
        }
    }

    /// Hashes (single lane) what stands between the hasher and a block boundary of the front
    /// chunk: the rest of a partial block, or a front chunk's tail shorter than a block. Then
    /// returns the whole blocks at the front, at most [`STEP`] bytes, ready for lockstep
    /// hashing (empty when the queue ran dry).
    fn aligned_front(&mut self) -> Bytes {
        loop {
            let Some(front) = self.queue.front() else {
                return Bytes::new();
            };
            let rest = front.chunk.slice(front.at..);
            let to_boundary = match self.hasher.aligned_state() {
                Some(_) if rest.len() >= BLOCK => {
                    let whole = (rest.len() / BLOCK * BLOCK).min(STEP);
                    return rest.slice(..whole);
                }
                Some(_) => rest.len(),
                None => self.hasher.bytes_to_next_block().min(rest.len()),
            };
            self.hasher.update(&rest[..to_boundary]);
            self.consume(to_boundary);
        }
    }

    /// Hashes everything queued (single lane) and hands the hasher to the waiting stream.
    fn complete(mut self) {
        while let Some(front) = self.queue.pop_front() {
            self.hasher.update(&front.chunk[front.at..]);
        }
        if let Some(reply) = self.finish.take() {
            // The stream may have been dropped meanwhile: nobody to tell.
            let _ = reply.send(std::mem::take(&mut self.hasher));
        }
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        // Should the service thread ever unwind, a stream waiting for budget fails instead of
        // waiting forever (harmless otherwise: the stream is finished or gone).
        self.budget.close();
    }
}

/// The service thread: applies messages, completes finished streams, hashes rounds.
fn run(rx: mpsc::Receiver<Message>) {
    let mut lanes: Vec<Lane> = Vec::new();
    let mut cursor = 0;
    loop {
        while let Ok(message) = rx.try_recv() {
            apply(&mut lanes, message);
        }
        complete_finished(&mut lanes);
        if lanes.iter().any(Lane::ready) {
            cursor = hash_round(&mut lanes, cursor);
        } else {
            match rx.recv() {
                Ok(message) => apply(&mut lanes, message),
                // Every sender is gone: the process is ending.
                Err(_) => return,
            }
        }
    }
}

fn apply(lanes: &mut Vec<Lane>, message: Message) {
    match message {
        Message::Open { id, hasher, budget } => lanes.push(Lane {
            id,
            hasher,
            queue: VecDeque::new(),
            queued: 0,
            budget,
            finish: None,
        }),
        Message::Data { id, chunk, taken } => {
            if let Some(lane) = lanes.iter_mut().find(|l| l.id == id) {
                lane.queued += chunk.len();
                lane.queue.push_back(Queued {
                    chunk,
                    at: 0,
                    taken,
                });
            }
        }
        Message::Finish { id, reply } => {
            if let Some(lane) = lanes.iter_mut().find(|l| l.id == id) {
                lane.finish = Some(reply);
            }
        }
        Message::Abandon { id } => lanes.retain(|l| l.id != id),
    }
}

/// Streams that sent `Finish` and have less than a block queued get their result.
fn complete_finished(lanes: &mut Vec<Lane>) {
    let mut at = 0;
    while at < lanes.len() {
        if lanes[at].finish.is_some() && !lanes[at].ready() {
            lanes.swap_remove(at).complete();
        } else {
            at += 1;
        }
    }
}

/// Hashes one round: up to [`LANES`] ready streams, starting at `cursor`, in lockstep (or one
/// alone through the single-lane path). Returns where the next round starts.
fn hash_round(lanes: &mut [Lane], cursor: usize) -> usize {
    let count = lanes.len();
    let mut group: Vec<(usize, Bytes)> = Vec::with_capacity(LANES);
    let mut next = cursor;
    for k in 0..count {
        let index = (cursor + k) % count;
        if !lanes[index].ready() {
            continue;
        }
        let blocks = lanes[index].aligned_front();
        next = index + 1;
        if !blocks.is_empty() {
            group.push((index, blocks));
            if group.len() == LANES {
                break;
            }
        }
    }
    match group.as_slice() {
        [] => {}
        [(index, blocks)] => {
            let lane = &mut lanes[*index];
            lane.hasher.update(blocks);
            lane.consume(blocks.len());
        }
        [(_, first), ..] => {
            let len = group.iter().map(|(_, b)| b.len()).min().unwrap_or(0);
            let mut states = [[0u32; 4]; LANES];
            let mut data: [&[u8]; LANES] = [&first[..len]; LANES];
            for (slot, (index, blocks)) in group.iter().enumerate() {
                if let Some(state) = lanes[*index].hasher.aligned_state() {
                    states[slot] = state;
                }
                data[slot] = &blocks[..len];
            }
            // Unused slots repeat the first stream's data into a scratch state.
            let done = compress_lanes(&mut states, data);
            for (slot, (index, _)) in group.iter().enumerate() {
                let lane = &mut lanes[*index];
                lane.hasher.advance_aligned(states[slot], done);
                lane.consume(done);
            }
        }
    }
    if count == 0 {
        0
    } else {
        next % count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};
    use rand::{Rng, RngCore, SeedableRng};

    fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut v = vec![0u8; len];
        rng.fill_bytes(&mut v);
        v
    }

    /// Sends `data` in random chunk sizes through a new stream; returns its digest.
    async fn hash_through_service(data: Vec<u8>, seed: u64) -> [u8; 16] {
        let data = Bytes::from(data);
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut stream = HashStream::open(Md5Hasher::new()).expect("open");
        let mut at = 0;
        while at < data.len() {
            let n = rng.gen_range(1..=200_000).min(data.len() - at);
            stream.send(data.slice(at..at + n)).await.expect("send");
            at += n;
            if rng.gen_bool(0.1) {
                tokio::task::yield_now().await;
            }
        }
        stream.finish().await.expect("finish").finalize()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_streams_of_different_sizes_get_their_own_md5() {
        let sizes = [
            0usize,
            1,
            55,
            56,
            63,
            64,
            65,
            1000,
            300_000,
            3 * 1024 * 1024 + 17,
            8 * 1024 * 1024,
            5 * 1024 * 1024 + 64,
        ];
        let mut tasks = Vec::new();
        for (n, &size) in sizes.iter().enumerate() {
            let data = random_bytes(n as u64, size);
            let want: [u8; 16] = Md5::digest(&data).into();
            tasks.push(tokio::spawn(async move {
                (size, want, hash_through_service(data, 100 + n as u64).await)
            }));
        }
        for task in tasks {
            let (size, want, got) = task.await.expect("join");
            assert_eq!(got, want, "stream of {size} bytes");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_continues_a_hasher_with_a_partial_block() {
        let data = random_bytes(7, 2 * 1024 * 1024 + 3);
        let mut hasher = Md5Hasher::new();
        hasher.update(&data[..1001]);
        let mut stream = HashStream::open(hasher).expect("open");
        stream
            .send(Bytes::copy_from_slice(&data[1001..]))
            .await
            .expect("send");
        let got = stream.finish().await.expect("finish").finalize();
        assert_eq!(got, <[u8; 16]>::from(Md5::digest(&data)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_stream_frees_its_lane_and_others_finish() {
        // A stream abandoned mid-way (budget spent, never finished) must not hold up others.
        let mut abandoned = HashStream::open(Md5Hasher::new()).expect("open");
        let big = Bytes::from(random_bytes(9, HASH_BUDGET));
        abandoned.send(big.clone()).await.expect("send");
        let blocked = {
            let big = big.clone();
            tokio::spawn(async move {
                abandoned.send(big.clone()).await.expect("send");
                abandoned.send(big).await.expect("send");
                // Dropped here, without finish.
            })
        };
        let data = random_bytes(10, 6 * 1024 * 1024 + 5);
        let want: [u8; 16] = Md5::digest(&data).into();
        let got = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            hash_through_service(data, 11),
        )
        .await
        .expect("a concurrent stream finished");
        assert_eq!(got, want);
        blocked.await.expect("join");

        // After the drop the service still serves new streams.
        let small = random_bytes(12, 100_000);
        let want: [u8; 16] = Md5::digest(&small).into();
        assert_eq!(hash_through_service(small, 13).await, want);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_dropped_while_waiting_for_budget_returns_promptly() {
        let mut stream = HashStream::open(Md5Hasher::new()).expect("open");
        let chunk = Bytes::from(random_bytes(14, 1024 * 1024));
        // More than the budget: the sends only complete because the service hashes.
        for _ in 0..(2 * HASH_BUDGET / chunk.len()) {
            tokio::time::timeout(
                std::time::Duration::from_secs(30),
                stream.send(chunk.clone()),
            )
            .await
            .expect("the service drains the budget")
            .expect("send");
        }
        drop(stream);
    }
}
