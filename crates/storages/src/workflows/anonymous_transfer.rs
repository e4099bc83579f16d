//! Anonymous URL transfer (AgentBay's `upload_anonymous` / `download_anonymous`): plain HTTP
//! PUT and GET through presigned or public URLs, without credentials, of a file or a
//! directory (a public-read folder is listed anonymously).

use std::path::{Path, PathBuf};

use futures::stream::{self, StreamExt};
use jitstore_oss::encoding;
use jitstore_oss::transfer::ProgressFn;

use super::directory_transfer::{walk, DIRECTORY_CONCURRENCY};
use super::error::{redact_url, WorkflowError};
use super::listing_plan::plan_directory_download;
use super::names::segment_problem;
use super::plain_http;
use super::report::{Aggregate, FileOutcome, FileStatus, TransferReport};

/// Uploads a file with a plain HTTP PUT to `url` (presigned or public-write), without
/// credentials and without a Content-Type; or a directory, each file to `url` + its relative
/// path (only for URLs without a query: a presigned URL is valid for one key).
pub async fn upload_anonymous(
    url: &str,
    local_path: &Path,
    progress: Option<ProgressFn>,
) -> Result<TransferReport, WorkflowError> {
    let meta = tokio::fs::metadata(local_path)
        .await
        .map_err(|e| WorkflowError::io(local_path, e))?;
    let mut jobs: Vec<(String, PathBuf, u64)> = Vec::new();
    let mut files = Vec::new();
    if meta.is_file() {
        jobs.push((url.trim().to_owned(), local_path.to_path_buf(), meta.len()));
    } else {
        let base = url::Url::parse(url.trim())
            .map_err(|e| WorkflowError::invalid("url", format!("{}: {e}", redact_url(url))))?;
        if base.query().is_some() {
            return Err(WorkflowError::invalid(
                "url",
                "a directory needs a base URL without a query (a presigned URL covers one object only)",
            ));
        }
        let mut base_text = String::from(base);
        if !base_text.ends_with('/') {
            base_text.push('/');
        }
        for item in walk(local_path) {
            match item {
                Ok((rel, path, size)) => {
                    let encoded: Vec<String> =
                        rel.split('/').map(encoding::encode_strict).collect();
                    jobs.push((format!("{base_text}{}", encoded.join("/")), path, size));
                }
                Err(refused) => files.push(refused),
            }
        }
    }
    let aggregate = Aggregate::new(Some(jobs.iter().map(|j| j.2).sum()), progress);
    let done: Vec<FileOutcome> = stream::iter(jobs)
        .map(|(target, path, _)| {
            let per_file = aggregate.per_file();
            async move {
                match plain_http::put_file(&target, &[], &path, per_file.as_ref()).await {
                    Ok(put) => FileOutcome::succeeded(
                        redact_url(&target),
                        path,
                        put.size,
                        put.etag,
                        put.crc64,
                    ),
                    Err(e) => FileOutcome::failed(
                        redact_url(&target),
                        Some(path),
                        FileStatus::Error,
                        e.to_string(),
                    ),
                }
            }
        })
        .buffer_unordered(DIRECTORY_CONCURRENCY)
        .collect()
        .await;
    files.extend(done);
    Ok(TransferReport::sorted_by_key(files))
}

/// Downloads `url` (presigned or public) with a plain HTTP GET, without credentials, into
/// `local_path` (a file path, or an existing directory to hold it under the URL's file name),
/// through a temporary file renamed into place when complete.
///
/// A query-less URL whose path ends with `/` names a folder of a public-read bucket
/// (`http://127.0.0.1:9000/bucket/photos/` path-style for IP and `localhost` hosts, else
/// `https://bucket.oss-cn-hangzhou.aliyuncs.com/photos/`): it is listed anonymously
/// (ListObjectsV2) and every object under it is downloaded to `local_path` + its relative key;
/// keys that would land outside `local_path` are refused and reported, never written.
pub async fn download_anonymous(
    url: &str,
    local_path: &Path,
    progress: Option<ProgressFn>,
) -> Result<TransferReport, WorkflowError> {
    if let Some(folder) = PublicFolder::from_url(url)? {
        return folder.download(local_path, progress).await;
    }
    let target = if local_path.is_dir() {
        let parsed = url::Url::parse(url.trim())
            .map_err(|e| WorkflowError::invalid("url", format!("{}: {e}", redact_url(url))))?;
        let name = parsed
            .path_segments()
            .and_then(|mut s| s.next_back().map(str::to_owned))
            .and_then(|s| encoding::decode(&s).ok())
            .filter(|n| segment_problem(n).is_none() && !n.contains('\\') && !n.contains('/'))
            .unwrap_or_else(|| "downloaded_file".to_owned());
        local_path.join(name)
    } else {
        local_path.to_path_buf()
    };
    let outcome = match plain_http::get_to_file(url.trim(), &target, progress.as_ref()).await {
        Ok(got) => FileOutcome::succeeded(redact_url(url), got.path, got.size, None, got.crc64),
        Err(e) => FileOutcome::failed(
            redact_url(url),
            Some(target),
            FileStatus::Error,
            e.to_string(),
        ),
    };
    Ok(TransferReport::sorted_by_key(vec![outcome]))
}

