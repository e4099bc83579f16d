//! `jitstore put-url URL --file FILE` and `jitstore get-url URL DEST`: plain HTTP transfers
//! through presigned or public URLs, without credentials (AgentBay's upload_anonymous /
//! download_anonymous). `put-url --header` / `--ticket` replay DingTalk-style signed headers
//! (step 2 of its three). `-` is stdin (`--file -`, `--ticket -`) or stdout (`DEST` `-`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jitstore::storages::workflows::{
    download_anonymous, download_anonymous_to_writer, put_with_signed_headers, upload_anonymous,
};

use super::oss_common::parse_header;
use super::progress::progress_bar;
use super::stdio::{is_stdio, spool_stdin};
use super::sync::report;
use super::{output, print_json, CliError, CliResult};

/// Arguments of `put-url`.
#[derive(Debug, clap::Args)]
pub(crate) struct PutArgs {
    /// A presigned PUT URL, a public-write URL, or a header-signed resource URL. With
    /// `--ticket`, may be omitted (the ticket's first resource URL is used).
    #[arg(required_unless_present = "ticket")]
    url: Option<String>,
    /// The file (`-` for stdin; or, for an unsigned base URL, a directory).
    #[arg(long, short = 'f', value_name = "PATH")]
    file: PathBuf,
    /// A header to send exactly (repeatable), e.g. from `issue-upload`.
    #[arg(long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// A ticket printed by `issue-upload --json` (`-` for stdin): its URL and headers are used.
    #[arg(long, value_name = "FILE")]
    ticket: Option<PathBuf>,
}

/// Arguments of `get-url`.
#[derive(Debug, clap::Args)]
pub(crate) struct GetArgs {
    /// A presigned or public GET URL.
    url: String,
    /// Where to save it (a file, an existing directory, or `-` for stdout).
    dest: PathBuf,
}

/// The URL and headers of a ticket printed by `issue-upload --json`.
fn read_ticket(ticket: &Path) -> Result<(Option<String>, BTreeMap<String, String>), CliError> {
    let text = if is_stdio(ticket.as_os_str()) {
        std::io::read_to_string(std::io::stdin().lock()).map_err(|e| format!("--ticket -: {e}"))?
    } else {
        std::fs::read_to_string(ticket).map_err(|e| format!("{}: {e}", ticket.display()))?
    };
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(e) if text.contains("upload key:") => {
            return Err(format!(
                "--ticket {}: this is the text output of `issue-upload`; run `issue-upload --json` \
                 and give that ({e})",
                ticket.display()
            )
            .into())
        }
        Err(e) => {
            return Err(format!(
                "--ticket {}: not the JSON ticket of `issue-upload --json`: {e}",
                ticket.display()
            )
            .into())
        }
    };
    let mut headers = BTreeMap::new();
    if let Some(map) = value.get("headers").and_then(|h| h.as_object()) {
        for (k, v) in map {
            if let Some(v) = v.as_str() {
                headers.insert(k.clone(), v.to_owned());
            }
        }
    }
    let url = value
        .get("resource_urls")
        .and_then(|u| u.get(0))
        .and_then(|u| u.as_str())
        .map(str::to_owned);
    Ok((url, headers))
}

pub(crate) async fn run_put(args: PutArgs) -> CliResult {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut url = args.url.clone();
    if let Some(ticket) = &args.ticket {
        if is_stdio(ticket.as_os_str()) && is_stdio(args.file.as_os_str()) {
            return Err("--ticket - and --file - cannot both read stdin".into());
        }
        let (ticket_url, ticket_headers) = read_ticket(ticket)?;
        headers = ticket_headers;
        url = url.or(ticket_url);
    }
    let Some(url) = url else {
        return Err("no URL: give one or a ticket with resource_urls".into());
    };
    headers.extend(args.headers.iter().cloned());
    let spooled = if is_stdio(args.file.as_os_str()) {
        Some(spool_stdin().await?)
    } else {
        None
    };
    let file = spooled.as_ref().map_or(args.file.as_path(), |s| s.path());
    let (bar, progress) = progress_bar("put-url");
    if headers.is_empty() {
        let result = upload_anonymous(&url, file, Some(progress)).await;
        bar.finish_and_clear();
        return report(&result?);
    }
    let result = put_with_signed_headers(&url, &headers, file, Some(progress)).await;
    bar.finish_and_clear();
    let put = result?;
    if output::json() {
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
    if is_stdio(args.dest.as_os_str()) {
        let mut stdout = tokio::io::stdout();
        let result = download_anonymous_to_writer(&args.url, &mut stdout, Some(progress)).await;
        bar.finish_and_clear();
        result?;
        return Ok(());
    }
    let result = download_anonymous(&args.url, &args.dest, Some(progress)).await;
    bar.finish_and_clear();
    report(&result?)
}
