//! `jitstore [--app DIR] sign ELEMENT KEY [--method M] [--expires SECONDS] [--content-type T]
//! [--header NAME:VALUE]... [--at RFC3339] [--explain]`: a presigned URL (first line of the
//! output) with the element's signature version; `--at` fixes the signing time so a URL can be
//! reproduced exactly, `--explain` adds the canonical request and the string-to-sign.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jitstore::storages::workflows::OssWorkflows;
use jitstore::SignUrlRequest;
use jitstore_oss::sign::canonical::redact_secrets;

use super::oss_common::{oss_storage, parse_header};
use super::{output, print_json, AppArg, CliResult};

/// Arguments of `sign`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    app: AppArg,
    /// The OssType or S3-family element (`@default`: the app's default storage).
    element: String,
    /// The object key.
    key: String,
    /// HTTP method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// Validity in seconds.
    #[arg(long, default_value_t = 300)]
    expires: u64,
    /// Content type: signed for PUT/POST, `response-content-type` for GET.
    #[arg(long)]
    content_type: Option<String>,
    /// A header to sign (repeatable); the request must then carry it exactly.
    #[arg(long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Sign as of this instant (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Also print the canonical request and the string-to-sign.
    #[arg(long)]
    explain: bool,
}

pub(crate) async fn run(args: Args) -> CliResult {
    let at = match &args.at {
        Some(text) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|e| format!("--at {text:?}: {e}"))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let mut request = SignUrlRequest::new(args.method.clone(), args.key.clone());
    request.expires = Duration::from_secs(args.expires);
    request.content_type = args.content_type.clone();
    request.headers = args.headers.iter().cloned().collect();
    let signed = match super::s3_sign::presign(&args.app, &args.element, &request, at).await? {
        Some(signed) => signed,
        None => {
            let oss = oss_storage(&args.app, Some(&args.element))?;
            oss.presign_explained(&request, at).await?
        }
    };
    if output::json() {
        let mut value = serde_json::to_value(&signed)?;
        if let Some(map) = value.as_object_mut() {
            if args.explain {
                map.insert(
                    "canonical_request".into(),
                    redact_secrets(&signed.canonical_request).into(),
                );
                map.insert(
                    "string_to_sign".into(),
                    redact_secrets(&signed.string_to_sign).into(),
                );
            } else {
                map.remove("canonical_request");
                map.remove("string_to_sign");
            }
        }
        return print_json(&value);
    }
    println!("{}", signed.url);
    println!("method: {}", signed.method);
    println!("signature version: {}", signed.signature_version);
    println!(
        "signed at: {}",
        signed
            .signed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    println!(
        "expires at: {}",
        signed
            .expires_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    for (name, value) in &signed.headers {
        println!("header: {name}: {value}");
    }
    if args.explain {
        if !signed.canonical_request.is_empty() {
            println!("--- canonical request ---");
            println!("{}", redact_secrets(&signed.canonical_request));
        }
        println!("--- string to sign ---");
        println!("{}", redact_secrets(&signed.string_to_sign));
    }
    Ok(())
}
