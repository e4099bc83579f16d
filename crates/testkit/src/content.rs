//! Deterministic test data.

/// `len` pseudo-random bytes, the same for the same `seed` (xorshift; no `rand` dependency).
///
/// ```
/// let a = jitstore_testkit::content(1000, 7);
/// assert_eq!(a, jitstore_testkit::content(1000, 7));
/// assert_ne!(a, jitstore_testkit::content(1000, 8));
/// ```
pub fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
