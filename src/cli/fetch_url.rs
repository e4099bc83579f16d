//! `jitstore fetch-url ELEMENT URL DEST`: the Dify OSS plugin's get_file_by_url — any URL of
//! the element's bucket (virtual-hosted, path-style, `-internal` and accelerate endpoints,
//! custom domain, presigned), fetched with the element's credentials; other hosts refused
//! unless `--allow-host`. DEST `-` writes the object to stdout.

use std::path::PathBuf;

use jitstore::storages::workflows::OssWorkflows;
use jitstore::storages::workflows::{download_anonymous_to_writer, UrlPolicy};

use super::oss_common::oss_storage;
use super::progress::progress_bar;
use super::stdio::{is_stdio, object_to_stdout};
use super::target::element_name;
use super::{output, print_json, AppArg, CliResult};

/// Arguments of `fetch-url`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    app: AppArg,
    /// The OssType element (`@default`: the app's default storage).
    element: String,
    /// The object's URL.
    url: String,
    /// Where to save it (a file, an existing directory, or `-` for stdout).
    #[arg(required_unless_present = "resolve_only")]
    dest: Option<PathBuf>,
    /// Only say which object of the element the URL names (key, URL form); no download.
    #[arg(long)]
    resolve_only: bool,
    /// A custom domain bound to the bucket (repeatable).
    #[arg(long = "custom-domain", value_name = "HOST[:PORT]")]
    custom_domains: Vec<String>,
    /// A foreign host that may be fetched anonymously (repeatable).
    #[arg(long = "allow-host", value_name = "HOST[:PORT]")]
    allowed_hosts: Vec<String>,
}

pub(crate) async fn run(args: Args) -> CliResult {
    let oss = oss_storage(&args.app, Some(&args.element))?;
    let element = element_name(&args.app.open()?, Some(&args.element));
    let policy = UrlPolicy {
        custom_domains: args.custom_domains,
        allowed_hosts: args.allowed_hosts,
    };
    let named = |error: &dyn std::fmt::Display, key: Option<&str>| match key {
        Some(key) => format!("fetch-url via {element}, key `{key}`: {error}"),
        None => format!("fetch-url via {element}: {error}"),
    };
    if args.resolve_only {
        let resolved = oss
            .resolve_url(&args.url, &policy)
            .map_err(|e| named(&e, None))?;
        if output::json() {
            return print_json(&resolved);
        }
        println!(
            "{element}: key {} ({:?}{})",
            resolved.key.as_deref().unwrap_or("-"),
            resolved.form,
            if resolved.presigned {
                ", presigned"
            } else {
                ""
            }
        );
        return Ok(());
    }
    let Some(dest) = args.dest else {
        return Err("fetch-url: give DEST (or --resolve-only)".into());
    };
    if is_stdio(dest.as_os_str()) {
        let resolved = oss
            .resolve_url(&args.url, &policy)
            .map_err(|e| named(&e, None))?;
        return match &resolved.key {
            Some(key) => object_to_stdout(&oss, key)
                .await
                .map(|_| ())
                .map_err(|e| named(&e, Some(key)).into()),
            None => {
                let (bar, progress) = progress_bar("fetch-url");
                let mut stdout = tokio::io::stdout();
                let result =
                    download_anonymous_to_writer(&args.url, &mut stdout, Some(progress)).await;
                bar.finish_and_clear();
                result.map(|_| ()).map_err(|e| named(&e, None).into())
            }
        };
    }
    let key = oss.resolve_url(&args.url, &policy).ok().and_then(|r| r.key);
    let (bar, progress) = progress_bar("fetch-url");
    let fetched = oss
        .get_file_by_url_with_progress(&args.url, &policy, &dest, Some(progress))
        .await;
    bar.finish_and_clear();
    let fetched = fetched.map_err(|e| named(&e, key.as_deref()))?;
    if output::json() {
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
