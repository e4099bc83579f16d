//! The Alibaba Cloud OSS wire protocol, shared by the `storages.OssType` element and the local
//! OSS-compatible server.
//!
//! Signing (V4 by default, V1 for legacy buckets) and its verification are pure functions over a
//! request description; the async [`client`] sends one request per OSS API call on top of them,
//! with retries, timeouts and CRC64 integrity checks.

#![warn(missing_docs)]

pub mod credentials;
pub mod encoding;
pub mod post_policy;
pub mod sign;

pub mod client;
pub mod crc64;
pub mod endpoint;
pub mod error;
pub mod transfer;
pub mod xml;
