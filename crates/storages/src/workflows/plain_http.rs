//! Credential-less HTTP transfers of one file: a streamed PUT (presigned, public-write or
//! header-signed URLs) and a streamed GET into a temporary file renamed into place.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use futures::StreamExt;
use jitstore_oss::crc64::{self, Crc64};
use jitstore_oss::error::ServiceError;
use jitstore_oss::transfer::ProgressFn;
use tokio::io::AsyncWriteExt;

use super::error::{redact_url, WorkflowError};

/// What a PUT answered.
#[derive(Debug, Clone, Default)]
pub(crate) struct PutAnswer {
    pub size: u64,
    pub etag: Option<String>,
    pub crc64: Option<u64>,
}

/// What a GET saved.
#[derive(Debug, Clone, Default)]
pub(crate) struct GetAnswer {
    pub path: PathBuf,
    pub size: u64,
    pub content_type: Option<String>,
    pub crc64: Option<u64>,
}

/// A shared client: rustls, no redirects (a redirect could lead a fetch to a host nobody
/// allowed), connect timeout.
pub(crate) fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("jitstore/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

fn http_error(method: &str, url: &str, reason: String, status: Option<u16>) -> WorkflowError {
    WorkflowError::Http {
        method: method.to_owned(),
        url: redact_url(url),
        reason,
        status,
    }
}

/// The OSS error code of an error answer, if any: read by the client's one error parser
/// (the XML body, else the base64 XML of `x-oss-err` that HEAD answers carry).
fn error_code(status: u16, headers: &http::HeaderMap, body: &[u8]) -> Option<String> {
    let code = ServiceError::from_response(status, headers, body).code;
    (!code.is_empty()).then_some(code)
}

async fn failure(method: &str, url: &str, response: reqwest::Response) -> WorkflowError {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap_or_default();
    let reason = match error_code(status.as_u16(), &headers, &body) {
        Some(code) => format!("HTTP {} {code}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    };
    http_error(method, url, reason, Some(status.as_u16()))
}

/// PUTs the file at `path` to `url` with exactly `headers` (plus the transport's
/// `Content-Length`); no `Content-Type` is added.
pub(crate) async fn put_file(
    url: &str,
    headers: &[(String, String)],
    path: &Path,
    progress: Option<&ProgressFn>,
) -> Result<PutAnswer, WorkflowError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| WorkflowError::io(path, e))?;
    let size = file
        .metadata()
        .await
        .map_err(|e| WorkflowError::io(path, e))?
        .len();
    let mut header_map = http::HeaderMap::new();
    for (name, value) in headers {
        let n = http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
            WorkflowError::invalid("header", format!("{name:?} is not a header name"))
        })?;
        let v = http::HeaderValue::from_str(value).map_err(|_| {
            WorkflowError::invalid(
                "header",
                format!("the value of {name} is not a valid header value"),
            )
        })?;
        header_map.append(n, v);
    }
    header_map.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(size));
    let progress = progress.cloned();
    let mut sent = 0u64;
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).map(move |chunk| {
        if let (Ok(bytes), Some(p)) = (&chunk, &progress) {
            sent += bytes.len() as u64;
            p(sent, Some(size));
        }
        chunk
    });
    let response = http()
        .put(url)
        .headers(header_map)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .map_err(|e| http_error("PUT", url, transport_reason(&e), None))?;
    if !response.status().is_success() {
        return Err(failure("PUT", url, response).await);
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Ok(PutAnswer {
        size,
        etag: header("etag").map(|e| e.trim_matches('"').to_owned()),
        crc64: header("x-oss-hash-crc64ecma").and_then(|v| crc64::parse_header(&v)),
    })
}

fn transport_reason(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    // reqwest includes the URL (and thus a presigned query) in its messages.
    match text.find('?') {
        Some(i) => format!("{}?<query hidden>)", &text[..i]),
        None => text,
    }
}

/// Sends a credential-less GET of `url`; a non-2xx answer becomes an error naming its status
/// and OSS code.
async fn send_get(url: &str) -> Result<reqwest::Response, WorkflowError> {
    let response = http()
        .get(url)
        .send()
        .await
        .map_err(|e| http_error("GET", url, transport_reason(&e), None))?;
    if !response.status().is_success() {
        return Err(failure("GET", url, response).await);
    }
    Ok(response)
}

