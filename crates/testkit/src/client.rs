//! Clients pointed at a [`Peer`]: a plain HTTP client for raw requests and a
//! `jitstore_oss` client signing with the kit's credentials.

use std::time::Duration;

use jitstore_oss::client::{Client, RetryPolicy};
use jitstore_oss::credentials::StaticProvider;

use crate::keys::{AK, SK};
use crate::Peer;

/// A plain HTTP client for raw requests to a local server (no proxy, whatever the
/// environment says).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("build an HTTP client: {e}"))
}

impl Peer {
    /// A `jitstore_oss` client on `bucket` of this server: V4 with [`AK`]/[`SK`], and quick
    /// retries (4 attempts, 20 ms base delay) so fault tests stay fast.
    pub fn client(&self, bucket: &str) -> Client {
        Client::builder()
            .endpoint(self.server.endpoint())
            .bucket(bucket)
            .region(self.server.region())
            .credentials(StaticProvider::from_keys(AK, SK))
            .retry_policy(RetryPolicy {
                max_attempts: 4,
                base_delay: Duration::from_millis(20),
                max_delay: Duration::from_millis(200),
            })
            .build()
            .unwrap_or_else(|e| panic!("build an OSS client on {bucket}: {e}"))
    }
}
