//! Transfer managers built on the per-call client: multipart uploads with parallel parts and
//! resume, parallel ranged downloads, progress reporting.
//!
//! * [`upload_file`] streams a local file: one PutObject below the multipart threshold, above it
//!   a multipart upload with `concurrency` parts in flight (each part read from the file as it
//!   is sent, so memory stays at a few chunks per part whatever the size), the part size grown
//!   so no upload needs more than 10,000 parts, the upload aborted on failure (kept for resume
//!   only when a checkpoint is on and the failure was transient), and the CRC-64
//!   of the whole object (combined from the part CRCs) checked against the server's. With a
//!   [checkpoint directory](TransferOptions::checkpoint_dir) an interrupted upload resumes: the
//!   checkpoint names the upload id, the part size and the parts done; they are confirmed with
//!   ListParts (and their CRC-64) before being reused, and a changed source file restarts
//!   cleanly.
//! * [`upload_reader`] does the same for any `AsyncRead` (bounded buffers: at most
//!   `concurrency + 1` parts in memory).
//! * [`download_file`] fetches an object with ranged GETs into a temporary file next to the
//!   target, pinned to the object's ETag: by default it starts like a single stream and adds
//!   ranges while the throughput grows ([`DownloadRanges`]); each range is written at its place
//!   with positional writes as it arrives, its CRC-64 is the one the GET body computed on the
//!   way (never a second pass), and the ranges' CRCs are combined and checked against the
//!   object's before the file is renamed into place: the target path never holds a partial or
//!   corrupted file.
//! * A [`ProgressFn`] sees `(bytes done, total)`; a byte sent again by a retry is never counted
//!   twice.
//!
//! ```no_run
//! # async fn demo(client: jitstore_oss::client::Client) -> Result<(), jitstore_oss::error::OssError> {
//! use jitstore_oss::client::WriteOptions;
//! use jitstore_oss::transfer::{self, TransferOptions};
//!
//! let options = TransferOptions::default()
//!     .with_progress(|done, total| eprintln!("{done}/{total:?} bytes"));
//! let up = transfer::upload_file(&client, "videos/big.mp4", "big.mp4".as_ref(),
//!     WriteOptions::default(), &options).await?;
//! println!("{} bytes, crc64 {:?}, {} parts", up.size, up.crc64, up.parts);
//! transfer::download_file(&client, "videos/big.mp4", "copy.mp4".as_ref(), &options).await?;
//! # Ok(()) }
//! ```

mod checkpoint;
mod download;
mod options;
mod part_body;
mod progress;
mod ramp;
mod upload;

pub use checkpoint::{Checkpoint, CheckpointPart};
pub use download::{download_bytes, download_file, DownloadOutput};
pub use options::{
    adaptive_range_size, part_size_for, DownloadRanges, TransferOptions, DEFAULT_CONCURRENCY,
    DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, MAX_ADAPTIVE_RANGE, MAX_PARTS, MAX_PART_SIZE,
    MIN_ADAPTIVE_RANGE, MIN_PART_SIZE,
};
pub use progress::ProgressFn;
pub use upload::{upload_file, upload_reader, UploadOutput};
