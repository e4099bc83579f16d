//! `jitstore fetch-url ELEMENT URL DEST`: the Dify plugin's get_file_by_url — any URL of the
//! element's bucket (virtual-hosted, path-style, custom domain, presigned), fetched with the
//! element's credentials; other hosts refused unless `--allow-host`.

use std::path::{Path, PathBuf};

use jitstore::storages::workflows::UrlPolicy;

use super::oss_common::{oss_storage, print_json, progress_bar};
use super::CliResult;

/// Arguments of `fetch-url`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The OssType element.
    element: String,
    /// The object's URL.
    url: String,
    /// Where to save it (a file, or an existing directory).
    dest: PathBuf,
    /// A custom domain bound to the bucket (repeatable).
    #[arg(long = "custom-domain", value_name = "HOST[:PORT]")]
    custom_domains: Vec<String>,
    /// A foreign host that may be fetched anonymously (repeatable).
    #[arg(long = "allow-host", value_name = "HOST[:PORT]")]
    allowed_hosts: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run(app: &Path, args: Args) -> CliResult {
    let oss = oss_storage(app, &args.element)?;
    let policy = UrlPolicy {
        custom_domains: args.custom_domains,
        allowed_hosts: args.allowed_hosts,
    };
    let (bar, progress) = progress_bar("fetch-url");
    let fetched = oss
        .get_file_by_url_with_progress(&args.url, &policy, &args.dest, Some(progress))
        .await;
    bar.finish_and_clear();
    let fetched = fetched?;
    if args.json {
        return print_json(&fetched);
    }
    println!(
        "fetched {} ({} bytes, {}) to {}",
        fetched.resolved.key.as_deref().unwrap_or(&fetched.filename),
        fetched.size,
        fetched.content_type.as_deref().unwrap_or("-"),
        fetched.path.display()
    );
    Ok(())
}
