//! API edge cases over raw HTTP: ranges, conditionals, listings, multipart checks, batch
//! delete rules, addressing styles, HEAD errors and fault injection.

use std::time::{Duration, Instant};

use crate::common::*;
use base64::Engine;
use jitstore_oss_server::FaultPlan;

#[tokio::test]
async fn ranges_follow_oss_rules() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    http.put(url(&server, "r"))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    let get = |range: &'static str, standard: bool| {
        let mut req = http.get(url(&server, "r")).header("range", range);
        if standard {
            req = req.header("x-oss-range-behavior", "standard");
        }
        req.send()
    };
    let r = get("bytes=10-19", false).await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 10-19/1000");
    assert_eq!(
        r.headers()["x-oss-hash-crc64ecma"].to_str().unwrap(),
        jitstore_oss::crc64::checksum(&data).to_string()
    );
    assert_eq!(r.bytes().await.unwrap(), &data[10..20]);
    let r = get("bytes=-10", false).await.unwrap();
    assert_eq!(r.bytes().await.unwrap(), &data[990..]);
    // Out of range: whole object with 200 by default ...
    for bad in ["bytes=0-1000", "bytes=1000-", "byte=0-1", "bytes=5-2"] {
        let r = get(bad, false).await.unwrap();
        assert_eq!(r.status(), 200, "{bad}");
        assert_eq!(r.bytes().await.unwrap().len(), 1000);
    }
    // ... clamped or 416 in standard mode.
    let r = get("bytes=990-5000", true).await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 990-999/1000");
    let r = get("bytes=1000-", true).await.unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("InvalidRange")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn conditionals_and_response_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let put = http
        .put(url(&server, "c"))
        .body("cond")
        .send()
        .await
        .unwrap();
    let etag = put.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, md5_etag(b"cond"));
    let r = http
        .get(url(&server, "c"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = http
        .get(url(&server, "c"))
        .header("if-match", "\"0000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let r = http
        .get(url(&server, "c"))
        .header("if-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let future = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    let past = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(3600));
    let r = http
        .get(url(&server, "c"))
        .header("if-modified-since", &future)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = http
        .get(url(&server, "c"))
        .header("if-unmodified-since", &past)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let r = http
        .get(format!(
            "{}?response-content-type=image%2Fpng&response-content-disposition=attachment",
            url(&server, "c")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["content-disposition"], "attachment");
    server.shutdown().await;
}

#[tokio::test]
async fn head_errors_use_x_oss_err_and_put_checks_content_md5() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let r = http.head(url(&server, "missing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-oss-ec"], "0026-00000001");
    let xml = base64::engine::general_purpose::STANDARD
        .decode(r.headers()["x-oss-err"].as_bytes())
        .unwrap();
    assert_eq!(
        xml_text(&String::from_utf8(xml).unwrap(), "Code").as_deref(),
        Some("NoSuchKey")
    );
    assert_eq!(r.headers()["x-oss-request-id"].len(), 24);
    let r = http
        .put(url(&server, "md5"))
        .header("content-md5", md5_base64(b"other"))
        .body("data")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("InvalidDigest")
    );
    assert_eq!(
        http.get(url(&server, "md5")).send().await.unwrap().status(),
        404
    );
    let r = http
        .get(format!("{}/no-such-bucket/k", server.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("NoSuchBucket")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn listing_with_delimiter_pagination_and_url_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    for key in ["p/a/1", "p/a/2", "p/b", "p/c d", "p/e+f", "p/g\n"] {
        http.put(url(&server, key)).body("x").send().await.unwrap();
    }
    let base = format!("{}/{}/", server.endpoint(), BUCKET);
    let mut token: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let mut q =
            format!("{base}?list-type=2&prefix=p%2F&delimiter=%2F&max-keys=2&encoding-type=url");
        if let Some(t) = &token {
            q.push_str(&format!("&continuation-token={t}"));
        }
        let body = http.get(q).send().await.unwrap().text().await.unwrap();
        let mut entries = xml_all(&body, "Key");
        entries.extend(xml_all(&body, "Prefix").into_iter().skip(1));
        pages.push(entries);
        if xml_text(&body, "IsTruncated").as_deref() == Some("true") {
            token = xml_text(&body, "NextContinuationToken");
        } else {
            break;
        }
    }
    let flat: Vec<String> = pages.concat();
    assert_eq!(
        flat,
        vec!["p%2Fb", "p%2Fa%2F", "p%2Fc%20d", "p%2Fe%2Bf", "p%2Fg%0A"]
    );
    assert_eq!(pages.len(), 3);
    // V1 markers skip a whole common prefix.
    let body = http
        .get(format!("{base}?prefix=p%2F&delimiter=%2F&marker=p%2Fa%2F"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        xml_all(&body, "Key"),
        vec!["p/b", "p/c d", "p/e+f", "p/g\n"]
    );
    let r = http.get(format!("{base}?max-keys=0")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    server.shutdown().await;
}

fn complete_body(parts: &[(u32, &str)]) -> String {
    let mut s = String::from("<CompleteMultipartUpload>");
    for (n, e) in parts {
        s.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
        ));
    }
    s.push_str("</CompleteMultipartUpload>");
    s
}

#[tokio::test]
async fn multipart_part_checks_and_crc() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let key_url = url(&server, "mp/object");
    let init = http
        .post(format!("{key_url}?uploads"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = xml_text(&init, "UploadId").unwrap();
    let part1 = vec![1u8; 100 * 1024];
    let part2 = vec![2u8; 10];
    let mut etags = Vec::new();
    for (n, data) in [(1, &part1), (2, &part2)] {
        let r = http
            .put(format!("{key_url}?partNumber={n}&uploadId={id}"))
            .body(data.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        etags.push(r.headers()["etag"].to_str().unwrap().to_string());
    }
    let bad = http
        .put(format!("{key_url}?partNumber=10001&uploadId={id}"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let complete = |body: String| {
        http.post(format!("{key_url}?uploadId={id}"))
            .body(body)
            .send()
    };
    let r = complete(complete_body(&[(2, &etags[1]), (1, &etags[0])]))
        .await
        .unwrap();
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("InvalidPartOrder")
    );
    let r = complete(complete_body(&[(1, &etags[1])])).await.unwrap();
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("InvalidPart")
    );
    let r = complete(complete_body(&[(1, &etags[0]), (3, &etags[1])]))
        .await
        .unwrap();
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("InvalidPart")
    );
    // Part 1 replaced by a small one: EntityTooSmall.
    http.put(format!("{key_url}?partNumber=1&uploadId={id}"))
        .body("tiny")
        .send()
        .await
        .unwrap();
    let small_etag = md5_etag(b"tiny");
    let r = complete(complete_body(&[(1, &small_etag), (2, &etags[1])]))
        .await
        .unwrap();
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("EntityTooSmall")
    );
    http.put(format!("{key_url}?partNumber=1&uploadId={id}"))
        .body(part1.clone())
        .send()
        .await
        .unwrap();
    let r = complete(complete_body(&[(1, &etags[0]), (2, &etags[1])]))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let whole: Vec<u8> = [part1.clone(), part2.clone()].concat();
    assert_eq!(
        r.headers()["x-oss-hash-crc64ecma"].to_str().unwrap(),
        jitstore_oss::crc64::checksum(&whole).to_string()
    );
    let etag = xml_text(&r.text().await.unwrap(), "ETag").unwrap();
    assert!(
        etag.ends_with("-2&quot;") || etag.ends_with("-2\""),
        "{etag}"
    );
    let got = http.get(&key_url).send().await.unwrap();
    assert_eq!(got.headers()["x-oss-object-type"], "Multipart");
    assert_eq!(got.bytes().await.unwrap(), whole);
    let r = http
        .delete(format!("{key_url}?uploadId={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    server.shutdown().await;
}

#[tokio::test]
async fn multipart_listings_bound_their_page_size() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let key_url = url(&server, "mp/paged");
    let init = http
        .post(format!("{key_url}?uploads"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = xml_text(&init, "UploadId").unwrap();
    for n in 1..=2 {
        let r = http
            .put(format!("{key_url}?partNumber={n}&uploadId={id}"))
            .body(vec![n as u8; 10])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let list_parts = |max: &str| {
        http.get(format!("{key_url}?uploadId={id}&max-parts={max}"))
            .send()
    };
    let body = list_parts("1").await.unwrap().text().await.unwrap();
    assert_eq!(xml_all(&body, "PartNumber"), vec!["1"]);
    assert_eq!(xml_text(&body, "IsTruncated").as_deref(), Some("true"));
    let bucket_url = url(&server, "");
    for bad in ["0", "1001", "x"] {
        let r = list_parts(bad).await.unwrap();
        assert_eq!(r.status(), 400, "max-parts={bad}");
        assert_eq!(
            xml_text(&r.text().await.unwrap(), "Code").as_deref(),
            Some("InvalidArgument")
        );
        let r = http
            .get(format!("{bucket_url}?uploads&max-uploads={bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "max-uploads={bad}");
    }
    let body = http
        .get(format!("{bucket_url}?uploads&max-uploads=1000"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(xml_all(&body, "UploadId"), vec![id.clone()]);
    server.shutdown().await;
}

#[tokio::test]
async fn delete_multiple_requires_content_md5_and_honours_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    for k in ["d/1", "d/2 &<x>"] {
        http.put(url(&server, k)).body("x").send().await.unwrap();
    }
    let body = "<Delete><Quiet>false</Quiet><Object><Key>d/1</Key></Object><Object><Key>d/2 &amp;&lt;x&gt;</Key></Object></Delete>";
    let target = format!("{}/{}/?delete&encoding-type=url", server.endpoint(), BUCKET);
    let r = http.post(&target).body(body).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        http.get(url(&server, "d/1")).send().await.unwrap().status(),
        200
    );
    let r = http
        .post(&target)
        .header("content-md5", md5_base64(body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert_eq!(xml_all(&text, "Key"), vec!["d%2F1", "d%2F2%20%26%3Cx%3E"]);
    assert_eq!(
        http.get(url(&server, "d/1")).send().await.unwrap().status(),
        404
    );
    let quiet = "<Delete><Quiet>true</Quiet><Object><Key>d/none</Key></Object></Delete>";
    let r = http
        .post(&target)
        .header("content-md5", md5_base64(quiet.as_bytes()))
        .body(quiet)
        .send()
        .await
        .unwrap();
    assert!(xml_all(&r.text().await.unwrap(), "Deleted").is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn virtual_hosted_and_path_style_address_the_same_object() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let port = server.addr().port();
    let r = http
        .put(format!("{}/k%2Fv", server.endpoint()))
        .header("host", format!("{BUCKET}.localhost:{port}"))
        .body("virtual")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .get(format!("{}/k/v", server.endpoint()))
        .header("host", format!("{BUCKET}.127.0.0.1.nip.io:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "virtual");
    assert_eq!(
        http.get(url(&server, "k/v"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "virtual"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn append_copy_and_forbid_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let a = url(&server, "app");
    let r = http
        .post(format!("{a}?append&position=0"))
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-oss-next-append-position"], "3");
    let r = http
        .post(format!("{a}?append&position=2"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["x-oss-next-append-position"], "3");
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("PositionNotEqualToLength")
    );
    let r = http
        .post(format!("{a}?append&position=3"))
        .body("def")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["x-oss-hash-crc64ecma"].to_str().unwrap(),
        jitstore_oss::crc64::checksum(b"abcdef").to_string()
    );
    let r = http
        .put(url(&server, "copy"))
        .header("x-oss-copy-source", format!("/{BUCKET}/app"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "ETag")
            .unwrap()
            .replace("&quot;", "\""),
        md5_etag(b"abcdef")
    );
    let r = http
        .put(url(&server, "copy"))
        .header("x-oss-forbid-overwrite", "true")
        .body("no")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(
        http.get(url(&server, "copy"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "abcdef"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn fault_injection_nth_status_cut_and_delay() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let data = vec![5u8; 256 * 1024];
    http.put(url(&server, "f"))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    server.set_faults(FaultPlan {
        methods: vec!["GET".into()],
        nth: vec![2],
        status: Some(503),
        ..FaultPlan::default()
    });
    assert_eq!(
        http.get(url(&server, "f")).send().await.unwrap().status(),
        200
    );
    let r = http.get(url(&server, "f")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("ServiceUnavailable")
    );
    assert_eq!(
        http.get(url(&server, "f")).send().await.unwrap().status(),
        200
    );
    assert_eq!(server.faults().fired(), 1);
    server.set_faults(FaultPlan {
        every: true,
        limit: Some(1),
        cut_response_after: Some(1000),
        ..FaultPlan::default()
    });
    let r = http.get(url(&server, "f")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.is_err(), "the body should be cut");
    assert_eq!(
        http.get(url(&server, "f"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        data
    );
    server.set_faults(FaultPlan {
        every: true,
        delay_ms: 300,
        ..FaultPlan::default()
    });
    let start = Instant::now();
    http.head(url(&server, "f")).send().await.unwrap();
    assert!(start.elapsed() >= Duration::from_millis(300));
    server.faults().clear();
    server.shutdown().await;
}
