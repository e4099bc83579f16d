//! Key layout (the Dify OSS plugin's uploads): `upload_file` and `multi_upload_files` place
//! each file at a key built from a directory mode and a filename mode, done right.
//!
//! Object key = `{directory}/{date part}/{filename}`:
//!
//! | [`DirectoryMode`] | key |
//! |---|---|
//! | `no_subdirectory` | `dir/name.ext` |
//! | `yyyy_mm_dd_hierarchy` | `dir/2025/09/22/name.ext` |
//! | `yyyy_mm_dd_combined` | `dir/20250922/name.ext` |
//!
//! and [`FilenameMode::FilenameTimestamp`] makes `name_YYYYMMDDHHMMSSmmm.ext` (17 digits,
//! milliseconds). Dates come from an injectable [`Clock`] in an explicit time zone
//! ([`DifyUploadOptions::time_zone`], UTC by default) — never the process's local time.
//! The extension comes from the original name, else from the content type, else `.dat`.
//! Directories and names are checked: no leading `/` or `\`, no `.`/`..` segments, no
//! control characters, names at most 255 bytes, keys at most 1023 bytes.
//!
//! ```
//! use chrono::{FixedOffset, TimeZone, Utc};
//! use jitstore_storages::workflows::{DifyUploadOptions, DirectoryMode, FilenameMode};
//!
//! let at = Utc.with_ymd_and_hms(2025, 9, 22, 14, 30, 15).unwrap()
//!     + chrono::Duration::milliseconds(123);
//! let options = DifyUploadOptions::new("reports/2025")
//!     .directory_mode(DirectoryMode::YyyyMmDdHierarchy)
//!     .filename_mode(FilenameMode::FilenameTimestamp)
//!     .time_zone(FixedOffset::east_opt(8 * 3600).unwrap())
//!     .fixed_clock(at);
//! let key = options.object_key(Some("Q3 Report.PDF"), None, None).unwrap();
//! assert_eq!(key, "reports/2025/2025/09/22/Q3 Report_20250922223015123.pdf");
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use futures::stream::{self, StreamExt};
use jitstore_oss::transfer::ProgressFn;
use serde::{Deserialize, Serialize};

use super::error::WorkflowError;
use super::names::{segment_problem, MAX_KEY_BYTES};
use super::report::{Aggregate, BatchReport, FileResult};
use crate::handle::StorageHandle;
use crate::oss::OssStorage;
use crate::storage::Storage;
use crate::types::{UploadOptions, DEFAULT_CONTENT_TYPE};
use crate::UrlMode;

/// A source of "now" (inject a fixed one in tests).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Where under `directory` the file goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryMode {
    /// `dir/name` (the default).
    #[default]
    NoSubdirectory,
    /// `dir/YYYY/MM/DD/name`.
    YyyyMmDdHierarchy,
    /// `dir/YYYYMMDD/name`.
    YyyyMmDdCombined,
}

impl FromStr for DirectoryMode {
    type Err = WorkflowError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "no_subdirectory" => Ok(DirectoryMode::NoSubdirectory),
            "yyyy_mm_dd_hierarchy" => Ok(DirectoryMode::YyyyMmDdHierarchy),
            "yyyy_mm_dd_combined" => Ok(DirectoryMode::YyyyMmDdCombined),
            other => Err(WorkflowError::invalid(
                "directory_mode",
                format!("{other:?}; expected no_subdirectory, yyyy_mm_dd_hierarchy or yyyy_mm_dd_combined"),
            )),
        }
    }
}

/// How the stored file name is composed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilenameMode {
    /// The (original or given) name as is (the default).
    #[default]
    Filename,
    /// `name_YYYYMMDDHHMMSSmmm.ext`.
    FilenameTimestamp,
}

impl FromStr for FilenameMode {
    type Err = WorkflowError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "filename" => Ok(FilenameMode::Filename),
            "filename_timestamp" => Ok(FilenameMode::FilenameTimestamp),
            other => Err(WorkflowError::invalid(
                "filename_mode",
                format!("{other:?}; expected filename or filename_timestamp"),
            )),
        }
    }
}

