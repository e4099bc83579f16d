//! `jitstore upload ELEMENT FILE --directory DIR [...]`: the Dify plugin's upload_file, with
//! its directory and filename modes, an explicit time zone and the full result, on an element
//! of any Type (an OssType element goes the OssType way).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jitstore::storages::workflows::any_key_layout;
use jitstore::storages::workflows::{
    parse_time_zone, DifyFile, DifyUploadOptions, DirectoryMode, FilenameMode, UrlChoice,
};

use super::progress::progress_bar;
use super::stdio::{is_stdio, spool_stdin};
use super::target::storage;
use super::{output, print_json, AppArg, CliResult};

/// Options shared by `upload` and `upload-many`.
#[derive(Debug, clap::Args)]
pub(crate) struct ModeArgs {
    /// Directory under the bucket (required; multi-level like `a/b` allowed).
    #[arg(long)]
    pub directory: String,
    /// no_subdirectory | yyyy_mm_dd_hierarchy | yyyy_mm_dd_combined
    #[arg(long, default_value = "no_subdirectory")]
    pub directory_mode: String,
    /// filename | filename_timestamp (`name_YYYYMMDDHHMMSSmmm.ext`)
    #[arg(long, default_value = "filename")]
    pub filename_mode: String,
    /// Time zone of the date parts: UTC (default) or an offset such as +08:00.
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
    /// Use this instant (RFC 3339) instead of the clock, for reproducible keys.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Return a presigned URL valid this many seconds instead of the element's URL mode.
    #[arg(long, value_name = "SECONDS")]
    pub signed: Option<u64>,
    /// Return the plain public URL whatever the element's URL mode.
    #[arg(long, conflicts_with = "signed")]
    pub public: bool,
}

impl ModeArgs {
    pub(crate) fn options(
        &self,
    ) -> Result<DifyUploadOptions, Box<dyn std::error::Error + Send + Sync>> {
        let mut options = DifyUploadOptions::new(self.directory.clone())
            .directory_mode(self.directory_mode.parse::<DirectoryMode>()?)
            .filename_mode(self.filename_mode.parse::<FilenameMode>()?)
            .time_zone(parse_time_zone(&self.time_zone)?);
        if let Some(at) = &self.at {
            let at: DateTime<Utc> = DateTime::parse_from_rfc3339(at)
                .map_err(|e| format!("--at {at:?}: {e}"))?
                .with_timezone(&Utc);
            options = options.fixed_clock(at);
        }
        options.url = match (self.signed, self.public) {
            (Some(s), _) => UrlChoice::Signed(Duration::from_secs(s)),
            (None, true) => UrlChoice::Public,
            (None, false) => UrlChoice::Element,
        };
        Ok(options)
    }
}

/// Arguments of `upload`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    app: AppArg,
    /// The storage element, of any Type (`@default`: the app's default storage).
    element: String,
    /// The local file (`-` for stdin, with --source-name or --filename to name it).
    file: PathBuf,
    /// Store under this name instead of the file's own.
    #[arg(long)]
    filename: Option<String>,
    /// The original file name (default: FILE's name).
    #[arg(long)]
    source_name: Option<String>,
    /// Content type (default: from the extension).
    #[arg(long)]
    content_type: Option<String>,
    #[command(flatten)]
    modes: ModeArgs,
}

pub(crate) async fn run(args: Args) -> CliResult {
    let store = storage(&args.app, Some(&args.element))?;
    let mut options = args.modes.options()?;
    options.filename = args.filename.clone();
    let spooled = if is_stdio(args.file.as_os_str()) {
        if args.source_name.is_none() && args.filename.is_none() {
            return Err(
                "upload -: stdin has no file name; give --source-name or --filename".into(),
            );
        }
        Some(spool_stdin().await?)
    } else {
        None
    };
    let path = spooled.as_ref().map_or(args.file.as_path(), |s| s.path());
    let (bar, progress) = progress_bar("upload");
    options.progress = Some(progress);
    let mut file = DifyFile::new(path);
    file.name = args.source_name.clone();
    file.content_type = args.content_type.clone();
    let result = any_key_layout::upload_file(&store, &file, &options).await;
    bar.finish_and_clear();
    let result = result?;
    if output::json() {
        return print_json(&result);
    }
    println!("uploaded {} ({} bytes)", result.object_key, result.size);
    println!(
        "source:       {}",
        result.source_filename.as_deref().unwrap_or("-")
    );
    println!("content type: {}", result.content_type);
    println!("etag:         {}", result.etag);
    if let Some(crc) = result.crc64 {
        println!("crc64:        {crc}");
    }
    println!("url:          {}", result.url);
    Ok(())
}
