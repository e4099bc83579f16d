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
/// Appending `len_b` bytes to `A` multiplies `crc(A)` by `x^(8·len_b)` modulo the polynomial
/// (the all-ones init and xor-out cancel between the two parts), so the result is
/// `crc_a · x^(8·len_b) mod P ⊕ crc_b`. The power is assembled from the table of
/// `x^(2^k) mod P`, one carry-less multiply per set bit of `len_b`: a few
/// hundred shifts at most, well under a microsecond, whatever the lengths.
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    multiply_mod_p(x_pow_8n(len_b), crc_a) ^ crc_b
}

/// Combines an ordered sequence of `(crc, len)` parts into the CRC of their concatenation.
pub fn combine_all<I: IntoIterator<Item = (u64, u64)>>(parts: I) -> u64 {
    parts
        .into_iter()
        .fold(0u64, |acc, (crc, len)| combine(acc, crc, len))
}

// Polynomials over GF(2) modulo the CRC polynomial P, in the reflected bit order the CRC uses:
// bit 63 holds the coefficient of x^0, bit 0 that of x^63.

/// The polynomial `x` (bit 62 in reflected order).
const X: u64 = 1 << 62;

/// `X_POW_2K[k]` = `x^(2^k) mod P`, for `k` up to 66: enough for `x^(8·n)` with any `u64` `n`
/// (`8·n < 2^67`). Built at compile time by repeated squaring of `x`.
const X_POW_2K: [u64; 67] = {
    let mut table = [0u64; 67];
    table[0] = X;
    let mut k = 1;
    while k < table.len() {
        table[k] = multiply_mod_p(table[k - 1], table[k - 1]);
        k += 1;
    }
    table
};

/// `p · x mod P`.
const fn times_x(p: u64) -> u64 {
    if p & 1 != 0 {
        (p >> 1) ^ POLY_REFLECTED
    } else {
        p >> 1
    }
}

/// `a · b mod P`: for each coefficient of `a` from `x^0` up, add `b · x^i` when it is set; stops
/// after `a`'s highest set power.
const fn multiply_mod_p(a: u64, b: u64) -> u64 {
    let (mut a, mut b, mut product) = (a, b, 0u64);
    while a != 0 {
        if a & (1 << 63) != 0 {
            product ^= b;
        }
        a <<= 1;
        b = times_x(b);
    }
    product
}

/// `x^(8·n) mod P`: the operator that appends `n` zero bytes to a CRC.
fn x_pow_8n(n: u64) -> u64 {
    // x^0 = 1 in reflected order.
    let mut power = 1u64 << 63;
    let mut rest = n;
    // Bit i of n stands for x^(8·2^i) = x^(2^(i+3)).
    let mut k = 3;
    while rest != 0 {
        if rest & 1 != 0 {
            power = multiply_mod_p(X_POW_2K[k], power);
        }
        rest >>= 1;
        k += 1;
    }
    power
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EBS: &[u8] = b"This is a test of the emergency broadcast system.";

    /// The former `combine`: zlib's GF(2) matrix squaring carried to 64 bits (slow, ~0.4 ms a
    /// call, but independent of the power table), kept as the reference for the fast one.
    fn matrix_combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
        fn times(matrix: &[u64; 64], mut vector: u64) -> u64 {
            let (mut sum, mut i) = (0u64, 0usize);
            while vector != 0 && i < 64 {
                if vector & 1 != 0 {
                    sum ^= matrix[i];
                }
                vector >>= 1;
                i += 1;
            }
            sum
        }
        fn square(square: &mut [u64; 64], matrix: &[u64; 64]) {
            for (n, slot) in square.iter_mut().enumerate() {
                *slot = times(matrix, matrix[n]);
            }
        }
        if len_b == 0 {
            return crc_a;
        }
        // `odd` = the operator for one zero bit; `even` is scratch.
        let (mut odd, mut even) = ([0u64; 64], [0u64; 64]);
        odd[0] = POLY_REFLECTED;
        for (i, slot) in odd.iter_mut().enumerate().skip(1) {
            *slot = 1 << (i - 1);
        }
        square(&mut even, &odd); // two zero bits
        square(&mut odd, &even); // four zero bits
        let (mut crc, mut remaining) = (crc_a, len_b);
        loop {
            square(&mut even, &odd); // first pass: one zero byte; each step doubles
            if remaining & 1 != 0 {
                crc = times(&even, crc);
            }
            remaining >>= 1;
            if remaining == 0 {
                break;
            }
            square(&mut odd, &even);
            if remaining & 1 != 0 {
                crc = times(&odd, crc);
            }
            remaining >>= 1;
            if remaining == 0 {
                break;
            }
        }
        crc ^ crc_b
    }

    #[test]
    fn power_table_starts_at_x_and_squares() {
        assert_eq!(X_POW_2K[0], X);
        // x^2, x^4, x^8, ... are single bits moving down until the degree reaches 64.
        assert_eq!(X_POW_2K[1], 1 << 61);
        assert_eq!(X_POW_2K[5], 1 << (63 - 32));
        // x^64 = the polynomial's low terms (reflected: the polynomial itself times x^0).
        assert_eq!(X_POW_2K[6], times_x(1));
        for k in 1..X_POW_2K.len() {
            assert_eq!(
                X_POW_2K[k],
                multiply_mod_p(X_POW_2K[k - 1], X_POW_2K[k - 1])
            );
        }
    }

    #[test]
    fn zero_bytes_operator_matches_hashing_zeros() {
        // crc(A ‖ 0^n) = combine(crc(A), crc(0^n), n) for lengths crossing every table row used.
        let a = checksum(b"123456789");
        for n in [1usize, 2, 3, 7, 8, 255, 256, 4095, 65_537, 1 << 20] {
            let mut joined = b"123456789".to_vec();
            joined.resize(9 + n, 0);
            assert_eq!(
                combine(a, checksum(&joined[9..]), n as u64),
                checksum(&joined),
                "n={n}"
            );
        }
    }

    #[test]
    fn fast_combine_equals_the_matrix_one_at_extreme_lengths() {
        let (a, b) = (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210);
        for len in [
            1,
            8 << 20,
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 61) + 12_345,
        ] {
            assert_eq!(combine(a, b, len), matrix_combine(a, b, len), "len={len}");
        }
    }

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

        #[test]
        fn fast_combine_equals_the_matrix_one(crc_a in any::<u64>(), crc_b in any::<u64>(),
                                              len_b in any::<u64>(), small in 0u64..100_000) {
            prop_assert_eq!(combine(crc_a, crc_b, len_b), matrix_combine(crc_a, crc_b, len_b));
            prop_assert_eq!(combine(crc_a, crc_b, small), matrix_combine(crc_a, crc_b, small));
        }

        #[test]
        fn combine_of_two_parts_equals_checksum_of_the_concatenation(
            a in proptest::collection::vec(any::<u8>(), 0..2048),
            b in proptest::collection::vec(any::<u8>(), 0..70_000)) {
            let mut both = a.clone();
            both.extend_from_slice(&b);
            prop_assert_eq!(combine(checksum(&a), checksum(&b), b.len() as u64), checksum(&both));
        }
    }
}