/// Which URL the result carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UrlChoice {
    /// What the element's `urlMode` says (the default).
    #[default]
    Element,
    /// The plain object URL (on the custom domain when configured), percent-encoded.
    Public,
    /// A presigned GET URL valid this long.
    Signed(Duration),
}

/// Options of [`OssWorkflows::upload_file`](super::OssWorkflows::upload_file) and
/// [`OssWorkflows::multi_upload_files`](super::OssWorkflows::multi_upload_files).
#[derive(Clone)]
pub struct DifyUploadOptions {
    /// The directory under the bucket (required; multi-level such as `a/b` is fine).
    pub directory: String,
    /// Date sub-folders.
    pub directory_mode: DirectoryMode,
    /// A name to store the file under instead of the original one (single uploads only).
    pub filename: Option<String>,
    /// Plain name or name plus timestamp.
    pub filename_mode: FilenameMode,
    /// Zone of the date parts and timestamps (UTC by default).
    pub time_zone: FixedOffset,
    /// "Now"; the system clock when `None`.
    pub clock: Option<Clock>,
    /// Which URL to return.
    pub url: UrlChoice,
    /// Files uploaded at once by `multi_upload_files` (default 4).
    pub concurrency: usize,
    /// Progress `(bytes done, total)`: of the file for `upload_file`, of all files together
    /// for `multi_upload_files`.
    pub progress: Option<ProgressFn>,
}

impl fmt::Debug for DifyUploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DifyUploadOptions")
            .field("directory", &self.directory)
            .field("directory_mode", &self.directory_mode)
            .field("filename", &self.filename)
            .field("filename_mode", &self.filename_mode)
            .field("time_zone", &self.time_zone)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .field("url", &self.url)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl DifyUploadOptions {
    /// Defaults (`no_subdirectory`, `filename`, UTC, system clock) for `directory`.
    pub fn new(directory: impl Into<String>) -> DifyUploadOptions {
        DifyUploadOptions {
            directory: directory.into(),
            directory_mode: DirectoryMode::default(),
            filename: None,
            filename_mode: FilenameMode::default(),
            time_zone: utc_offset(),
            clock: None,
            url: UrlChoice::default(),
            concurrency: 4,
            progress: None,
        }
    }

    /// Sets the directory mode.
    pub fn directory_mode(mut self, mode: DirectoryMode) -> Self {
        self.directory_mode = mode;
        self
    }

    /// Sets the filename mode.
    pub fn filename_mode(mut self, mode: FilenameMode) -> Self {
        self.filename_mode = mode;
        self
    }

    /// Stores the file under `name` (single uploads).
    pub fn filename(mut self, name: impl Into<String>) -> Self {
        self.filename = Some(name.into());
        self
    }

    /// Sets the time zone of the date parts.
    pub fn time_zone(mut self, zone: FixedOffset) -> Self {
        self.time_zone = zone;
        self
    }

    /// Uses `clock` for "now".
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Freezes "now" at `at`.
    pub fn fixed_clock(self, at: DateTime<Utc>) -> Self {
        self.clock(Arc::new(move || at))
    }

    /// Sets which URL to return.
    pub fn url(mut self, choice: UrlChoice) -> Self {
        self.url = choice;
        self
    }

    pub(crate) fn now(&self) -> DateTime<FixedOffset> {
        let utc = match &self.clock {
            Some(clock) => clock(),
            None => Utc::now(),
        };
        utc.with_timezone(&self.time_zone)
    }

    /// The object key a file gets: `source_name` is the original name (path parts are
    /// dropped), `content_type` supplies the extension when the name has none, `index`
    /// (0-based, batches only) names nameless files `upload_{n}`.
    pub fn object_key(
        &self,
        source_name: Option<&str>,
        content_type: Option<&str>,
        index: Option<usize>,
    ) -> Result<String, WorkflowError> {
        let directory = checked_directory(&self.directory)?;
        let now = self.now();
        let (orig_base, orig_ext) = original_parts(source_name, content_type, index)?;
        let (base, ext) = match self.filename.as_deref() {
            Some(given) => {
                let given = given.trim();
                if given.is_empty() {
                    return Err(WorkflowError::invalid("filename", "it is empty"));
                }
                if given.starts_with('/') || given.starts_with('\\') {
                    return Err(WorkflowError::invalid(
                        "filename",
                        format!("{given:?} starts with a path separator"),
                    ));
                }
                if let Some(problem) = segment_problem(given) {
                    return Err(WorkflowError::invalid(
                        "filename",
                        format!("{given:?}: {problem}"),
                    ));
                }
                match split_ext(given) {
                    (base, Some(ext)) => (base.to_owned(), format!(".{ext}")),
                    (base, None) => (base.to_owned(), orig_ext.clone()),
                }
            }
            None => (orig_base, orig_ext),
        };
        let name = match self.filename_mode {
            FilenameMode::Filename => format!("{base}{ext}"),
            FilenameMode::FilenameTimestamp => {
                format!("{base}_{}{ext}", now.format("%Y%m%d%H%M%S%3f"))
            }
        };
        if name.contains('/') || name.contains('\\') {
            return Err(WorkflowError::invalid(
                "filename",
                format!("{name:?} contains a path separator"),
            ));
        }
        if let Some(problem) = segment_problem(&name) {
            return Err(WorkflowError::invalid(
                "filename",
                format!("{name:?}: {problem}"),
            ));
        }
        let date = match self.directory_mode {
            DirectoryMode::NoSubdirectory => String::new(),
            DirectoryMode::YyyyMmDdHierarchy => format!("{}/", now.format("%Y/%m/%d")),
            DirectoryMode::YyyyMmDdCombined => format!("{}/", now.format("%Y%m%d")),
        };
        let key = format!("{directory}/{date}{name}");
        if key.len() > MAX_KEY_BYTES {
            return Err(WorkflowError::invalid(
                "object key",
                format!("{} bytes is longer than OSS's {MAX_KEY_BYTES}", key.len()),
            ));
        }
        Ok(key)
    }
}

