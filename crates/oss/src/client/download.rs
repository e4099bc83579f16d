//! The streaming body of GetObject, with the CRC-64 check of full downloads.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use super::file_writer::PositionalWriter;
use super::types::{ContentRange, ObjectMeta};
use crate::crc64::Crc64;
use crate::error::OssError;

/// Result of GetObject: metadata now, content as a stream.
#[derive(Debug)]
pub struct GetObjectOutput {
    /// Response metadata (for a ranged read, `content_length` is the range length and `crc64`
    /// is the whole object's).
    pub meta: ObjectMeta,
    /// `Content-Range` of a `206` answer.
    pub content_range: Option<ContentRange>,
    /// The content.
    pub body: ObjectBody,
}

/// The content of a GetObject answer, as a stream of chunks.
///
/// The CRC-64 of the bytes is computed once, as they pass (see [`received`](Self::received)):
/// for a full read (no range) whose answer carries `x-oss-hash-crc64ecma`, it is compared at
/// the end and a mismatch is yielded as a final [`OssError::CrcMismatch`] item instead of a
/// clean end of stream; for a ranged read it is the range's CRC, which a caller combines with
/// [`crc64::combine`](crate::crc64::combine) into the object's without hashing again. Each chunk
/// must arrive within the client's read timeout.
pub struct ObjectBody {
    inner: BoxStream<'static, Result<Bytes, reqwest::Error>>,
    key: String,
    expected_crc: Option<u64>,
    crc: Crc64,
    read_timeout: Duration,
    /// When the last chunk arrived (the idle timeout runs from there).
    last_progress: Instant,
    /// The idle-timeout timer, created at the first wait and moved forward only when it fires
    /// early (so receiving a chunk costs no timer registration).
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    done: bool,
}

impl fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectBody")
            .field("key", &self.key)
            .field("expected_crc", &self.expected_crc)
            .field("received", &self.crc.len())
            .finish()
    }
}

impl ObjectBody {
    pub(crate) fn new(
        response: reqwest::Response,
        key: &str,
        expected_crc: Option<u64>,
        read_timeout: Duration,
    ) -> ObjectBody {
        ObjectBody {
            inner: response.bytes_stream().boxed(),
            key: key.to_owned(),
            expected_crc,
            crc: Crc64::new(),
            read_timeout,
            last_progress: Instant::now(),
            sleep: None,
            done: false,
        }
    }

    /// Whether the CRC-64 of this body will be verified at its end.
    pub fn is_crc_checked(&self) -> bool {
        self.expected_crc.is_some()
    }

    /// The running CRC-64 of the bytes this body has yielded so far, and their count
    /// ([`Crc64::len`]). Read it after the stream ends (or breaks) to get the CRC of what
    /// arrived without hashing the bytes a second time; for a ranged read, combine the ranges'
    /// values with [`crc64::combine`](crate::crc64::combine).
    ///
    /// ```no_run
    /// # async fn demo(client: jitstore_oss::client::Client) -> Result<(), jitstore_oss::error::OssError> {
    /// use futures::StreamExt;
    /// use jitstore_oss::client::{ByteRange, GetObjectOptions};
    /// use jitstore_oss::crc64;
    ///
    /// let mut parts = Vec::new();
    /// for (first, last) in [(0, 99), (100, 199)] {
    ///     let options = GetObjectOptions { range: Some(ByteRange::Inclusive(first, last)),
    ///         ..GetObjectOptions::default() };
    ///     let mut body = client.get_object("data.bin", options).await?.body;
    ///     while let Some(chunk) = body.next().await {
    ///         let _bytes = chunk?; // store them somewhere
    ///     }
    ///     parts.push((body.received().finish(), body.received().len()));
    /// }
    /// let crc_of_the_first_200_bytes = crc64::combine_all(parts);
    /// # let _ = crc_of_the_first_200_bytes; Ok(()) }
    /// ```
    pub fn received(&self) -> &Crc64 {
        &self.crc
    }

