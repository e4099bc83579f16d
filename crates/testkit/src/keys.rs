//! The credentials and bucket names every test shares. They are test values for a local
//! server only; each is distinctive, so a test can assert that a secret never appears in a
//! log, an error or an output.

/// Long-term AccessKey id (the `LTAI` prefix of real Alibaba Cloud keys).
pub const AK: &str = "LTAI-testkit-access-key";
/// The secret of [`AK`].
pub const SK: &str = "testkit-secret-Zq81!vL";
/// Temporary (STS) AccessKey id.
pub const STS_AK: &str = "STS.testkit-temporary-id";
/// The secret of [`STS_AK`].
pub const STS_SK: &str = "testkit-sts-secret-Kk20p";
/// The security token that must accompany [`STS_AK`].
pub const STS_TOKEN: &str = "testkit-sts-token-CAIS-0123456789";
/// The private bucket every kit server has unless told otherwise.
pub const BUCKET: &str = "test-bucket";
/// A public-read bucket (anonymous reads allowed), for servers that ask for one.
pub const PUBLIC_BUCKET: &str = "public-bucket";
/// A second private bucket, reachable with the same credentials.
pub const OTHER_BUCKET: &str = "other-bucket";
