//! MD5 in safe Rust, one stream at a time or several independent streams in lockstep.
//!
//! MD5 is serial within one stream: every step of the compression function waits for the one
//! before it, so a single stream leaves most of a core's execution units idle. Independent
//! streams have independent dependency chains, though, and [`compress_lanes`] runs the
//! compression of [`LANES`] streams side by side: each state word is a `[u32; LANES]`
//! (one entry per stream), which the compiler turns into vector instructions (SSE2 on every
//! x86-64) or at least interleaves, so the lanes hash for little more than the cost of one.
//!
//! [`Md5Hasher`] is the incremental hasher of one stream (buffering a partial block, padding
//! and finalising); its state can be advanced either by its own single-lane compression or,
//! block-aligned, by [`compress_lanes`] together with other streams (see
//! [`super::md5_service`]).
//!
//! ```
//! use jitstore_oss_server::storage::md5_lanes::Md5Hasher;
//!
//! let mut hasher = Md5Hasher::new();
//! hasher.update(b"hello ");
//! hasher.update(b"world");
//! assert_eq!(hex::encode(hasher.finalize()), "5eb63bbbe01eeed093cb22bb8f5acdc3");
//! ```

/// How many streams [`compress_lanes`] hashes together (the lane-wise code is written out
/// for four).
pub const LANES: usize = 4;

/// MD5 block size in bytes.
pub const BLOCK: usize = 64;

/// The MD5 initial state.
const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// The sine-derived additive constants, one per step.
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

/// The arithmetic MD5 needs, on one 32-bit word or on one word per lane.
trait Word: Copy {
    fn splat(k: u32) -> Self;
    fn add(self, other: Self) -> Self;
    fn and(self, other: Self) -> Self;
    fn or(self, other: Self) -> Self;
    fn xor(self, other: Self) -> Self;
    fn not(self) -> Self;
    fn rotl(self, bits: u32) -> Self;
}

