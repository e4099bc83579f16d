//! Connections: the accept loop and the per-connection deadlines that keep hostile or stalled
//! clients from holding a connection forever.
//!
//! - *Header read timeout*: from the first byte of a request until its header is complete.
//! - *Idle timeout*: how long a keep-alive connection may wait for the next request.
//!
//! Both are enforced on the socket ([`TimedIo`]): the connection knows whether a request is
//! being served (from the moment its header is parsed until its response body is finished) and
//! fails a read that waits past the current deadline, which makes hyper drop the connection.
//! The minimum body rate is enforced on the request body stream
//! ([`crate::api::request::min_body_rate`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::State;
use bytes::Bytes;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

use crate::api::{self, AppState};
use crate::storage::lock;

/// The connection deadlines (`None`: no limit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deadlines {
    /// From the first byte of a request to the end of its header.
    pub header_read: Option<Duration>,
    /// Between the end of a response and the first byte of the next request.
    pub idle: Option<Duration>,
}

/// What a connection is doing, shared by its socket wrapper and its service.
#[derive(Debug)]
struct Phase {
    /// Requests whose response is not finished yet.
    active: usize,
    /// When the connection last became idle.
    idle_since: Instant,
    /// When the first byte of the next request's header arrived.
    head_started: Option<Instant>,
    /// A read that waits while a request is active (so without a deadline): woken when the
    /// last response finishes, so that it starts counting the idle deadline.
    parked_reader: Option<Waker>,
}

/// Per-connection state.
struct ConnState {
    deadlines: Deadlines,
    phase: Mutex<Phase>,
}

impl ConnState {
    fn new(deadlines: Deadlines) -> Arc<ConnState> {
        Arc::new(ConnState {
            deadlines,
            phase: Mutex::new(Phase {
                active: 0,
                idle_since: Instant::now(),
                head_started: None,
                parked_reader: None,
            }),
        })
    }

    /// The deadline a waiting read is held to, if any. While a request is active there is
    /// none, and `waker` is kept to be woken when the connection becomes idle.
    fn deadline(&self, waker: &Waker) -> Option<Instant> {
        let mut phase = lock(&self.phase);
        if phase.active > 0 {
            phase.parked_reader = Some(waker.clone());
            return None;
        }
        match phase.head_started {
            Some(start) => self.deadlines.header_read.map(|d| start + d),
            None => self.deadlines.idle.map(|d| phase.idle_since + d),
        }
    }

    fn bytes_arrived(&self) {
        let mut phase = lock(&self.phase);
        if phase.active == 0 && phase.head_started.is_none() {
            phase.head_started = Some(Instant::now());
        }
    }

    fn request_started(self: &Arc<Self>) -> RequestGuard {
        let mut phase = lock(&self.phase);
        phase.active += 1;
        phase.head_started = None;
        RequestGuard(self.clone())
    }
}

/// Marks a request as served until dropped (with its response body).
struct RequestGuard(Arc<ConnState>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let mut phase = lock(&self.0.phase);
        phase.active = phase.active.saturating_sub(1);
        let parked = if phase.active == 0 {
            phase.idle_since = Instant::now();
            phase.head_started = None;
            phase.parked_reader.take()
        } else {
            None
        };
        drop(phase);
        if let Some(reader) = parked {
            reader.wake();
        }
    }
}

/// A socket whose reads fail once they wait past the connection's header or idle deadline.
struct TimedIo<T> {
    inner: T,
    state: Arc<ConnState>,
    sleep: Pin<Box<Sleep>>,
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.state.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = this.state.deadline(cx.waker()) else {
                    return Poll::Pending;
                };
                if this.sleep.deadline() != deadline {
                    this.sleep.as_mut().reset(deadline);
                }
                if this.sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client was too slow to send a request header, or idle too long",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A response body that keeps its request counted as active until it is finished or dropped.
struct GuardedBody {
    inner: Body,
    _guard: RequestGuard,
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Accepts connections until `shutdown` fires, then lets in-flight requests finish.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    deadlines: Deadlines,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Without TCP_NODELAY, a response written as headers + body waits for the client's
        // delayed ACK (~40 ms) on every small request.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        connections.spawn(serve_connection(
            tcp,
            state.clone(),
            deadlines,
            stop_rx.clone(),
        ));
    }
    let _ = stop_tx.send(true);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(
    tcp: tokio::net::TcpStream,
    state: Arc<AppState>,
    deadlines: Deadlines,
    mut stop: watch::Receiver<bool>,
) {
    let conn_state = ConnState::new(deadlines);
    let io = TimedIo {
        inner: tcp,
        state: conn_state.clone(),
        sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
    };
    let service =
        hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let guard = conn_state.request_started();
            let state = state.clone();
            async move {
                let response = api::handle(State(state), request.map(Body::new)).await;
                Ok::<_, std::convert::Infallible>(response.map(|inner| GuardedBody {
                    inner,
                    _guard: guard,
                }))
            }
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The header deadline is enforced by `TimedIo` (hyper's own one also covers idle time).
    builder.timer(TokioTimer::new()).header_read_timeout(None);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        r = connection.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