    /// Reads the whole content into memory (verified when [`is_crc_checked`](Self::is_crc_checked)).
    pub async fn bytes(mut self) -> Result<Bytes, OssError> {
        let mut out = bytes::BytesMut::new();
        while let Some(chunk) = self.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.freeze())
    }

    /// The content as a [`tokio::io::AsyncRead`]; errors (including a CRC mismatch at the
    /// end) surface as `std::io::Error`s wrapping the [`OssError`].
    pub fn into_async_read(self) -> impl tokio::io::AsyncRead + Send + Unpin {
        tokio_util::io::StreamReader::new(self.map(|r| r.map_err(std::io::Error::other)))
    }

    /// Streams the content into `writer`, returning the number of bytes written. Returns the
    /// CRC error after writing everything if the content was corrupted: the caller must then
    /// discard what was written.
    pub async fn write_to<W>(mut self, writer: &mut W) -> Result<u64, OssError>
    where
        W: tokio::io::AsyncWrite + Unpin,
    {
        let mut written = 0u64;
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            writer.write_all(&chunk).await.map_err(|e| OssError::Io {
                path: PathBuf::from("<writer>"),
                source: e,
            })?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(|e| OssError::Io {
            path: PathBuf::from("<writer>"),
            source: e,
        })?;
        Ok(written)
    }

    /// Downloads into `path` through a temporary file in the same directory (written with
    /// positional writes off the async threads, no copy of the received chunks), synced and
    /// renamed into place only when the whole content arrived and (for full reads) its CRC-64
    /// matched; on any failure the temporary file is removed and `path` is left untouched.
    pub async fn save_to_file(mut self, path: &Path) -> Result<u64, OssError> {
        let io = |source| OssError::Io {
            path: path.to_owned(),
            source,
        };
        let temp = jitstore_util::atomic_file::temp_path_beside(path, ".part");
        let result = async {
            let file = tokio::fs::File::create(&temp).await.map_err(io)?;
            let file = std::sync::Arc::new(file.into_std().await);
            let mut writer =
                PositionalWriter::new(file.clone(), std::sync::Arc::from(temp.as_path()), 0);
            let mut written = 0u64;
            while let Some(chunk) = self.next().await {
                let chunk = chunk?;
                written += chunk.len() as u64;
                writer.push(chunk).await?;
            }
            writer.finish().await?;
            let (temp, target) = (temp.clone(), path.to_owned());
            tokio::task::spawn_blocking(move || {
                jitstore_util::atomic_file::commit_synced(&file, &temp, &target)
            })
            .await
            .map_err(|e| io(std::io::Error::other(e.to_string())))?
            .map_err(io)?;
            Ok(written)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        result
    }
}

impl Stream for ObjectBody {
    type Item = Result<Bytes, OssError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        match this.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.last_progress = Instant::now();
                this.crc.update(&chunk);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                Poll::Ready(Some(Err(super::transport::map_reqwest(
                    "GetObject",
                    e,
                    this.read_timeout,
                ))))
            }
            Poll::Ready(None) => {
                this.done = true;
                match this.expected_crc {
                    Some(server) if server != this.crc.finish() => {
                        Poll::Ready(Some(Err(OssError::CrcMismatch {
                            operation: "GetObject",
                            key: this.key.clone(),
                            client: this.crc.finish(),
                            server,
                        })))
                    }
                    _ => Poll::Ready(None),
                }
            }
            Poll::Pending => {
                let timeout = this.read_timeout;
                let deadline = this.last_progress + timeout;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                loop {
                    match sleep.as_mut().poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        // Fired at an old deadline while bytes kept coming: move it on.
                        Poll::Ready(()) if sleep.deadline() < deadline => {
                            sleep.as_mut().reset(deadline);
                        }
                        Poll::Ready(()) => {
                            this.done = true;
                            return Poll::Ready(Some(Err(OssError::Timeout {
                                operation: "GetObject",
                                after: timeout,
                            })));
                        }
                    }
                }
            }
        }
    }
}