fn utc_offset() -> FixedOffset {
    // Zero is always a valid offset.
    FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("UTC offset"))
}

/// Parses `Z`, `UTC`, `+08:00`, `-0530` or `+8` as a fixed offset.
pub fn parse_time_zone(text: &str) -> Result<FixedOffset, WorkflowError> {
    let t = text.trim();
    let bad = || {
        WorkflowError::invalid(
            "time zone",
            format!("{t:?}; expected Z, UTC or an offset such as +08:00 or -05:30"),
        )
    };
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return Ok(utc_offset());
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = if let Some((h, m)) = rest.split_once(':') {
        (h, m)
    } else if rest.len() == 4 {
        rest.split_at(2)
    } else {
        (rest, "0")
    };
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(bad)
}

/// The directory, trimmed, refused when it starts with `/` or `\`, `\` turned into `/`,
/// trailing `/` dropped and every segment checked.
fn checked_directory(directory: &str) -> Result<String, WorkflowError> {
    let d = directory.trim();
    if d.is_empty() {
        return Err(WorkflowError::invalid("directory", "it is required"));
    }
    if d.starts_with('/') || d.starts_with('\\') {
        return Err(WorkflowError::invalid(
            "directory",
            format!(
                "{d:?} starts with a path separator; give a relative folder such as \"uploads\""
            ),
        ));
    }
    let d = d.replace('\\', "/");
    let d = d.trim_end_matches('/');
    for segment in d.split('/') {
        if let Some(problem) = segment_problem(segment) {
            return Err(WorkflowError::invalid(
                "directory",
                format!("{d:?}: {problem}"),
            ));
        }
    }
    Ok(d.to_owned())
}

/// `("name", Some("ext"))` for `name.ext`; a leading dot is part of the name.
fn split_ext(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((base, ext)) if !base.is_empty() && !ext.is_empty() => (base, Some(ext)),
        _ => (name, None),
    }
}

