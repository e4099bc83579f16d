//! Client knobs: timeouts and the retry policy (full-jitter exponential backoff).

use std::time::Duration;

use rand::Rng;

/// Connect and read timeouts.
///
/// The read timeout is an *idle* timeout: a request fails when no byte was sent or received
/// for that long (while uploading the body, waiting for the answer, or reading the answer), so
/// a large transfer that keeps moving never times out while a stalled one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Time allowed to establish the TCP (and TLS) connection.
    pub connect: Duration,
    /// Longest silence tolerated on a connection once the request started.
    pub read: Duration,
    /// Optional cap on a whole attempt (request and answer body), whatever the progress.
    pub total: Option<Duration>,
}

impl Default for Timeouts {
    /// Connect 5 s and read 10 s, like the official Go SDK v2; no total cap.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(10),
            total: None,
        }
    }
}

/// When and how often a failed request is retried.
///
/// Retries happen on 5xx, 408, 429, `RequestTimeTooSkewed`, network errors, timeouts and
/// upload CRC mismatches, and only for requests whose body can be sent again (bytes, files;
/// never a one-shot stream). The delay before retry *n* (1-based) is uniformly random in
/// `[0, min(max_delay, base_delay · 2^(n-1))]` ("full jitter").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first; 1 disables retries.
    pub max_attempts: u32,
    /// Backoff base.
    pub base_delay: Duration,
    /// Backoff cap.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms base, 20 s cap (the official SDKs' defaults).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The upper bound of the delay before retry number `retry` (1-based).
    pub fn delay_cap(&self, retry: u32) -> Duration {
        let shift = retry.saturating_sub(1).min(30);
        let exp = self.base_delay.saturating_mul(1u32 << shift);
        exp.min(self.max_delay)
    }

    /// A random full-jitter delay before retry number `retry` (1-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let cap = self.delay_cap(retry);
        if cap.is_zero() {
            return cap;
        }
        let nanos = rand::thread_rng().gen_range(0..=cap.as_nanos().min(u64::MAX as u128) as u64);
        Duration::from_nanos(nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_grow_exponentially_then_saturate() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_cap(1), Duration::from_millis(200));
        assert_eq!(p.delay_cap(2), Duration::from_millis(400));
        assert_eq!(p.delay_cap(3), Duration::from_millis(800));
        assert_eq!(p.delay_cap(8), Duration::from_millis(20_000));
        assert_eq!(p.delay_cap(1000), Duration::from_secs(20));
    }

    #[test]
    fn delays_are_within_the_cap_and_jittered() {
        let p = RetryPolicy::default();
        let samples: Vec<Duration> = (0..200).map(|_| p.delay(3)).collect();
        assert!(samples.iter().all(|d| *d <= Duration::from_millis(800)));
        let distinct: std::collections::BTreeSet<_> = samples.iter().collect();
        assert!(distinct.len() > 100, "no jitter: {distinct:?}");
        let zero = RetryPolicy {
            base_delay: Duration::ZERO,
            ..p
        };
        assert_eq!(zero.delay(5), Duration::ZERO);
    }
}
