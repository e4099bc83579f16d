//! `jitstore upload-many ELEMENT FILE... --directory DIR [...]`: the Dify plugin's
//! multi_upload_files, concurrent, one outcome per file; exits non-zero when any file failed.
//! Works on an element of any Type (an OssType element goes the OssType way).

use std::path::PathBuf;

use jitstore::storages::workflows::any_key_layout;
use jitstore::storages::workflows::{BatchStatus, DifyFile};

use super::progress::progress_bar;
use super::target::storage;
use super::upload::ModeArgs;
use super::{output, print_json, AppArg, CliResult};

/// Arguments of `upload-many`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    app: AppArg,
    /// The storage element, of any Type (`@default`: the app's default storage).
    element: String,
    /// The local files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    modes: ModeArgs,
}

pub(crate) async fn run(args: Args) -> CliResult {
    let store = storage(&args.app, Some(&args.element))?;
    let mut options = args.modes.options()?;
    let (bar, progress) = progress_bar("upload-many");
    options.progress = Some(progress);
    let files: Vec<DifyFile> = args.files.iter().map(DifyFile::new).collect();
    let report = any_key_layout::multi_upload_files(&store, &files, &options).await;
    bar.finish_and_clear();
    if output::json() {
        print_json(&report)?;
    } else {
        for f in &report.files {
            match (&f.result, &f.error) {
                (Some(r), _) => println!(
                    "ok    {} -> {} ({} bytes) {}",
                    f.path.display(),
                    r.object_key,
                    r.size,
                    r.url
                ),
                (None, Some(e)) => println!("error {}: {e}", f.path.display()),
                (None, None) => {}
            }
        }
        println!(
            "status: {:?}, {} uploaded, {} failed",
            report.status, report.success_count, report.error_count
        );
    }
    if report.status != BatchStatus::Completed {
        return Err(format!(
            "{} of {} files failed",
            report.error_count,
            report.files.len()
        )
        .into());
    }
    Ok(())
}
