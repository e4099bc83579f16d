//! `jitstore put-url URL FILE` and `jitstore get-url URL DEST`: plain HTTP transfers through
//! presigned or public URLs, without credentials (AgentBay's upload_anonymous /
//! download_anonymous). `put-url --header` / `--ticket` replay DingTalk-style signed headers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jitstore::storages::workflows::{
    download_anonymous, put_with_signed_headers, upload_anonymous,
};

use super::oss_common::{parse_header, print_json, progress_bar};
use super::sync::report;
use super::CliResult;

/// Arguments of `put-url`.
#[derive(Debug, clap::Args)]
pub(crate) struct PutArgs {
    /// A presigned PUT URL, a public-write URL, or a header-signed resource URL. With
    /// `--ticket`, may be omitted (the ticket's first resource URL is used).
    #[arg(required_unless_present = "ticket")]
    url: Option<String>,
    /// The file (or, for an unsigned base URL, a directory).
    #[arg(long, short = 'f', value_name = "PATH")]
    file: PathBuf,
    /// A header to send exactly (repeatable), e.g. from `issue-upload`.
    #[arg(long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// A ticket printed by `issue-upload --json`: its URL and headers are used.
    #[arg(long, value_name = "FILE")]
    ticket: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `get-url`.
#[derive(Debug, clap::Args)]
pub(crate) struct GetArgs {
    /// A presigned or public GET URL.
    url: String,
    /// Where to save it (a file, or an existing directory).
    dest: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run_put(args: PutArgs) -> CliResult {
    let (bar, progress) = progress_bar("put-url");
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut url = args.url.clone();
    if let Some(ticket) = &args.ticket {
        let text =
            std::fs::read_to_string(ticket).map_err(|e| format!("{}: {e}", ticket.display()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", ticket.display()))?;
        if let Some(map) = value.get("headers").and_then(|h| h.as_object()) {
            for (k, v) in map {
                if let Some(v) = v.as_str() {
                    headers.insert(k.clone(), v.to_owned());
                }
            }
        }
        if url.is_none() {
            url = value
                .get("resource_urls")
                .and_then(|u| u.get(0))
                .and_then(|u| u.as_str())
                .map(str::to_owned);
        }
    }
    let Some(url) = url else {
        return Err("no URL: give one or a ticket with resource_urls".into());
    };
    headers.extend(args.headers.iter().cloned());
    if headers.is_empty() {
        let result = upload_anonymous(&url, &args.file, Some(progress)).await;
        bar.finish_and_clear();
        return report(&result?, args.json);
    }
    let result = put_with_signed_headers(&url, &headers, &args.file, Some(progress)).await;
    bar.finish_and_clear();
    let put = result?;
    if args.json {
        return print_json(&put);
    }
    println!(
        "uploaded {} bytes, etag {}",
        put.size,
        put.etag.as_deref().unwrap_or("-")
    );
    Ok(())
}

pub(crate) async fn run_get(args: GetArgs) -> CliResult {
    let (bar, progress) = progress_bar("get-url");
    let result = download_anonymous(&args.url, &args.dest, Some(progress)).await;
    bar.finish_and_clear();
    report(&result?, args.json)
}
