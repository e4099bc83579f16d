//! Per-attempt bodies of parts and the retry loop around single-attempt requests.
//!
//! The transfer managers send parts as one-shot streams (so they see every byte leave and can
//! report progress), which the client never retries by itself; [`with_retries`] retries them
//! instead, with the client's policy, building a fresh stream for every attempt.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use tokio::io::AsyncSeekExt;

use super::progress::{PartMark, Tracker};
use crate::client::{file_chunks, Body, RetryPolicy, READ_CHUNK};
use crate::error::OssError;

/// Where the bytes of one part come from.
#[derive(Clone, Debug)]
pub(crate) enum PartSource {
    /// `len` bytes of a file from `offset`.
    File {
        path: Arc<PathBuf>,
        offset: u64,
        len: u64,
    },
    /// Bytes already in memory.
    Bytes(Bytes),
}

impl PartSource {
    pub(crate) fn len(&self) -> u64 {
        match self {
            PartSource::File { len, .. } => *len,
            PartSource::Bytes(b) => b.len() as u64,
        }
    }

    /// A fresh body for one attempt, reporting progress through `mark`.
    pub(crate) async fn body(
        &self,
        mark: Arc<PartMark>,
        tracker: Arc<Tracker>,
    ) -> Result<Body, OssError> {
        let len = self.len();
        let stream: BoxStream<'static, std::io::Result<Bytes>> = match self {
            PartSource::Bytes(b) => {
                let b = b.clone();
                let chunks: Vec<std::io::Result<Bytes>> = (0..b.len())
                    .step_by(READ_CHUNK)
                    .map(|start| Ok(b.slice(start..(start + READ_CHUNK).min(b.len()))))
                    .collect();
                futures::stream::iter(chunks).boxed()
            }
            PartSource::File { path, offset, len } => {
                let io = |source| OssError::Io {
                    path: path.to_path_buf(),
                    source,
                };
                let mut file = tokio::fs::File::open(path.as_path()).await.map_err(io)?;
                let size = file.metadata().await.map_err(io)?.len();
                if offset.saturating_add(*len) > size {
                    return Err(OssError::invalid(
                        "source file",
                        format!(
                            "{} shrank to {size} bytes while being uploaded",
                            path.display()
                        ),
                    ));
                }
                file.seek(std::io::SeekFrom::Start(*offset))
                    .await
                    .map_err(io)?;
                file_chunks(file.into_std().await, path, *len).boxed()
            }
        };
        let mut position = 0u64;
        let counted = stream.map(move |chunk| {
            if let Ok(c) = &chunk {
                position += c.len() as u64;
                mark.reached(position, &tracker);
            }
            chunk
        });
        Ok(Body::from_stream(counted, Some(len)))
    }
}

/// Runs `attempt` until it succeeds, fails with a non-retryable error, or the policy's attempts
/// are spent; sleeps a full-jitter delay between attempts.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: RetryPolicy,
    mut attempt: F,
) -> Result<T, OssError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, OssError>>,
{
    let max = policy.max_attempts.max(1);
    let mut n = 0u32;
    loop {
        n += 1;
        match attempt(n).await {
            Ok(v) => return Ok(v),
            Err(e) if n < max && e.is_retryable() => {
                let delay = policy.delay(n);
                tracing::warn!(error = %e, attempt = n, delay_ms = delay.as_millis() as u64, "transfer step failed; retrying");
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
}
