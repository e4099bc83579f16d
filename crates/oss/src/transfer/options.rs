//! Transfer knobs and the part-size rule.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::progress::ProgressFn;
use crate::error::OssError;

/// Default part size: 6 MiB, like the official Go and Python v2 SDKs.
pub const DEFAULT_PART_SIZE: u64 = 6 * 1024 * 1024;
/// Default number of parts (or ranges) in flight: 4.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Objects at least this large are uploaded in parts (and downloaded in ranges): 16 MiB.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
/// Smallest part OSS accepts (all parts but the last): 100 KiB.
pub const MIN_PART_SIZE: u64 = 100 * 1024;
/// Largest part OSS accepts: 5 GiB.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Most parts one multipart upload may have.
pub const MAX_PARTS: u64 = 10_000;

/// Smallest range of an adaptive download: 4 MiB.
pub const MIN_ADAPTIVE_RANGE: u64 = 4 * 1024 * 1024;
/// Largest range of an adaptive download: 64 MiB.
pub const MAX_ADAPTIVE_RANGE: u64 = 64 * 1024 * 1024;

/// How [`download_file`](super::download_file) splits an object at least
/// [`multipart_threshold`](TransferOptions::multipart_threshold) large into ranged GETs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DownloadRanges {
    /// The range size follows the object size (see [`adaptive_range_size`]; `part_size` is
    /// not used), and ranges in flight start at one, like a single stream, and grow one at a
    /// time up to `concurrency` while each added range raises the measured throughput (by
    /// 15 % or more); a range that lowered it is given back. With `concurrency: 1` the object
    /// comes in one GET.
    #[default]
    Adaptive,
    /// Ranges of exactly `part_size` bytes, `concurrency` of them in flight from the start.
    Fixed,
}

/// How a transfer is split and reported.
#[derive(Clone)]
pub struct TransferOptions {
    /// Preferred part size (and download range size with [`DownloadRanges::Fixed`]); grown
    /// when the object would otherwise need more than [`MAX_PARTS`] parts.
    pub part_size: u64,
    /// Parts or ranges in flight at once (at least 1); the most ranges in flight for
    /// [`DownloadRanges::Adaptive`].
    pub concurrency: usize,
    /// Size from which uploads use multipart and downloads use parallel ranges.
    pub multipart_threshold: u64,
    /// Where upload checkpoints live; `None` disables resume. With checkpoints, a multipart
    /// upload that fails transiently (network, 5xx, timeouts, after the retries) is kept for a
    /// later run; any other failure aborts it and removes its checkpoint.
    pub checkpoint_dir: Option<PathBuf>,
    /// Check downloads against the object's CRC-64 (uploads follow the client's CRC setting).
    pub verify_crc: bool,
    /// fsync a download's temporary file before renaming it into place (durable against power
    /// loss; costs about 0.6 s per GiB on the development machine). Off by default, like the
    /// official SDKs' downloaders: without it a crash of the OS (not of the process) may leave a
    /// renamed file whose data never reached the disk.
    pub sync_downloads: bool,
    /// How downloads are split into ranges (adaptive by default).
    pub download_ranges: DownloadRanges,
    /// Called with `(bytes done, total)` as data moves (total is `None` for a stream of
    /// unknown length).
    pub progress: Option<ProgressFn>,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            checkpoint_dir: None,
            verify_crc: true,
            sync_downloads: false,
            download_ranges: DownloadRanges::Adaptive,
            progress: None,
        }
    }
}

impl fmt::Debug for TransferOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferOptions")
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .field("verify_crc", &self.verify_crc)
            .field("sync_downloads", &self.sync_downloads)
            .field("download_ranges", &self.download_ranges)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl TransferOptions {
    /// Sets the progress callback.
    pub fn with_progress(mut self, f: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Enables resumable uploads with checkpoints in `dir`.
    pub fn with_checkpoint_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Checks the knobs.
    pub fn validate(&self) -> Result<(), OssError> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(OssError::invalid(
                "part size",
                format!(
                    "{} bytes is outside {MIN_PART_SIZE}..={MAX_PART_SIZE}",
                    self.part_size
                ),
            ));
        }
        if self.concurrency == 0 || self.concurrency > 64 {
            return Err(OssError::invalid(
                "concurrency",
                format!("{} is outside 1..=64", self.concurrency),
            ));
        }
        Ok(())
    }

    pub(crate) fn concurrency(&self) -> usize {
        self.concurrency.clamp(1, 64)
    }
}

/// The part size for an object of `size` bytes: `preferred`, grown (to a multiple of 1 MiB)
/// when `size` would otherwise need more than [`MAX_PARTS`] parts; an error above 10,000 parts
/// of 5 GiB.
pub fn part_size_for(size: u64, preferred: u64) -> Result<u64, OssError> {
    let preferred = preferred.clamp(MIN_PART_SIZE, MAX_PART_SIZE);
    if size.div_ceil(preferred) <= MAX_PARTS {
        return Ok(preferred);
    }
    const MIB: u64 = 1024 * 1024;
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    if needed > MAX_PART_SIZE {
        return Err(OssError::invalid(
            "object size",
            format!("{size} bytes exceed {MAX_PARTS} parts of {MAX_PART_SIZE} bytes"),
        ));
    }
    Ok(needed)
}

/// The range size of an adaptive download of `size` bytes with up to `concurrency` ranges in
/// flight: about eight ranges per stream (so the ranges still in flight at the end are a small
/// share of the whole), rounded down to whole MiB and kept within
/// [`MIN_ADAPTIVE_RANGE`]`..=`[`MAX_ADAPTIVE_RANGE`].
///
/// ```
/// use jitstore_oss::transfer::adaptive_range_size;
/// const MIB: u64 = 1024 * 1024;
/// assert_eq!(adaptive_range_size(512 * MIB, 4), 16 * MIB);
/// assert_eq!(adaptive_range_size(20 * MIB, 4), 4 * MIB);
/// assert_eq!(adaptive_range_size(100 * 1024 * MIB, 4), 64 * MIB);
/// ```
pub fn adaptive_range_size(size: u64, concurrency: usize) -> u64 {
    const MIB: u64 = 1024 * 1024;
    let streams = u64::try_from(concurrency.max(1)).unwrap_or(u64::MAX);
    let per_range = size / streams.saturating_mul(8);
    (per_range / MIB * MIB).clamp(MIN_ADAPTIVE_RANGE, MAX_ADAPTIVE_RANGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_grows_to_stay_within_ten_thousand_parts() {
        assert_eq!(
            part_size_for(1 << 30, DEFAULT_PART_SIZE).unwrap(),
            DEFAULT_PART_SIZE
        );
        let huge = 100u64 << 30; // 100 GiB needs > 10,000 parts of 6 MiB
        let size = part_size_for(huge, DEFAULT_PART_SIZE).unwrap();
        assert!(size > DEFAULT_PART_SIZE);
        assert!(huge.div_ceil(size) <= MAX_PARTS);
        assert_eq!(size % (1024 * 1024), 0);
        assert!(part_size_for(MAX_PART_SIZE * MAX_PARTS + 1, DEFAULT_PART_SIZE).is_err());
        assert_eq!(part_size_for(10, 1).unwrap(), MIN_PART_SIZE);
    }

    #[test]
    fn validation_names_the_bad_knob() {
        let bad = TransferOptions {
            part_size: 10,
            ..TransferOptions::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("part size"));
        let bad = TransferOptions {
            concurrency: 0,
            ..TransferOptions::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("concurrency"));
        TransferOptions::default().validate().unwrap();
    }
}
