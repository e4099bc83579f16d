//! [`Writer`]: the handle-level writer of one object — async methods that name the element,
//! Type, operation and key in errors, and a [`tokio::io::AsyncWrite`] implementation for
//! `tokio::io::copy` and friends.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::FutureExt;

use crate::error::{Error, StorageError};
use crate::types::{Operation, UploadResult};
use crate::write::ObjectWriter;

/// How many bytes [`Writer`]'s `AsyncWrite` side gathers before handing them to the Type.
const GATHER: usize = 1 << 20;

type Step<T> = BoxFuture<'static, (Box<dyn ObjectWriter>, Result<T, StorageError>)>;

enum State {
    Idle(Box<dyn ObjectWriter>),
    Writing(Step<()>),
    Finishing(Step<UploadResult>),
    Done,
}

/// The writer of one object, from [`StorageHandle::write`](crate::StorageHandle::write).
///
/// Write with [`put`](Writer::put) (or through `AsyncWrite`), then [`finish`](Writer::finish);
/// the object becomes visible only then. Dropping the writer unfinished (or
/// [`abort`](Writer::abort)) leaves nothing behind.
///
/// ```no_run
/// # async fn demo(store: jitstore_storages::StorageHandle) -> Result<(), Box<dyn std::error::Error>> {
/// use jitstore_storages::UploadOptions;
/// let mut writer = store.write("logs/big.bin", &UploadOptions::default()).await?;
/// let mut file = tokio::fs::File::open("big.bin").await?;
/// tokio::io::copy(&mut file, &mut writer).await?;
/// let result = writer.finish().await?;
/// println!("{} bytes, etag {}", result.size, result.etag);
/// # Ok(()) }
/// ```
pub struct Writer {
    state: State,
    gathered: BytesMut,
    result: Option<UploadResult>,
    element: Arc<str>,
    type_name: Arc<str>,
    key: String,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("element", &self.element)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Writer {
    pub(crate) fn new(
        inner: Box<dyn ObjectWriter>,
        element: Arc<str>,
        type_name: Arc<str>,
        key: &str,
    ) -> Writer {
        Writer {
            state: State::Idle(inner),
            gathered: BytesMut::new(),
            result: None,
            element,
            type_name,
            key: key.to_owned(),
        }
    }

    fn wrap(&self, error: StorageError) -> Error {
        Error::new(
            self.element.clone(),
            self.type_name.clone(),
            Operation::Write,
            Some(self.key.clone()),
            error,
        )
    }

    fn to_io(&self, error: StorageError) -> std::io::Error {
        std::io::Error::other(self.wrap(error))
    }

    /// Appends `data` to the object.
    pub async fn put(&mut self, data: impl Into<Bytes>) -> Result<(), Error> {
        futures::future::poll_fn(|cx| self.poll_idle(cx))
            .await
            .map_err(|e| self.wrap(e))?;
        let gathered = self.gathered.split().freeze();
        let data = data.into();
        let State::Idle(inner) = &mut self.state else {
            return Err(self.wrap(crate::write::writer_closed()));
        };
        let mut outcome = Ok(());
        if !gathered.is_empty() {
            outcome = inner.write(gathered).await;
        }
        if outcome.is_ok() && !data.is_empty() {
            outcome = inner.write(data).await;
        }
        outcome.map_err(|e| self.wrap(e))
    }

    /// Completes the object and makes it visible.
    pub async fn finish(mut self) -> Result<UploadResult, Error> {
        futures::future::poll_fn(|cx| self.poll_finish(cx))
            .await
            .map_err(|e| self.wrap(e))
    }

    /// Abandons the object: nothing becomes visible.
    pub async fn abort(mut self) -> Result<(), Error> {
        let _ = futures::future::poll_fn(|cx| self.poll_idle(cx)).await;
        match std::mem::replace(&mut self.state, State::Done) {
            State::Idle(mut inner) => inner.abort().await.map_err(|e| self.wrap(e)),
            _ => Ok(()),
        }
    }

    /// Waits for a pending step; leaves the state `Idle` (or `Done`).
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StorageError>> {
        match &mut self.state {
            State::Writing(step) => {
                let (inner, outcome) = ready!(step.poll_unpin(cx));
                self.state = State::Idle(inner);
                Poll::Ready(outcome)
            }
            State::Finishing(step) => {
                let (_, outcome) = ready!(step.poll_unpin(cx));
                self.state = State::Done;
                Poll::Ready(outcome.map(|result| {
                    self.result = Some(result);
                }))
            }
            State::Idle(_) | State::Done => Poll::Ready(Ok(())),
        }
    }

    /// Starts writing the gathered bytes, if any.
    fn start_write(&mut self) -> Result<(), StorageError> {
        if self.gathered.is_empty() {
            return Ok(());
        }
        let chunk = self.gathered.split().freeze();
        match std::mem::replace(&mut self.state, State::Done) {
            State::Idle(mut inner) => {
                self.state = State::Writing(Box::pin(async move {
                    let outcome = inner.write(chunk).await;
                    (inner, outcome)
                }));
                Ok(())
            }
            other => {
                self.state = other;
                Err(crate::write::writer_closed())
            }
        }
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<UploadResult, StorageError>> {
        loop {
            ready!(self.poll_idle(cx))?;
            if let Some(result) = &self.result {
                return Poll::Ready(Ok(result.clone()));
            }
            if !self.gathered.is_empty() {
                self.start_write()?;
                continue;
            }
            match std::mem::replace(&mut self.state, State::Done) {
                State::Idle(mut inner) => {
                    self.state = State::Finishing(Box::pin(async move {
                        let outcome = inner.finish().await;
                        (inner, outcome)
                    }));
                }
                _ => return Poll::Ready(Err(crate::write::writer_closed())),
            }
        }
    }
}

impl tokio::io::AsyncWrite for Writer {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if let Err(e) = ready!(this.poll_idle(cx)) {
            return Poll::Ready(Err(this.to_io(e)));
        }
        if matches!(this.state, State::Done) {
            return Poll::Ready(Err(this.to_io(crate::write::writer_closed())));
        }
        if this.gathered.len() >= GATHER {
            if let Err(e) = this.start_write() {
                return Poll::Ready(Err(this.to_io(e)));
            }
            if let Err(e) = ready!(this.poll_idle(cx)) {
                return Poll::Ready(Err(this.to_io(e)));
            }
        }
        let take = buf.len().min(GATHER - this.gathered.len().min(GATHER));
        this.gathered.extend_from_slice(&buf[..take]);
        Poll::Ready(Ok(take))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Err(e) = ready!(this.poll_idle(cx)) {
                return Poll::Ready(Err(this.to_io(e)));
            }
            if this.gathered.is_empty() || matches!(this.state, State::Done) {
                return Poll::Ready(Ok(()));
            }
            if let Err(e) = this.start_write() {
                return Poll::Ready(Err(this.to_io(e)));
            }
        }
    }

    /// Finishes the object (it becomes visible); [`Writer::finish`] afterwards returns the
    /// result.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match ready!(this.poll_finish(cx)) {
            Ok(_) => Poll::Ready(Ok(())),
            Err(e) => Poll::Ready(Err(this.to_io(e))),
        }
    }
}
