//! Authentication over raw HTTP, signed with the client's own code (`jitstore_oss::sign`).

use crate::common::*;
use chrono::{Duration as ChronoDuration, Utc};
use http::HeaderMap;
use jitstore_oss::credentials::Credentials;
use jitstore_oss::sign::{presign_v1, presign_v4, sign_v1_header, sign_v4_header, RequestParts};

fn signed_put(
    server: &jitstore_oss_server::RunningServer,
    key: &str,
    creds: &Credentials,
    v4: bool,
    region: &str,
    now: chrono::DateTime<Utc>,
) -> reqwest::RequestBuilder {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "text/plain".parse().unwrap());
    let parts = RequestParts {
        method: "PUT",
        bucket: Some(BUCKET),
        key: Some(key),
        query: &[],
        headers: &headers,
    };
    let out = if v4 {
        sign_v4_header(&parts, creds, region, now, &[]).unwrap()
    } else {
        sign_v1_header(&parts, creds, now).unwrap()
    };
    out.apply_to(&mut headers);
    client().put(url(server, key)).headers(headers)
}

async fn code_of(r: reqwest::Response) -> (u16, Option<String>, String) {
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    (status, xml_text(&body, "Code"), body)
}

#[tokio::test]
async fn header_signatures_v1_and_v4() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let good = Credentials::new(AK, SK);
    for v4 in [false, true] {
        let r = signed_put(&server, "a b+c", &good, v4, "cn-hangzhou", Utc::now())
            .body("signed")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "v4={v4}");
        let bad = Credentials::new(AK, "wrong");
        let (status, code, body) = code_of(
            signed_put(&server, "x", &bad, v4, "cn-hangzhou", Utc::now())
                .body("x")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, code.as_deref()),
            (403, Some("SignatureDoesNotMatch"))
        );
        assert!(xml_text(&body, "StringToSign").is_some());
        assert!(!body.contains("SignatureProvided"));
        let skewed = Utc::now() - ChronoDuration::minutes(16);
        let (status, code, _) = code_of(
            signed_put(&server, "x", &good, v4, "cn-hangzhou", skewed)
                .body("x")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, code.as_deref()),
            (403, Some("RequestTimeTooSkewed"))
        );
        let unknown = Credentials::new("nobody", SK);
        let (status, code, _) = code_of(
            signed_put(&server, "x", &unknown, v4, "cn-hangzhou", Utc::now())
                .body("x")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((status, code.as_deref()), (403, Some("InvalidAccessKeyId")));
    }
    let (status, code, _) = code_of(
        signed_put(&server, "x", &good, true, "cn-beijing", Utc::now())
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_deref()), (400, Some("InvalidArgument")));
    // Unsigned requests on a private bucket are refused.
    let (status, code, _) =
        code_of(client().get(url(&server, "a b+c")).send().await.unwrap()).await;
    assert_eq!((status, code.as_deref()), (403, Some("AccessDenied")));
    server.shutdown().await;
}

#[tokio::test]
async fn presigned_urls_and_public_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let creds = Credentials::new(AK, SK);
    signed_put(&server, "p/obj", &creds, true, "cn-hangzhou", Utc::now())
        .body("presigned")
        .send()
        .await
        .unwrap();
    let headers = HeaderMap::new();
    let parts = RequestParts {
        method: "GET",
        bucket: Some(BUCKET),
        key: Some("p/obj"),
        query: &[],
        headers: &headers,
    };
    let query_url = |query: &[(String, String)]| {
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    jitstore_oss::encoding::encode_strict(k),
                    jitstore_oss::encoding::encode_strict(v)
                )
            })
            .collect();
        format!("{}?{}", url(&server, "p/obj"), q.join("&"))
    };
    let v4 = presign_v4(&parts, &creds, "cn-hangzhou", Utc::now(), 60, &[]).unwrap();
    let r = client().get(query_url(&v4.query)).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "presigned");
    let v1 = presign_v1(&parts, &creds, Utc::now().timestamp() + 60).unwrap();
    let r = client().get(query_url(&v1.query)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Expired (V4 signed 20 minutes ago for 60 s) and not-yet-valid (x-oss-date 20 minutes ahead).
    let old = presign_v4(
        &parts,
        &creds,
        "cn-hangzhou",
        Utc::now() - ChronoDuration::minutes(20),
        60,
        &[],
    )
    .unwrap();
    let (status, code, _) =
        code_of(client().get(query_url(&old.query)).send().await.unwrap()).await;
    assert_eq!((status, code.as_deref()), (403, Some("AccessDenied")));
    let early = presign_v4(
        &parts,
        &creds,
        "cn-hangzhou",
        Utc::now() + ChronoDuration::minutes(20),
        60,
        &[],
    )
    .unwrap();
    let (status, _, _) = code_of(client().get(query_url(&early.query)).send().await.unwrap()).await;
    assert_eq!(status, 403);
    let expired_v1 = presign_v1(&parts, &creds, Utc::now().timestamp() - 1).unwrap();
    let (status, code, _) = code_of(
        client()
            .get(query_url(&expired_v1.query))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_deref()), (403, Some("AccessDenied")));
    // Anonymous reads work on the public-read bucket only, and never writes.
    let public = format!("{}/public-bucket/pub", server.endpoint());
    let mut headers = HeaderMap::new();
    let put_parts = RequestParts {
        method: "PUT",
        bucket: Some("public-bucket"),
        key: Some("pub"),
        query: &[],
        headers: &headers,
    };
    sign_v4_header(&put_parts, &creds, "cn-hangzhou", Utc::now(), &[])
        .unwrap()
        .apply_to(&mut headers);
    assert_eq!(
        client()
            .put(&public)
            .headers(headers)
            .body("open")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client()
            .get(&public)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "open"
    );
    assert_eq!(client().head(&public).send().await.unwrap().status(), 200);
    let (status, code, _) = code_of(
        client()
            .put(&public)
            .body("anon write")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_deref()), (403, Some("AccessDenied")));
    server.shutdown().await;
}