/// Downloads `url` (presigned or public) with a plain HTTP GET, without credentials, into
/// `writer` (e.g. stdout), streamed; returns the byte count. Length and CRC-64 are checked
/// when the answer carries them (after the bytes were written: a pipe cannot take them back).
pub async fn download_anonymous_to_writer<W>(
    url: &str,
    writer: &mut W,
    progress: Option<ProgressFn>,
) -> Result<u64, WorkflowError>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    plain_http::get_to_writer(url.trim(), writer, progress.as_ref()).await
}

/// Largest listing page accepted from a server (1000 keys of 1023 bytes, URL-encoded, fit).
const MAX_LISTING_BYTES: usize = 16 * 1024 * 1024;

/// A folder of a public-read bucket named by a URL: the bucket's root URL and the key prefix.
struct PublicFolder {
    /// `scheme://host[:port]/` (virtual-hosted) or `scheme://host[:port]/bucket/` (path-style).
    root: String,
    /// The decoded key prefix, ending with `/` (or empty for the whole bucket).
    prefix: String,
}

impl PublicFolder {
    /// The folder a query-less URL ending with `/` names; `None` for any other URL.
    fn from_url(url: &str) -> Result<Option<PublicFolder>, WorkflowError> {
        let parsed = url::Url::parse(url.trim())
            .map_err(|e| WorkflowError::invalid("url", format!("{}: {e}", redact_url(url))))?;
        if parsed.query().is_some() || !parsed.path().ends_with('/') {
            return Ok(None);
        }
        let path = encoding::decode(parsed.path().trim_start_matches('/'))
            .map_err(|e| WorkflowError::invalid("url", format!("{}: {e}", redact_url(url))))?;
        let path_style = match parsed.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(_) => true,
            None => {
                return Err(WorkflowError::invalid(
                    "url",
                    format!("{} has no host", redact_url(url)),
                ))
            }
        };
        let mut root = parsed.clone();
        root.set_path("/");
        let mut root = String::from(root);
        let prefix = if path_style {
            let (bucket, rest) = path.split_once('/').unwrap_or((path.as_str(), ""));
            if encoding::validate_bucket_name(bucket).is_err() {
                return Err(WorkflowError::invalid(
                    "url",
                    format!(
                        "{} does not start with a bucket name (path-style for this host)",
                        redact_url(url)
                    ),
                ));
            }
            root.push_str(bucket);
            root.push('/');
            rest.to_owned()
        } else {
            path
        };
        Ok(Some(PublicFolder { root, prefix }))
    }

    /// The URL of one object of the bucket.
    fn object_url(&self, key: &str) -> String {
        let encoded: Vec<String> = key.split('/').map(encoding::encode_strict).collect();
        format!("{}{}", self.root, encoded.join("/"))
    }

    /// Every object under the prefix, listed anonymously page by page.
    async fn list(&self) -> Result<Vec<jitstore_oss::xml::ObjectSummary>, WorkflowError> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = format!(
                "list-type=2&max-keys=1000&encoding-type=url&prefix={}",
                encoding::encode_strict(&self.prefix)
            );
            if let Some(token) = &token {
                query.push_str("&continuation-token=");
                query.push_str(&encoding::encode_strict(token));
            }
            let url = format!("{}?{query}", self.root);
            let body = plain_http::get_document(&url, MAX_LISTING_BYTES).await?;
            let page = jitstore_oss::xml::parse_list_objects_v2(&body).map_err(|e| {
                WorkflowError::invalid("url", format!("{}: {e}", redact_url(&self.root)))
            })?;
            objects.extend(page.contents);
            match page.next_continuation_token {
                Some(next) if page.is_truncated => token = Some(next),
                _ => return Ok(objects),
            }
        }
    }

    /// Downloads every object under the prefix into `local_path`.
    async fn download(
        &self,
        local_path: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<TransferReport, WorkflowError> {
        let listed = self.list().await?;
        if listed.is_empty() {
            return Err(WorkflowError::invalid(
                "url",
                format!(
                    "nothing under {}",
                    redact_url(&self.object_url(&self.prefix))
                ),
            ));
        }
        let plan = plan_directory_download(
            &self.prefix,
            listed.into_iter().map(|o| (o.key, o.size)),
            local_path,
        );
        let mut files = plan.refused;
        let jobs = plan.jobs;
        let aggregate = Aggregate::new(Some(jobs.iter().map(|j| j.2).sum()), progress);
        let done: Vec<FileOutcome> = stream::iter(jobs)
            .map(|(key, path, _)| {
                let per_file = aggregate.per_file();
                let url = self.object_url(&key);
                async move {
                    match plain_http::get_to_file(&url, &path, per_file.as_ref()).await {
                        Ok(got) => FileOutcome::succeeded(key, got.path, got.size, None, got.crc64),
                        Err(e) => {
                            FileOutcome::failed(key, Some(path), FileStatus::Error, e.to_string())
                        }
                    }
                }
            })
            .buffer_unordered(DIRECTORY_CONCURRENCY)
            .collect()
            .await;
        files.extend(done);
        Ok(TransferReport::sorted_by_key(files))
    }
}
