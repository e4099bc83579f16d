//! Adaptive concurrency of ranged downloads: start with one range in flight, add one while the
//! measured throughput keeps growing, settle at the level that stopped paying.
//!
//! [`Ramp`] is a pure state machine fed with `(time since start, bytes received)`, so its rule
//! is tested without a clock: after each level change it skips a warm-up (the new range's
//! request is still on its way), then measures one window and compares the rate with the rate
//! of the level before.

use std::time::Duration;

/// Growth a new range must bring to justify the next one (15 %).
const GAIN: f64 = 1.15;
/// A new range that costs more than this (5 %) is given back.
const LOSS: f64 = 0.95;
/// Shortest measuring window, so a burst of buffered bytes is not taken for throughput.
const MIN_WINDOW: Duration = Duration::from_millis(20);

/// The ramp's state for one download.
#[derive(Debug, Clone)]
pub(crate) struct Ramp {
    max: usize,
    level: usize,
    settled: bool,
    /// Bytes to skip after a level change before measuring.
    warm_up: u64,
    /// Bytes one window must cover per range in flight.
    window_per_range: u64,
    phase: Phase,
    /// Rate measured at `level - 1` (bytes per second).
    previous_rate: Option<f64>,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for `until` bytes before opening a window.
    WarmingUp { until: u64 },
    /// Measuring from `(at, bytes)`.
    Measuring { at: Duration, bytes: u64 },
}

impl Ramp {
    /// A ramp up to `max` ranges in flight, measuring windows of `window` bytes per range (about
    /// one range's worth, so every stream delivers in each window).
    pub(crate) fn new(max: usize, window: u64) -> Ramp {
        let window = window.max(1);
        Ramp {
            max: max.max(1),
            level: 1,
            settled: max <= 1,
            warm_up: window,
            window_per_range: window,
            phase: Phase::WarmingUp { until: window },
            previous_rate: None,
        }
    }

    /// A ramp that starts (and stays) at `level`.
    pub(crate) fn fixed(level: usize) -> Ramp {
        Ramp {
            max: level.max(1),
            level: level.max(1),
            settled: true,
            warm_up: 0,
            window_per_range: 1,
            phase: Phase::WarmingUp { until: 0 },
            previous_rate: None,
        }
    }

    /// The most ranges this ramp may allow.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Ranges allowed in flight now.
    pub(crate) fn level(&self) -> usize {
        self.level
    }

    /// Whether the level no longer changes.
    pub(crate) fn is_settled(&self) -> bool {
        self.settled
    }

    /// Feeds the total bytes received `bytes` at `now` (since the download started); returns
    /// the level to use from now on.
    pub(crate) fn observe(&mut self, now: Duration, bytes: u64) -> usize {
        if self.settled {
            return self.level;
        }
        match self.phase {
            Phase::WarmingUp { until } => {
                if bytes >= until {
                    self.phase = Phase::Measuring { at: now, bytes };
                }
            }
            Phase::Measuring { at, bytes: from } => {
                let span = now.saturating_sub(at);
                let moved = bytes.saturating_sub(from);
                if span >= MIN_WINDOW && moved >= self.window_per_range * self.level as u64 {
                    let rate = moved as f64 / span.as_secs_f64();
                    self.decide(rate, bytes);
                }
            }
        }
        self.level
    }

    fn decide(&mut self, rate: f64, bytes: u64) {
        let grew = match self.previous_rate {
            None => true,
            Some(before) => rate >= before * GAIN,
        };
        if grew && self.level < self.max {
            self.previous_rate = Some(rate);
            self.level += 1;
            self.phase = Phase::WarmingUp {
                until: bytes + self.warm_up,
            };
            return;
        }
        if let Some(before) = self.previous_rate {
            if !grew && rate < before * LOSS {
                self.level -= 1;
            }
        }
        self.settled = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    /// Drives a ramp with a link whose throughput at `level` ranges is `rate(level)` MiB/s, in
    /// 1 ms steps; returns the levels taken, in order.
    fn drive(mut ramp: Ramp, rate: impl Fn(usize) -> f64, total: u64) -> Vec<usize> {
        let mut levels = vec![ramp.level()];
        let mut bytes = 0f64;
        let mut ms = 0u64;
        while (bytes as u64) < total {
            ms += 1;
            bytes += rate(ramp.level()) * MIB as f64 / 1000.0;
            let level = ramp.observe(Duration::from_millis(ms), bytes as u64);
            if levels.last() != Some(&level) {
                levels.push(level);
            }
        }
        levels
    }

    #[test]
    fn climbs_to_the_limit_while_each_range_adds_throughput() {
        let levels = drive(Ramp::new(4, 8 * MIB), |n| 100.0 * n as f64, 1024 * MIB);
        assert_eq!(levels, vec![1, 2, 3, 4]);
    }

    #[test]
    fn settles_when_a_new_range_brings_little() {
        // One stream already fills the link: the second range adds 2 %, below the 15 % bar,
        // so the ramp settles at 2 without taking a third (it does not cost either).
        let levels = drive(
            Ramp::new(8, 8 * MIB),
            |n| if n == 1 { 500.0 } else { 510.0 },
            1024 * MIB,
        );
        assert_eq!(levels, vec![1, 2]);
    }

    #[test]
    fn gives_back_a_range_that_costs_throughput() {
        let levels = drive(
            Ramp::new(8, 8 * MIB),
            |n| match n {
                1 => 300.0,
                2 => 450.0,
                _ => 400.0,
            },
            1024 * MIB,
        );
        assert_eq!(levels, vec![1, 2, 3, 2]);
    }

    #[test]
    fn never_exceeds_the_limit_nor_changes_once_settled() {
        let mut ramp = Ramp::new(3, MIB);
        for ms in 1..10_000u64 {
            let level = ramp.observe(Duration::from_millis(ms), ms * MIB);
            assert!((1..=3).contains(&level));
        }
        assert!(ramp.is_settled());
        let fixed = Ramp::fixed(5);
        assert_eq!(fixed.level(), 5);
        assert!(fixed.is_settled());
        let single = Ramp::new(1, MIB);
        assert!(single.is_settled());
        assert_eq!(single.level(), 1);
    }

    #[test]
    fn a_burst_shorter_than_the_minimum_window_is_not_a_rate() {
        let mut ramp = Ramp::new(4, MIB);
        ramp.observe(Duration::from_millis(1), MIB); // warm-up done
                                                     // 64 MiB "arrive" within 2 ms (bytes that sat in buffers): too short to judge.
        assert_eq!(ramp.observe(Duration::from_millis(3), 65 * MIB), 1);
        // Once the window is long enough, the rate counts.
        assert_eq!(ramp.observe(Duration::from_millis(40), 66 * MIB), 2);
    }
}