impl Word for u32 {
    #[inline(always)]
    fn splat(k: u32) -> Self {
        k
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    #[inline(always)]
    fn and(self, other: Self) -> Self {
        self & other
    }
    #[inline(always)]
    fn or(self, other: Self) -> Self {
        self | other
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        self ^ other
    }
    #[inline(always)]
    fn not(self) -> Self {
        !self
    }
    #[inline(always)]
    fn rotl(self, bits: u32) -> Self {
        self.rotate_left(bits)
    }
}

/// One state or message word per lane.
#[derive(Clone, Copy)]
struct Lanes([u32; LANES]);

/// Applies a lane-wise expression to every lane, written out (no closures), so that it is
/// inlined even in unoptimised builds and vectorised in optimised ones.
macro_rules! lanewise {
    (|$l:ident| $e:expr) => {{
        Lanes([
            {
                let $l = 0;
                $e
            },
            {
                let $l = 1;
                $e
            },
            {
                let $l = 2;
                $e
            },
            {
                let $l = 3;
                $e
            },
        ])
    }};
}

impl Word for Lanes {
    #[inline(always)]
    fn splat(k: u32) -> Self {
        Lanes([k; LANES])
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        lanewise!(|l| self.0[l].wrapping_add(other.0[l]))
    }
    #[inline(always)]
    fn and(self, other: Self) -> Self {
        lanewise!(|l| self.0[l] & other.0[l])
    }
    #[inline(always)]
    fn or(self, other: Self) -> Self {
        lanewise!(|l| self.0[l] | other.0[l])
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        lanewise!(|l| self.0[l] ^ other.0[l])
    }
    #[inline(always)]
    fn not(self) -> Self {
        lanewise!(|l| !self.0[l])
    }
    #[inline(always)]
    // Shifts rather than `rotate_left`: SSE2 has no vector rotate, and the shifts are what the
    // vectoriser is measured with (see the `throughput` test).
    #[allow(clippy::manual_rotate)]
    fn rotl(self, bits: u32) -> Self {
        lanewise!(|l| (self.0[l] << bits) | (self.0[l] >> (32 - bits)))
    }
}

#[inline(always)]
fn f<W: Word>(b: W, c: W, d: W) -> W {
    d.xor(b.and(c.xor(d)))
}

#[inline(always)]
fn g<W: Word>(b: W, c: W, d: W) -> W {
    c.xor(d.and(b.xor(c)))
}

#[inline(always)]
fn h<W: Word>(b: W, c: W, d: W) -> W {
    b.xor(c).xor(d)
}

#[inline(always)]
fn i<W: Word>(b: W, c: W, d: W) -> W {
    c.xor(b.or(d.not()))
}

/// The 64 steps of the MD5 compression function on one block (`m`, as 16 words).
#[inline(always)]
fn rounds<W: Word>(state: [W; 4], m: &[W; 16]) -> [W; 4] {
    let [mut a, mut b, mut c, mut d] = state;
    macro_rules! step {
        ($fun:ident, $a:ident, $b:ident, $c:ident, $d:ident, $w:expr, $k:expr, $s:expr) => {
            $a = $b.add(
                $a.add($fun($b, $c, $d))
                    .add(W::splat(K[$k]))
                    .add(m[$w])
                    .rotl($s),
            );
        };
    }
    macro_rules! quad {
        ($fun:ident, $k:expr, [$w0:expr, $w1:expr, $w2:expr, $w3:expr], [$s0:expr, $s1:expr, $s2:expr, $s3:expr]) => {
            step!($fun, a, b, c, d, $w0, $k, $s0);
            step!($fun, d, a, b, c, $w1, $k + 1, $s1);
            step!($fun, c, d, a, b, $w2, $k + 2, $s2);
            step!($fun, b, c, d, a, $w3, $k + 3, $s3);
        };
    }
    quad!(f, 0, [0, 1, 2, 3], [7, 12, 17, 22]);
    quad!(f, 4, [4, 5, 6, 7], [7, 12, 17, 22]);
    quad!(f, 8, [8, 9, 10, 11], [7, 12, 17, 22]);
    quad!(f, 12, [12, 13, 14, 15], [7, 12, 17, 22]);
    quad!(g, 16, [1, 6, 11, 0], [5, 9, 14, 20]);
    quad!(g, 20, [5, 10, 15, 4], [5, 9, 14, 20]);
    quad!(g, 24, [9, 14, 3, 8], [5, 9, 14, 20]);
    quad!(g, 28, [13, 2, 7, 12], [5, 9, 14, 20]);
    quad!(h, 32, [5, 8, 11, 14], [4, 11, 16, 23]);
    quad!(h, 36, [1, 4, 7, 10], [4, 11, 16, 23]);
    quad!(h, 40, [13, 0, 3, 6], [4, 11, 16, 23]);
    quad!(h, 44, [9, 12, 15, 2], [4, 11, 16, 23]);
    quad!(i, 48, [0, 7, 14, 5], [6, 10, 15, 21]);
    quad!(i, 52, [12, 3, 10, 1], [6, 10, 15, 21]);
    quad!(i, 56, [8, 15, 6, 13], [6, 10, 15, 21]);
    quad!(i, 60, [4, 11, 2, 9], [6, 10, 15, 21]);
    [
        state[0].add(a),
        state[1].add(b),
        state[2].add(c),
        state[3].add(d),
    ]
}

/// The 16 little-endian words of the 64-byte block starting at `at` in `data`.
#[inline(always)]
fn load_words(data: &[u8], at: usize) -> [u32; 16] {
    let block = &data[at..at + BLOCK];
    let mut words = [0u32; 16];
    for (word, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    words
}

/// Compresses the whole 64-byte blocks of `data` into one MD5 state; returns how many bytes
/// that was (a trailing partial block is left alone).
pub fn compress_one(state: &mut [u32; 4], data: &[u8]) -> usize {
    let blocks = data.len() / BLOCK;
    let mut s = *state;
    for n in 0..blocks {
        s = rounds(s, &load_words(data, n * BLOCK));
    }
    *state = s;
    blocks * BLOCK
}

/// Compresses whole 64-byte blocks of [`LANES`] independent streams in lockstep: lane `l`
/// advances `states[l]` over `data[l]`. Every lane takes the same number of blocks, that of the
/// shortest input; returns that count in bytes (the caller advances each stream by it).
/// A lane with nothing to hash can repeat another lane's data with a scratch state.
pub fn compress_lanes(states: &mut [[u32; 4]; LANES], data: [&[u8]; LANES]) -> usize {
    let blocks = data.iter().map(|d| d.len() / BLOCK).min().unwrap_or(0);
    let mut s = [Lanes([0; LANES]); 4];
    for (w, word) in s.iter_mut().enumerate() {
        *word = lanewise!(|l| states[l][w]);
    }
    let mut m = [Lanes([0; LANES]); 16];
    for n in 0..blocks {
        let at = n * BLOCK;
        let words = [
            load_words(data[0], at),
            load_words(data[1], at),
            load_words(data[2], at),
            load_words(data[3], at),
        ];
        for (w, word) in m.iter_mut().enumerate() {
            *word = lanewise!(|l| words[l][w]);
        }
        s = rounds(s, &m);
    }
    for (l, state) in states.iter_mut().enumerate() {
        for (w, word) in state.iter_mut().enumerate() {
            *word = s[w].0[l];
        }
    }
    blocks * BLOCK
}

/// The incremental MD5 of one stream: a compression state, the partial block not yet
/// compressed and the total length.
#[derive(Clone, Debug)]
pub struct Md5Hasher {
    state: [u32; 4],
    partial: [u8; BLOCK],
    partial_len: usize,
    len: u64,
}

impl Default for Md5Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Md5Hasher {
    /// A hasher of the empty message.
    pub fn new() -> Self {
        Md5Hasher {
            state: INIT,
            partial: [0; BLOCK],
            partial_len: 0,
            len: 0,
        }
    }

    /// Appends `data` to the message.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        if self.partial_len > 0 {
            let take = (BLOCK - self.partial_len).min(data.len());
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&data[..take]);
            self.partial_len += take;
            data = &data[take..];
            if self.partial_len < BLOCK {
                return;
            }
            compress_one(&mut self.state, &self.partial);
            self.partial_len = 0;
        }
        let done = compress_one(&mut self.state, data);
        let rest = &data[done..];
        self.partial[..rest.len()].copy_from_slice(rest);
        self.partial_len = rest.len();
    }

    /// Bytes of the message so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no byte was hashed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes missing from the pending partial block (0 when none is pending).
    pub fn bytes_to_next_block(&self) -> usize {
        (BLOCK - self.partial_len) % BLOCK
    }

    /// The compression state, when no partial block is pending (the message so far is a
    /// whole number of blocks), for [`compress_lanes`].
    pub fn aligned_state(&self) -> Option<[u32; 4]> {
        (self.partial_len == 0).then_some(self.state)
    }

    /// Takes the state [`compress_lanes`] computed from [`Md5Hasher::aligned_state`] over
    /// `bytes` more bytes (whole blocks). Ignored if a partial block is pending or `bytes` is
    /// not a whole number of blocks, as such a state cannot come from an aligned one.
    pub fn advance_aligned(&mut self, state: [u32; 4], bytes: usize) {
        if self.partial_len == 0 && bytes % BLOCK == 0 {
            self.state = state;
            self.len = self.len.wrapping_add(bytes as u64);
        }
    }

    /// The MD5 digest of the message so far (the hasher stays usable).
    pub fn finalize(&self) -> [u8; 16] {
        let mut state = self.state;
        let mut tail = [0u8; 2 * BLOCK];
        tail[..self.partial_len].copy_from_slice(&self.partial[..self.partial_len]);
        tail[self.partial_len] = 0x80;
        let tail_len = if self.partial_len < BLOCK - 8 {
            BLOCK
        } else {
            2 * BLOCK
        };
        tail[tail_len - 8..tail_len].copy_from_slice(&self.len.wrapping_mul(8).to_le_bytes());
        compress_one(&mut state, &tail[..tail_len]);
        let mut out = [0u8; 16];
        for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};
    use rand::{Rng, RngCore, SeedableRng};

    fn reference(data: &[u8]) -> [u8; 16] {
        Md5::digest(data).into()
    }

    fn random_bytes(rng: &mut impl RngCore, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        rng.fill_bytes(&mut v);
        v
    }

    #[test]
    fn single_lane_matches_md5_at_block_edges() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for len in [
            0, 1, 2, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096,
        ] {
            let data = random_bytes(&mut rng, len);
            let mut hasher = Md5Hasher::new();
            hasher.update(&data);
            assert_eq!(hasher.finalize(), reference(&data), "length {len}");
            assert_eq!(hasher.len(), len as u64);
        }
    }

    #[test]
    fn single_lane_matches_md5_for_random_splits() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        for _ in 0..200 {
            let len = rng.gen_range(0..5000);
            let data = random_bytes(&mut rng, len);
            let mut hasher = Md5Hasher::new();
            let mut at = 0;
            while at < len {
                let n = rng.gen_range(0..=(len - at).min(300));
                hasher.update(&data[at..at + n]);
                at += n;
            }
            assert_eq!(hasher.finalize(), reference(&data), "length {len}");
        }
    }

    /// Hashes `inputs` through lanes: whole blocks in lockstep (idle lanes repeat lane 0's
    /// data into a scratch state), the rest through each hasher.
    fn hash_in_lanes(inputs: &[Vec<u8>; LANES], step: usize) -> [[u8; 16]; LANES] {
        let mut hashers: [Md5Hasher; LANES] = std::array::from_fn(|_| Md5Hasher::new());
        let mut offsets = [0usize; LANES];
        loop {
            let active: Vec<usize> = (0..LANES)
                .filter(|&l| inputs[l].len() - offsets[l] >= BLOCK)
                .collect();
            let Some(&first) = active.first() else { break };
            let mut states = [[0u32; 4]; LANES];
            let mut data: [&[u8]; LANES] = [&[]; LANES];
            let first_end = (offsets[first] + step).min(inputs[first].len());
            for l in 0..LANES {
                if active.contains(&l) {
                    states[l] = hashers[l].aligned_state().expect("aligned");
                    let end = (offsets[l] + step).min(inputs[l].len());
                    data[l] = &inputs[l][offsets[l]..end];
                } else {
                    states[l] = INIT;
                    data[l] = &inputs[first][offsets[first]..first_end];
                }
            }
            let done = compress_lanes(&mut states, data);
            assert!(done > 0 && done % BLOCK == 0);
            for &l in &active {
                hashers[l].advance_aligned(states[l], done);
                offsets[l] += done;
            }
        }
        for l in 0..LANES {
            hashers[l].update(&inputs[l][offsets[l]..]);
        }
        std::array::from_fn(|l| hashers[l].finalize())
    }

    #[test]
    fn lanes_match_md5_for_mixed_lengths() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let edge = [0usize, 1, 55, 56, 63, 64, 65, 128, 1000];
        for round in 0..150 {
            let inputs: [Vec<u8>; LANES] = std::array::from_fn(|_| {
                let len = if round % 2 == 0 {
                    edge[rng.gen_range(0..edge.len())]
                } else {
                    rng.gen_range(0..20_000)
                };
                random_bytes(&mut rng, len)
            });
            let step = BLOCK * rng.gen_range(1..40);
            let got = hash_in_lanes(&inputs, step);
            for l in 0..LANES {
                assert_eq!(
                    got[l],
                    reference(&inputs[l]),
                    "lane {l} of length {}",
                    inputs[l].len()
                );
            }
        }
    }

    #[test]
    fn lanes_match_md5_over_many_mebibytes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let inputs: [Vec<u8>; LANES] = std::array::from_fn(|l| {
            let len = (l + 1) * 1024 * 1024 + l * 7;
            random_bytes(&mut rng, len)
        });
        let got = hash_in_lanes(&inputs, 64 * 1024);
        for l in 0..LANES {
            assert_eq!(got[l], reference(&inputs[l]), "lane {l}");
        }
    }

    #[test]
    fn misaligned_advance_is_ignored() {
        let mut hasher = Md5Hasher::new();
        hasher.update(b"abc");
        assert!(hasher.aligned_state().is_none());
        hasher.advance_aligned([0; 4], 64);
        assert_eq!(hasher.finalize(), reference(b"abc"));
    }

    /// Throughput of the lanes against the `md-5` crate; run with
    /// `cargo test --release -p jitstore-oss-server --lib md5_lanes::tests::throughput -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn throughput() {
        let size = 64 * 1024 * 1024;
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let inputs: [Vec<u8>; LANES] = std::array::from_fn(|_| random_bytes(&mut rng, size));
        let mb = |bytes: usize, secs: f64| bytes as f64 / secs / 1e6;

        let t = std::time::Instant::now();
        let want = reference(&inputs[0]);
        let md5_crate = t.elapsed().as_secs_f64();

        let t = std::time::Instant::now();
        let mut one = Md5Hasher::new();
        one.update(&inputs[0]);
        let ours = t.elapsed().as_secs_f64();
        assert_eq!(one.finalize(), want);

        let t = std::time::Instant::now();
        let got = hash_in_lanes(&inputs, 64 * 1024);
        let lanes = t.elapsed().as_secs_f64();
        assert_eq!(got[0], want);

        println!(
            "md-5 crate: {:.0} MB/s; Md5Hasher single lane: {:.0} MB/s; {LANES} lanes: {:.0} MB/s \
             in total ({:.2}x md-5)",
            mb(size, md5_crate),
            mb(size, ours),
            mb(LANES * size, lanes),
            md5_crate * LANES as f64 / lanes
        );
    }
}