/// Base name and `.ext` (lower case) of the original file, with the plugin's fallbacks.
fn original_parts(
    source_name: Option<&str>,
    content_type: Option<&str>,
    index: Option<usize>,
) -> Result<(String, String), WorkflowError> {
    let last = source_name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim())
        .filter(|n| !n.is_empty());
    if let Some(problem) = last.and_then(segment_problem) {
        return Err(WorkflowError::invalid(
            "source file name",
            format!("{:?}: {problem}", last.unwrap_or_default()),
        ));
    }
    let (base, ext) = match last {
        Some(name) => {
            let (b, e) = split_ext(name);
            (b.to_owned(), e.map(str::to_ascii_lowercase))
        }
        None => match index {
            Some(i) => (format!("upload_{}", i + 1), None),
            None => ("upload".to_owned(), None),
        },
    };
    let ext = ext
        .or_else(|| content_type.and_then(extension_for).map(str::to_owned))
        .unwrap_or_else(|| "dat".to_owned());
    Ok((base, format!(".{ext}")))
}

/// The usual extension of a content type: a short list of well-known choices first (where a
/// MIME table lists several), then `mime_guess`'s table.
pub fn extension_for(content_type: &str) -> Option<&'static str> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let preferred = match essence.as_str() {
        "text/plain" => Some("txt"),
        "image/jpeg" => Some("jpg"),
        "text/html" => Some("html"),
        "application/json" => Some("json"),
        "application/pdf" => Some("pdf"),
        "image/png" => Some("png"),
        "text/markdown" => Some("md"),
        "text/csv" => Some("csv"),
        "audio/mpeg" => Some("mp3"),
        "video/mp4" => Some("mp4"),
        "application/zip" => Some("zip"),
        "application/xml" | "text/xml" => Some("xml"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some("xlsx"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Some("docx"),
        _ => None,
    };
    preferred.or_else(|| {
        mime_guess::get_mime_extensions_str(&essence).and_then(|exts| exts.first().copied())
    })
}

/// One file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DifyFile {
    /// The local file (streamed, never read whole).
    pub path: PathBuf,
    /// The original file name (default: the file name of `path`).
    pub name: Option<String>,
    /// Its content type (default: guessed from the object key's extension).
    pub content_type: Option<String>,
}

impl DifyFile {
    /// The file at `path`, named after it.
    pub fn new(path: impl Into<PathBuf>) -> DifyFile {
        DifyFile {
            path: path.into(),
            name: None,
            content_type: None,
        }
    }

    /// Sets the original name.
    pub fn named(mut self, name: impl Into<String>) -> DifyFile {
        self.name = Some(name.into());
        self
    }

    /// Sets the content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> DifyFile {
        self.content_type = Some(content_type.into());
        self
    }

    pub(crate) fn source_name(&self) -> Option<String> {
        self.name.clone().or_else(|| {
            self.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
    }
}

/// What `upload_file` returns. `Debug` hides the query of a presigned URL.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct DifyUploadResult {
    /// The object key.
    pub object_key: String,
    /// The original file name.
    pub source_filename: Option<String>,
    /// Bytes stored.
    pub size: u64,
    /// The content type stored.
    pub content_type: String,
    /// The ETag (without quotes).
    pub etag: String,
    /// CRC-64/XZ of the content as OSS reported it.
    pub crc64: Option<u64>,
    /// A correctly encoded public URL, or a presigned one when `url_signed`.
    pub url: String,
    /// Whether `url` is presigned.
    pub url_signed: bool,
}

impl fmt::Debug for DifyUploadResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = if self.url_signed {
            format!(
                "{}?<signed>",
                self.url.split('?').next().unwrap_or_default()
            )
        } else {
            self.url.clone()
        };
        f.debug_struct("DifyUploadResult")
            .field("object_key", &self.object_key)
            .field("source_filename", &self.source_filename)
            .field("size", &self.size)
            .field("content_type", &self.content_type)
            .field("etag", &self.etag)
            .field("crc64", &self.crc64)
            .field("url", &url)
            .field("url_signed", &self.url_signed)
            .finish()
    }
}

/// One file of a batch: its result or its error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileUploadOutcome {
    /// Position in the input list (0-based).
    pub index: usize,
    /// The local file.
    pub path: PathBuf,
    /// The original file name.
    pub source_filename: Option<String>,
    /// The result, when the upload succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<DifyUploadResult>,
    /// The error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileResult for FileUploadOutcome {
    fn is_success(&self) -> bool {
        self.result.is_some()
    }

    fn bytes(&self) -> u64 {
        self.result.as_ref().map_or(0, |r| r.size)
    }
}

