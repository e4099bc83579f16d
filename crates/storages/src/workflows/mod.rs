//! Workflows on [`OssStorage`](crate::OssStorage) that three well-known products built on OSS,
//! done the way their users expect, without their bugs:
//!
//! * [`dify`]: the Dify OSS plugin's uploads — a directory mode (`no_subdirectory`,
//!   `yyyy_mm_dd_hierarchy`, `yyyy_mm_dd_combined`) in an explicit time zone, a filename mode
//!   (`filename`, `filename_timestamp`), checked names, and a result that carries the object
//!   key, source name, size, content type, ETag, CRC-64 and a correctly encoded URL;
//!   concurrent batch uploads with per-file outcomes.
//! * [`url_fetch`]: `get_file_by_url` for virtual-hosted, path-style, custom-domain and
//!   presigned URLs of the configured bucket, refusing other hosts (no SSRF).
//! * [`agentbay`]: `env_init` from STS credentials, file *or directory* `upload`/`download`
//!   with defined key mapping, and credential-less `upload_anonymous`/`download_anonymous`;
//!   [`any_storage`] does the directory `upload`/`download` on an element of any Type.
//! * [`dingtalk`]: the header-signed upload — `issue_upload` hands out a plain URL plus the
//!   exact signed headers, the client PUTs with [`put_with_signed_headers`],
//!   and `commit` moves the staged object into place under a conflict strategy.
//! * [`explain`]: presigned URLs at a fixed signing time, with the canonical request and the
//!   string-to-sign, for debugging signature mismatches.
//!
//! Every workflow streams file content (memory stays bounded) and returns structured results
//! (serialisable with serde) rather than message strings.

pub mod agentbay;
pub mod any_storage;
pub mod dify;
pub mod dingtalk;
mod error;
pub mod explain;
mod listing_plan;
mod names;
mod plain_http;
pub mod url_fetch;

pub use agentbay::{
    download_anonymous, download_anonymous_to_writer, upload_anonymous, EnvInit, FileOutcome,
    FileStatus, TransferReport, DIRECTORY_CONCURRENCY,
};
pub use dify::{
    extension_for, parse_time_zone, BatchStatus, Clock, DifyFile, DifyUploadOptions,
    DifyUploadResult, DirectoryMode, FileUploadOutcome, FilenameMode, MultiUploadReport, UrlChoice,
};
pub use dingtalk::{put_with_signed_headers, CommittedObject, ConflictStrategy, UploadTicket};
pub use error::WorkflowError;
pub use explain::ExplainedPresign;
pub use url_fetch::{FetchedFile, ResolvedUrl, UrlForm, UrlPolicy};

/// Serialises a time as RFC 3339 (chrono's serde support is not enabled in this workspace).
pub(crate) fn rfc3339<S: serde::Serializer>(
    t: &chrono::DateTime<chrono::Utc>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}
