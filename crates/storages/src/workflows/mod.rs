//! Workflows on [`OssStorage`](crate::OssStorage), named by what they do; each is done the
//! way the users of a well-known product built on OSS expect, without that product's bugs:
//!
//! * [`key_layout`]: uploads laid out by key (the Dify OSS plugin's) — a directory mode
//!   (`no_subdirectory`, `yyyy_mm_dd_hierarchy`, `yyyy_mm_dd_combined`) in an explicit time
//!   zone, a filename mode (`filename`, `filename_timestamp`), checked names, and a result
//!   that carries the object key, source name, size, content type, ETag, CRC-64 and a
//!   correctly encoded URL; concurrent batch uploads with per-file outcomes.
//! * [`url_fetch`]: `get_file_by_url` (Dify) for virtual-hosted, path-style, custom-domain and
//!   presigned URLs of the configured bucket, refusing other hosts (no SSRF).
//! * [`env_init`]: AgentBay's `env_init`, an OssType from STS credentials.
//! * [`directory_transfer`]: AgentBay's file *or directory* `upload`/`download` with defined
//!   key mapping.
//! * [`anonymous_transfer`]: AgentBay's credential-less `upload_anonymous` /
//!   `download_anonymous` through presigned or public URLs.
//! * [`staged_upload`]: DingTalk's header-signed upload — `issue_upload` hands out a plain URL
//!   plus the exact signed headers, the client PUTs with [`put_with_signed_headers`], and
//!   `commit` moves the staged object into place under a conflict strategy.
//! * [`presign_debug`]: presigned URLs at a fixed signing time, with the canonical request and
//!   the string-to-sign, for debugging signature mismatches (`jitstore sign --explain`).
//! * [`OssWorkflows`]: the extension trait that puts these workflows on `OssStorage`.
//! * [`report`]: the batch status and per-file outcomes the batch workflows return.
//! * [`any_storage`]: directory `upload`/`download` (`sync-up`/`sync-down`) on an element of
//!   any Type, with the same key mapping and report as [`directory_transfer`].
//! * [`any_key_layout`]: the [`key_layout`] uploads (`upload`/`upload-many`) on an element of
//!   any Type, with the same keys and results, written through the Type's streaming upload.
//!
//! Every workflow streams file content (memory stays bounded) and returns structured results
//! (serialisable with serde) rather than message strings.

pub mod anonymous_transfer;
pub mod any_key_layout;
pub mod any_storage;
pub mod directory_transfer;
pub mod env_init;
mod error;
pub mod key_layout;
mod listing_plan;
mod names;
mod oss_workflows;
mod plain_http;
pub mod presign_debug;
pub mod report;
pub mod staged_upload;
pub mod url_fetch;

pub use anonymous_transfer::{download_anonymous, download_anonymous_to_writer, upload_anonymous};
pub use directory_transfer::DIRECTORY_CONCURRENCY;
pub use env_init::EnvInit;
pub use error::WorkflowError;
pub use key_layout::{
    extension_for, parse_time_zone, Clock, DifyFile, DifyUploadOptions, DifyUploadResult,
    DirectoryMode, FileUploadOutcome, FilenameMode, MultiUploadReport, UrlChoice,
};
pub use oss_workflows::OssWorkflows;
pub use presign_debug::ExplainedPresign;
pub use report::{BatchReport, BatchStatus, FileOutcome, FileResult, FileStatus, TransferReport};
pub use staged_upload::{
    put_with_signed_headers, CommittedObject, ConflictStrategy, UploadTicket, STAGING_PREFIX,
};
pub use url_fetch::{FetchedFile, ResolvedUrl, UrlForm, UrlPolicy};

/// A time cut to whole seconds (what signatures and tickets carry), so that chrono's serde
/// form is RFC 3339 without a fraction (`2024-05-06T07:08:09Z`).
pub(crate) fn whole_seconds(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::SubsecRound::trunc_subsecs(t, 0)
}

#[cfg(test)]
mod time_format_tests {
    #[test]
    fn times_serialise_as_rfc3339_in_whole_seconds() {
        let t = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09.987654321Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let json = serde_json::to_string(&super::whole_seconds(t)).unwrap();
        assert_eq!(json, "\"2024-05-06T07:08:09Z\"");
    }
}