/// GETs `url` and returns its body, refusing answers larger than `limit` bytes (for small
/// documents such as a listing page, never for objects).
pub(crate) async fn get_document(url: &str, limit: usize) -> Result<Vec<u8>, WorkflowError> {
    let response = send_get(url).await?;
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(http_error(
            "GET",
            url,
            format!("the answer is larger than {limit} bytes"),
            None,
        ));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| http_error("GET", url, transport_reason(&e), None))?;
        if body.len() + chunk.len() > limit {
            return Err(http_error(
                "GET",
                url,
                format!("the answer is larger than {limit} bytes"),
                None,
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// GETs `url` into `writer` (stdout, a pipe), streamed; the length and the CRC-64 are checked
/// when the answer carries them, but bytes already written cannot be taken back, so a
/// mismatch is reported as an error after the fact. Returns the byte count.
pub(crate) async fn get_to_writer<W>(
    url: &str,
    writer: &mut W,
    progress: Option<&ProgressFn>,
) -> Result<u64, WorkflowError>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let response = send_get(url).await?;
    let expected_crc = response
        .headers()
        .get("x-oss-hash-crc64ecma")
        .and_then(|v| v.to_str().ok())
        .and_then(crc64::parse_header);
    let total = response.content_length();
    let mut crc = Crc64::new();
    let mut body = response.bytes_stream();
    let mut size = 0u64;
    let out = PathBuf::from("-");
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| http_error("GET", url, transport_reason(&e), None))?;
        crc.update(&chunk);
        size += chunk.len() as u64;
        writer
            .write_all(&chunk)
            .await
            .map_err(|e| WorkflowError::io(&out, e))?;
        if let Some(p) = progress {
            p(size, total);
        }
    }
    writer
        .flush()
        .await
        .map_err(|e| WorkflowError::io(&out, e))?;
    if total.is_some_and(|t| t != size) {
        return Err(http_error(
            "GET",
            url,
            format!(
                "the body ended after {size} of {} bytes",
                total.unwrap_or(0)
            ),
            None,
        ));
    }
    if expected_crc.is_some_and(|e| e != crc.finish()) {
        return Err(http_error(
            "GET",
            url,
            "CRC-64 mismatch between the server's header and the received data".to_owned(),
            None,
        ));
    }
    Ok(size)
}

/// GETs `url` into `dest` through a temporary file in the same folder, renamed into place
/// only when the whole body arrived (and its CRC-64 matched when the answer carries one).
pub(crate) async fn get_to_file(
    url: &str,
    dest: &Path,
    progress: Option<&ProgressFn>,
) -> Result<GetAnswer, WorkflowError> {
    let response = send_get(url).await?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let expected_crc = header("x-oss-hash-crc64ecma").and_then(|v| crc64::parse_header(&v));
    let total = response.content_length();
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| WorkflowError::io(&dir, e))?;
    let temp = jitstore_util::atomic_file::AtomicFile::create(dest, ".part")
        .map_err(|e| WorkflowError::io(&dir, e))?;
    let temp_path = temp.temp_path().to_owned();
    let std_file = temp
        .file()
        .try_clone()
        .map_err(|e| WorkflowError::io(&temp_path, e))?;
    let mut file = tokio::fs::File::from_std(std_file);
    let mut crc = Crc64::new();
    let mut body = response.bytes_stream();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| http_error("GET", url, transport_reason(&e), None))?;
        crc.update(&chunk);
        size += chunk.len() as u64;
        file.write_all(&chunk)
            .await
            .map_err(|e| WorkflowError::io(&temp_path, e))?;
        if let Some(p) = progress {
            p(size, total);
        }
    }
    file.flush()
        .await
        .map_err(|e| WorkflowError::io(&temp_path, e))?;
    drop(file);
    if let Some(t) = total {
        if t != size {
            return Err(http_error(
                "GET",
                url,
                format!("the body ended after {size} of {t} bytes"),
                None,
            ));
        }
    }
    if let Some(expected) = expected_crc {
        if expected != crc.finish() {
            return Err(http_error(
                "GET",
                url,
                format!(
                    "CRC-64 mismatch: the server said {expected}, received data has {}",
                    crc.finish()
                ),
                None,
            ));
        }
    }
    tokio::task::spawn_blocking(move || temp.commit())
        .await
        .map_err(|e| WorkflowError::io(dest, std::io::Error::other(e.to_string())))?
        .map_err(|e| WorkflowError::io(dest, e))?;
    Ok(GetAnswer {
        path: dest.to_owned(),
        size,
        content_type,
        crc64: Some(crc.finish()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn error_codes_come_from_the_body_or_the_head_answers_header() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>\
                   <Message>gone</Message></Error>";
        let none = http::HeaderMap::new();
        assert_eq!(
            error_code(404, &none, xml.as_bytes()).as_deref(),
            Some("NoSuchKey")
        );
        // A HEAD answer has no body: the error XML is base64 in `x-oss-err`.
        let mut head = http::HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(xml);
        head.insert("x-oss-err", encoded.parse().unwrap());
        assert_eq!(error_code(404, &head, b"").as_deref(), Some("NoSuchKey"));
        assert_eq!(error_code(502, &none, b"<html>bad gateway</html>"), None);
    }
}
