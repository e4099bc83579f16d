//! CRC-64/XZ, the checksum OSS reports in `x-oss-hash-crc64ecma`.
//!
//! OSS calls it "crc64ecma"; it is the reflected ECMA-182 polynomial with all-ones init and
//! xor-out (Go's `crc64.MakeTable(crc64.ECMA)`), known in catalogues as CRC-64/XZ. The hashing
//! itself is done by the SIMD-accelerated `crc64fast` crate; this module adds a streaming
//! [`Crc64`] hasher, header parsing/formatting, and [`combine`], the GF(2) combination that
//! derives the CRC of a concatenation from the CRCs of its parts (needed to check multipart
//! uploads, whose server-side CRC is the combination of the part CRCs).
//!
//! ```
//! use jitstore_oss::crc64::{checksum, combine, Crc64};
//!
//! assert_eq!(checksum(b"123456789"), 11051210869376104954);
//! let mut h = Crc64::new();
//! h.update(b"1234");
//! h.update(b"56789");
//! assert_eq!(h.finish(), checksum(b"123456789"));
//! assert_eq!(combine(checksum(b"1234"), checksum(b"56789"), 5), checksum(b"123456789"));
//! ```

/// The reflected CRC-64/XZ (ECMA-182) polynomial.
const POLY_REFLECTED: u64 = 0xC96C_5795_D787_0F42;

/// The name of the response header carrying the server's CRC-64 (decimal).
pub const HEADER: &str = "x-oss-hash-crc64ecma";

/// A streaming CRC-64/XZ hasher: feed bytes in any number of pieces, read the value at any time.
#[derive(Clone, Default)]
pub struct Crc64 {
    digest: crc64fast::Digest,
    len: u64,
}

impl std::fmt::Debug for Crc64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crc64")
            .field("value", &self.finish())
            .field("len", &self.len)
            .finish()
    }
}

impl Crc64 {
    /// A hasher over the empty input (whose CRC is 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `bytes` into the running checksum.
    pub fn update(&mut self, bytes: &[u8]) {
        self.digest.write(bytes);
        self.len += bytes.len() as u64;
    }

    /// The CRC-64 of everything fed so far (the hasher stays usable).
    pub fn finish(&self) -> u64 {
        self.digest.sum64()
    }

    /// How many bytes were fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no byte was fed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The CRC-64/XZ of `bytes` in one call.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut h = Crc64::new();
    h.update(bytes);
    h.finish()
}

/// Parses the decimal value of an `x-oss-hash-crc64ecma` header; `None` if it is not a `u64`.
pub fn parse_header(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok()
}

/// The CRC of `A ‖ B` from `crc_a = crc(A)`, `crc_b = crc(B)` and `len_b = |B|`, without the data.
///
/// This is zlib's `crc32_combine` carried over to 64 bits: appending `len_b` zero bytes to `A`
/// is a linear map over GF(2), applied by repeated squaring of the one-zero-bit operator.
/// Cost is O(64² · log len_b) bit operations, independent of the data size.
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    // `odd` = operator for one zero bit; `even` is scratch.
    let mut odd = [0u64; 64];
    let mut even = [0u64; 64];
    odd[0] = POLY_REFLECTED;
    let mut row = 1u64;
    for slot in odd.iter_mut().skip(1) {
        *slot = row;
        row <<= 1;
    }
    gf2_square(&mut even, &odd); // two zero bits
    gf2_square(&mut odd, &even); // four zero bits

    let mut crc = crc_a;
    let mut remaining = len_b;
    loop {
        // First pass turns `odd` (4 bits) into `even` = one zero byte; each step doubles.
        gf2_square(&mut even, &odd);
        if remaining & 1 != 0 {
            crc = gf2_times(&even, crc);
        }
        remaining >>= 1;
        if remaining == 0 {
            break;
        }
        gf2_square(&mut odd, &even);
        if remaining & 1 != 0 {
            crc = gf2_times(&odd, crc);
        }
        remaining >>= 1;
        if remaining == 0 {
            break;
        }
    }
    crc ^ crc_b
}

/// Combines an ordered sequence of `(crc, len)` parts into the CRC of their concatenation.
pub fn combine_all<I: IntoIterator<Item = (u64, u64)>>(parts: I) -> u64 {
    parts
        .into_iter()
        .fold(0u64, |acc, (crc, len)| combine(acc, crc, len))
}

fn gf2_times(matrix: &[u64; 64], mut vector: u64) -> u64 {
    let mut sum = 0u64;
    let mut i = 0usize;
    while vector != 0 && i < 64 {
        if vector & 1 != 0 {
            sum ^= matrix[i];
        }
        vector >>= 1;
        i += 1;
    }
    sum
}

fn gf2_square(square: &mut [u64; 64], matrix: &[u64; 64]) {
    for (n, slot) in square.iter_mut().enumerate() {
        *slot = gf2_times(matrix, matrix[n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EBS: &[u8] = b"This is a test of the emergency broadcast system.";

    #[test]
    fn spec_check_values() {
        assert_eq!(checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
        assert_eq!(checksum(b"123456789"), 11_051_210_869_376_104_954);
        assert_eq!(checksum(EBS), 0x27DB_187F_C15B_BC72);
        assert_eq!(checksum(b""), 0);
    }

    #[test]
    fn spec_concatenation_vector() {
        let mut both = b"123456789".to_vec();
        both.extend_from_slice(EBS);
        assert_eq!(checksum(&both), 0x6A7A_A19F_CBF4_8688);
        assert_eq!(
            combine(checksum(b"123456789"), checksum(EBS), EBS.len() as u64),
            0x6A7A_A19F_CBF4_8688
        );
    }

    #[test]
    fn combine_with_empty_parts() {
        let c = checksum(b"abc");
        assert_eq!(combine(c, 0, 0), c);
        assert_eq!(combine(0, c, 3), c);
        assert_eq!(combine_all([(0, 0), (c, 3), (0, 0)]), c);
    }

    #[test]
    fn header_parsing() {
        assert_eq!(
            parse_header(" 8707180448768400016 "),
            Some(8_707_180_448_768_400_016)
        );
        assert_eq!(parse_header("-1"), None);
        assert_eq!(parse_header("0x12"), None);
        assert_eq!(parse_header("18446744073709551616"), None);
    }

    proptest! {
        #[test]
        fn streaming_equals_one_shot(data in proptest::collection::vec(any::<u8>(), 0..4096), cut in 0usize..4096) {
            let cut = cut.min(data.len());
            let mut h = Crc64::new();
            h.update(&data[..cut]);
            h.update(&data[cut..]);
            prop_assert_eq!(h.finish(), checksum(&data));
            prop_assert_eq!(h.len(), data.len() as u64);
        }

        #[test]
        fn combine_random_splits(data in proptest::collection::vec(any::<u8>(), 0..8192),
                                 cuts in proptest::collection::vec(0usize..8192, 0..6)) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.push(0);
            cuts.push(data.len());
            cuts.sort_unstable();
            let parts = cuts.windows(2).map(|w| {
                let part = &data[w[0]..w[1]];
                (checksum(part), part.len() as u64)
            });
            prop_assert_eq!(combine_all(parts), checksum(&data));
        }
    }
}
