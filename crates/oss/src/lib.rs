//! The Alibaba Cloud OSS wire protocol, shared by the `storages.OssType` element and the local
//! OSS-compatible server.
//!
//! Signing (V4 by default, V1 for legacy buckets) and its verification are pure functions over a
//! request description; the async [`client`] sends one request per OSS API call on top of them,
//! with retries, timeouts and CRC64 integrity checks.

pub mod credentials;
pub mod encoding;
pub mod post_policy;
pub mod sign;

pub mod client;
pub mod crc64;
pub mod endpoint;
pub mod error;
pub mod transfer;
/// OSS's XML bodies: the parsers and builders behind the client (and the local server's tests).
/// Not a user surface: the result types the client returns are re-exported from [`client`].
#[doc(hidden)]
pub mod xml;