/// What `multi_upload_files` returns: one outcome per input file, in input order.
pub type MultiUploadReport = BatchReport<FileUploadOutcome>;

/// Keys that more than one input maps to, with the inputs (paths) that map to each.
fn colliding_inputs(
    files: &[DifyFile],
    keys: &[Result<String, WorkflowError>],
) -> HashMap<String, Vec<PathBuf>> {
    let mut by_key: HashMap<String, Vec<PathBuf>> = HashMap::new();
    for (file, key) in files.iter().zip(keys) {
        if let Ok(key) = key {
            by_key
                .entry(key.clone())
                .or_default()
                .push(file.path.clone());
        }
    }
    by_key.retain(|_, paths| paths.len() > 1);
    by_key
}

/// Why `path` was not uploaded: `others` (all inputs of the key, itself included) collide.
fn collision_reason(key: &str, path: &std::path::Path, others: &[PathBuf]) -> String {
    let rest: Vec<String> = others
        .iter()
        .filter(|p| p.as_path() != path)
        .map(|p| p.display().to_string())
        .collect();
    format!(
        "{key:?} is also the key of {}; none of them was uploaded, so that no file silently \
         replaces another (upload them into different directories)",
        rest.join(", ")
    )
}

impl OssStorage {
    async fn dify_upload(
        &self,
        file: &DifyFile,
        options: &DifyUploadOptions,
        index: Option<usize>,
    ) -> Result<DifyUploadResult, WorkflowError> {
        let key = key_of(file, options, index)?;
        self.dify_upload_to(file, key, options).await
    }

    async fn dify_upload_to(
        &self,
        file: &DifyFile,
        key: String,
        options: &DifyUploadOptions,
    ) -> Result<DifyUploadResult, WorkflowError> {
        let source = file.source_name();
        regular_file_size(file).await?;
        let content_type = content_type_of(file, &key);
        let mut transfer = self.transfer_options().clone();
        if options.progress.is_some() {
            transfer.progress = options.progress.clone();
        }
        let up = self
            .upload_path_with(
                &key,
                &file.path,
                &UploadOptions::content_type(content_type.clone()),
                &transfer,
            )
            .await?;
        let (url, url_signed) = self.url_by_choice(&key, options.url, &up.url).await?;
        Ok(DifyUploadResult {
            object_key: key,
            source_filename: source,
            size: up.size,
            content_type,
            etag: up.etag,
            crc64: up.crc64,
            url,
            url_signed,
        })
    }

    pub(crate) async fn url_by_choice(
        &self,
        key: &str,
        choice: UrlChoice,
        element_url: &str,
    ) -> Result<(String, bool), WorkflowError> {
        let (mode, _) = self.url_settings();
        Ok(match choice {
            UrlChoice::Element => (element_url.to_owned(), mode == UrlMode::Signed),
            UrlChoice::Public => (
                self.public_base()
                    .object_url(self.client().bucket(), key)
                    .map(String::from)
                    .map_err(|e| WorkflowError::invalid("object key", e.to_string()))?,
                false,
            ),
            UrlChoice::Signed(expires) => (self.get_sign_url(key, None, expires).await?, true),
        })
    }
}

/// Where a key-layout upload writes: an OssType (its own upload with byte progress, CRC-64 and
/// URL modes) or any other element through its handle's streaming `upload_path`.
#[derive(Clone, Copy)]
pub(crate) enum KeyLayoutTarget<'a> {
    /// An OssType element.
    Oss(&'a OssStorage),
    /// An element of any other Type (S3 family, DiskType, plugins).
    Any(&'a StorageHandle),
}

impl KeyLayoutTarget<'_> {
    async fn upload_to(
        self,
        file: &DifyFile,
        key: String,
        options: &DifyUploadOptions,
    ) -> Result<DifyUploadResult, WorkflowError> {
        match self {
            KeyLayoutTarget::Oss(oss) => oss.dify_upload_to(file, key, options).await,
            KeyLayoutTarget::Any(store) => {
                super::any_key_layout::upload_to(store, file, key, options).await
            }
        }
    }
}

/// The object key `file` gets under `options` (`index` numbers nameless files of a batch).
pub(crate) fn key_of(
    file: &DifyFile,
    options: &DifyUploadOptions,
    index: Option<usize>,
) -> Result<String, WorkflowError> {
    let source = file.source_name();
    options.object_key(source.as_deref(), file.content_type.as_deref(), index)
}

/// The checked size of the regular file `file` (what a key-layout upload stores).
pub(crate) async fn regular_file_size(file: &DifyFile) -> Result<u64, WorkflowError> {
    let meta = tokio::fs::metadata(&file.path)
        .await
        .map_err(|e| WorkflowError::io(&file.path, e))?;
    if !meta.is_file() {
        return Err(WorkflowError::invalid(
            "file",
            format!("{} is not a regular file", file.path.display()),
        ));
    }
    Ok(meta.len())
}

/// The content type a key-layout upload stores: the given one, else guessed from the key's
/// extension, else `application/octet-stream`.
pub(crate) fn content_type_of(file: &DifyFile, key: &str) -> String {
    file.content_type
        .clone()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| mime_guess::from_path(key).first_raw().map(str::to_owned))
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned())
}

/// The implementation of [`OssWorkflows::upload_file`](super::OssWorkflows::upload_file).
pub(crate) async fn upload_file(
    oss: &OssStorage,
    file: &DifyFile,
    options: &DifyUploadOptions,
) -> Result<DifyUploadResult, WorkflowError> {
    oss.dify_upload(file, options, None).await
}

/// The implementation of [`OssWorkflows::multi_upload_files`](super::OssWorkflows::multi_upload_files).
pub(crate) async fn multi_upload_files(
    oss: &OssStorage,
    files: &[DifyFile],
    options: &DifyUploadOptions,
) -> MultiUploadReport {
    multi_upload_to(KeyLayoutTarget::Oss(oss), files, options).await
}

/// A batch upload to `target`: keys planned up front at one instant, colliding keys refused
/// (none of their files written), the rest uploaded concurrently, one outcome per file.
pub(crate) async fn multi_upload_to(
    target: KeyLayoutTarget<'_>,
    files: &[DifyFile],
    options: &DifyUploadOptions,
) -> MultiUploadReport {
    let mut options = options.clone();
    options.filename = None;
    let at = options.now().with_timezone(&Utc);
    options = options.fixed_clock(at);
    let numbered = files.len() > 1;
    let keys: Vec<Result<String, WorkflowError>> = files
        .iter()
        .enumerate()
        .map(|(index, file)| {
            options.object_key(
                file.source_name().as_deref(),
                file.content_type.as_deref(),
                numbered.then_some(index),
            )
        })
        .collect();
    let collisions = colliding_inputs(files, &keys);
    // One running total over all files that will be uploaded.
    let mut total = 0u64;
    for (file, key) in files.iter().zip(&keys) {
        if key.as_ref().is_ok_and(|k| !collisions.contains_key(k)) {
            total += tokio::fs::metadata(&file.path)
                .await
                .map(|m| m.len())
                .unwrap_or(0);
        }
    }
    let aggregate = Aggregate::new(Some(total), options.progress.take());
    let options = &options;
    let aggregate = &aggregate;
    let collisions = &collisions;
    // The closure takes owned items (an index, a key) and borrows the file from `files`: a
    // closure taking references would not be provably `Send` behind the workflow trait.
    let mut outcomes: Vec<FileUploadOutcome> = stream::iter(keys.into_iter().enumerate())
        .map(|(index, key)| {
            let file = &files[index];
            async move {
                let result = match key {
                    Err(e) => Err(e),
                    Ok(key) => match collisions.get(&key) {
                        Some(others) => Err(WorkflowError::invalid(
                            "object key",
                            collision_reason(&key, &file.path, others),
                        )),
                        None => {
                            let mut per_file = options.clone();
                            per_file.progress = aggregate.per_file();
                            target.upload_to(file, key, &per_file).await
                        }
                    },
                };
                let (result, error) = match result {
                    Ok(r) => (Some(r), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                FileUploadOutcome {
                    index,
                    path: file.path.clone(),
                    source_filename: file.source_name(),
                    result,
                    error,
                }
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    outcomes.sort_by_key(|o| o.index);
    BatchReport::from_files(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 9, 22, 14, 30, 15).unwrap() + chrono::Duration::milliseconds(7)
    }

    #[test]
    fn modes_build_the_documented_keys() {
        let o = DifyUploadOptions::new(" docs/sub/ ").fixed_clock(at());
        assert_eq!(
            o.object_key(Some("a.TXT"), None, None).unwrap(),
            "docs/sub/a.txt"
        );
        let o = o.directory_mode(DirectoryMode::YyyyMmDdHierarchy);
        assert_eq!(
            o.object_key(Some("a.txt"), None, None).unwrap(),
            "docs/sub/2025/09/22/a.txt"
        );
        let o = o.directory_mode(DirectoryMode::YyyyMmDdCombined);
        assert_eq!(
            o.object_key(Some("a.txt"), None, None).unwrap(),
            "docs/sub/20250922/a.txt"
        );
        let o = o
            .directory_mode(DirectoryMode::NoSubdirectory)
            .filename_mode(FilenameMode::FilenameTimestamp);
        assert_eq!(
            o.object_key(Some("a.txt"), None, None).unwrap(),
            "docs/sub/a_20250922143015007.txt"
        );
        // A zone moves the date across midnight.
        let o = DifyUploadOptions::new("d")
            .directory_mode(DirectoryMode::YyyyMmDdCombined)
            .time_zone(parse_time_zone("+10:00").unwrap())
            .fixed_clock(at());
        assert_eq!(
            o.object_key(Some("a.txt"), None, None).unwrap(),
            "d/20250923/a.txt"
        );
    }

    #[test]
    fn extensions_and_names() {
        let o = DifyUploadOptions::new("d").fixed_clock(at());
        assert_eq!(
            o.object_key(None, Some("image/png"), None).unwrap(),
            "d/upload.png"
        );
        assert_eq!(
            o.object_key(Some("notes"), Some("text/plain; charset=utf-8"), None)
                .unwrap(),
            "d/notes.txt"
        );
        assert_eq!(o.object_key(None, None, Some(2)).unwrap(), "d/upload_3.dat");
        assert_eq!(
            o.object_key(Some("C:\\tmp\\x.Csv"), None, None).unwrap(),
            "d/x.csv"
        );
        let named = o.clone().filename("Report");
        assert_eq!(
            named.object_key(Some("x.PDF"), None, None).unwrap(),
            "d/Report.pdf"
        );
        let named = o.clone().filename("Report.Final.DOCX");
        assert_eq!(
            named.object_key(Some("x.pdf"), None, None).unwrap(),
            "d/Report.Final.DOCX"
        );
    }

    #[test]
    fn hostile_inputs_are_refused() {
        let o = DifyUploadOptions::new("d").fixed_clock(at());
        for dir in [
            "", "  ", "/abs", "\\abs", "a/../b", "a//b", "a/./b", "a\u{7}b",
        ] {
            let bad = DifyUploadOptions::new(dir).fixed_clock(at());
            assert!(
                bad.object_key(Some("a.txt"), None, None).is_err(),
                "directory {dir:?}"
            );
        }
        for name in ["..", "a\nb.txt", "x\u{0}.txt"] {
            assert!(
                o.object_key(Some(name), None, None).is_err(),
                "name {name:?}"
            );
        }
        for given in ["../x.txt", "a/b.txt", "/x", "..", &"n".repeat(300)] {
            let bad = o.clone().filename(given);
            assert!(
                bad.object_key(Some("a.txt"), None, None).is_err(),
                "filename {given:?}"
            );
        }
        let deep = DifyUploadOptions::new(vec!["d".repeat(200); 6].join("/")).fixed_clock(at());
        assert!(deep.object_key(Some("a.txt"), None, None).is_err());
    }

    #[test]
    fn time_zones_parse() {
        assert_eq!(
            parse_time_zone("+08:00").unwrap().local_minus_utc(),
            8 * 3600
        );
        assert_eq!(
            parse_time_zone("-0530").unwrap().local_minus_utc(),
            -(5 * 3600 + 1800)
        );
        assert_eq!(parse_time_zone("UTC").unwrap().local_minus_utc(), 0);
        assert!(parse_time_zone("Asia/Shanghai").is_err());
        assert!(parse_time_zone("+25:00").is_err());
    }
}
