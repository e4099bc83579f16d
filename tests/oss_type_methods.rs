//! storages.OssType end to end: every method of the element against the local OSS server over
//! real HTTP, loaded with `app.get_element("storages.MyOss")` from a JSON app folder.

mod oss_type_support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::TryStreamExt;
use jitstore_storages::{OssStorage, PostPolicyRequest, SignUrlRequest, UploadOptions};
use oss_type_support::*;
use serde_json::json;

#[tokio::test]
async fn get_element_from_a_json_app_folder_uploads_downloads_and_deletes() {
    let peer = start().await;
    let oss = peer.handle("MyOss", peer.config(json!({})));
    assert_eq!(oss.element(), "storages.MyOss");
    assert_eq!(oss.type_name(), "storages.OssType");

    let up = oss
        .upload_by_file(
            "folder/example.txt",
            b"hello oss".to_vec(),
            Some("text/plain"),
        )
        .await
        .unwrap();
    assert_eq!(up.key, "folder/example.txt");
    assert_eq!(up.size, 9);
    assert_eq!(up.content_type.as_deref(), Some("text/plain"));
    assert_eq!(up.crc64, Some(jitstore_oss::crc64::checksum(b"hello oss")));
    assert!(!up.etag.is_empty() && !up.etag.contains('"'), "{}", up.etag);
    assert_eq!(
        up.url,
        format!("{}/{BUCKET}/folder/example.txt", peer.server.endpoint())
    );

    assert_eq!(
        &oss.download("folder/example.txt").await.unwrap()[..],
        b"hello oss"
    );
    let info = oss.get_object("folder/example.txt").await.unwrap();
    assert_eq!(info.size, 9);
    assert_eq!(info.content_type.as_deref(), Some("text/plain"));
    assert_eq!(info.etag.as_deref(), Some(up.etag.as_str()));
    assert_eq!(info.crc64, up.crc64);
    assert!(info.last_modified.is_some());
    assert_eq!(info.storage_class.as_deref(), Some("Standard"));
    assert!(oss.exists("folder/example.txt").await.unwrap());

    // JitAI's default content type.
    let bin = oss
        .upload_by_file("blob", vec![1, 2, 3], None)
        .await
        .unwrap();
    assert_eq!(
        bin.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(
        oss.get_object("blob")
            .await
            .unwrap()
            .content_type
            .as_deref(),
        Some("application/octet-stream")
    );

    oss.delete("folder/example.txt").await.unwrap();
    assert!(!oss.exists("folder/example.txt").await.unwrap());
    // Deleting a missing object succeeds, as on OSS.
    oss.delete("folder/example.txt").await.unwrap();

    let err = oss.download("folder/example.txt").await.unwrap_err();
    assert!(err.is_not_found());
    let text = err.to_string();
    for part in [
        "storages.MyOss",
        "storages.OssType",
        "download",
        "folder/example.txt",
    ] {
        assert!(text.contains(part), "{text} lacks {part}");
    }
    let err = oss.get_object("nope/missing.bin").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.to_string().contains("nope/missing.bin"));
}

#[tokio::test]
async fn user_metadata_list_copy_delete_many_and_append() {
    let peer = start().await;
    let oss = peer.handle("MyOss", peer.config(json!({})));

    let mut options = UploadOptions::content_type("application/json");
    options.user_metadata = BTreeMap::from([
        ("owner".to_owned(), "alice".to_owned()),
        ("Project".to_owned(), "jit".to_owned()),
    ]);
    oss.upload_with("meta/doc.json", b"{}".to_vec(), &options)
        .await
        .unwrap();
    let info = oss.get_object("meta/doc.json").await.unwrap();
    assert_eq!(
        info.user_metadata.get("owner").map(String::as_str),
        Some("alice")
    );
    assert_eq!(
        info.user_metadata.get("project").map(String::as_str),
        Some("jit")
    );
    assert_eq!(info.content_type.as_deref(), Some("application/json"));

    for i in 0..5 {
        oss.upload_by_file(&format!("list/{i:02}.txt"), vec![b'x'; i], None)
            .await
            .unwrap();
    }
    oss.upload_by_file("listing-not-under-prefix", vec![1], None)
        .await
        .unwrap();
    let listed: Vec<_> = oss.list("list/").try_collect().await.unwrap();
    let keys: Vec<_> = listed.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "list/00.txt",
            "list/01.txt",
            "list/02.txt",
            "list/03.txt",
            "list/04.txt"
        ]
    );
    assert_eq!(listed[3].size, 3);
    assert!(listed[3].etag.is_some());

    oss.copy("meta/doc.json", "meta/copy.json").await.unwrap();
    let copied = oss.get_object("meta/copy.json").await.unwrap();
    assert_eq!(
        copied.user_metadata.get("owner").map(String::as_str),
        Some("alice")
    );
    assert_eq!(&oss.download("meta/copy.json").await.unwrap()[..], b"{}");
    let err = oss
        .copy("meta/absent.json", "meta/x.json")
        .await
        .unwrap_err();
    assert!(
        err.is_not_found() || err.to_string().contains("NoSuchKey"),
        "{err}"
    );

    let names: Vec<String> = (0..5).map(|i| format!("list/{i:02}.txt")).collect();
    oss.delete_many(&names).await.unwrap();
    let left: Vec<_> = oss.list("list/").try_collect().await.unwrap();
    assert!(left.is_empty(), "{left:?}");

    let next = oss
        .append("logs/app.log", 0, b"line 1\n".to_vec())
        .await
        .unwrap();
    assert_eq!(next, 7);
    let next = oss
        .append("logs/app.log", next, b"line 2\n".to_vec())
        .await
        .unwrap();
    assert_eq!(next, 14);
    assert_eq!(
        &oss.download("logs/app.log").await.unwrap()[..],
        b"line 1\nline 2\n"
    );
    let err = oss
        .append("logs/app.log", 3, b"bad".to_vec())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("PositionNotEqualToLength"),
        "{err}"
    );
}

#[tokio::test]
async fn presigned_urls_for_get_and_put_and_expiry() {
    let peer = start().await;
    let oss = peer.handle("MyOss", peer.config(json!({})));
    oss.upload_by_file("docs/a b+c.pdf", b"%PDF".to_vec(), None)
        .await
        .unwrap();
    let http = reqwest::Client::new();

    let url = oss
        .get_sign_url("docs/a b+c.pdf", Some("application/pdf"), None)
        .await
        .unwrap();
    assert!(url.contains("x-oss-signature="), "V4 by default: {url}");
    assert!(url.contains("x-oss-expires=300"), "default 300 s: {url}");
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(&resp.bytes().await.unwrap()[..], b"%PDF");

    // A PUT URL signs the Content-Type; the caller must send it.
    let mut req = SignUrlRequest::new("PUT", "uploads/direct.png");
    req.content_type = Some("image/png".into());
    req.expires = Duration::from_secs(60);
    let signed = oss.sign_url(&req).await.unwrap();
    assert_eq!(signed.method, "PUT");
    assert_eq!(
        signed.headers.get("content-type").map(String::as_str),
        Some("image/png")
    );
    assert!(signed.expires_at > chrono::Utc::now());
    let wrong = http
        .put(&signed.url)
        .header("content-type", "text/plain")
        .body("png?")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403, "a different Content-Type is refused");
    let mut put = http.put(&signed.url).body("png!");
    for (k, v) in &signed.headers {
        put = put.header(k, v);
    }
    assert_eq!(put.send().await.unwrap().status(), 200);
    let info = oss.get_object("uploads/direct.png").await.unwrap();
    assert_eq!(info.content_type.as_deref(), Some("image/png"));

    // An expired URL is refused.
    let short = oss
        .get_sign_url("docs/a b+c.pdf", None, Some(Duration::from_secs(1)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let resp = http.get(&short).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("AccessDenied") || body.contains("Expire"),
        "{body}"
    );
}

#[tokio::test]
async fn signed_url_mode_and_public_domain_shape_the_returned_url() {
    let peer = start().await;
    let signed = peer.handle(
        "Signed",
        peer.config(json!({"urlMode": "signed", "signedUrlExpires": 120})),
    );
    let up = signed
        .upload_by_file("s/file.txt", b"signed".to_vec(), None)
        .await
        .unwrap();
    assert!(up.url.contains("x-oss-expires=120"), "{}", up.url);
    let got = reqwest::get(&up.url).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(&got.bytes().await.unwrap()[..], b"signed");

    let custom = peer.handle(
        "Custom",
        peer.config(json!({"publicDomain": "https://cdn.example.com"})),
    );
    let up = custom
        .upload_by_file("img/猫 1.png", b"x".to_vec(), None)
        .await
        .unwrap();
    assert_eq!(up.url, "https://cdn.example.com/img/%E7%8C%AB%201.png");
}

#[tokio::test]
async fn v1_signatures_and_sts_credentials_work() {
    let peer = start().await;
    let v1 = peer.handle("V1Oss", peer.config(json!({"signatureVersion": "v1"})));
    v1.upload_by_file("v1/k.txt", b"v1".to_vec(), None)
        .await
        .unwrap();
    assert_eq!(&v1.download("v1/k.txt").await.unwrap()[..], b"v1");
    let url = v1.get_sign_url("v1/k.txt", None, None).await.unwrap();
    assert!(
        url.contains("OSSAccessKeyId=") && url.contains("Signature="),
        "{url}"
    );
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);

    let sts = peer.handle(
        "StsOss",
        peer.config(json!({
            "accessKeyId": STS_AK,
            "accessKeySecret": STS_SK,
            "securityToken": STS_TOKEN,
        })),
    );
    sts.upload_by_file("sts/k.txt", b"sts".to_vec(), None)
        .await
        .unwrap();
    assert_eq!(&sts.download("sts/k.txt").await.unwrap()[..], b"sts");
    let url = sts.get_sign_url("sts/k.txt", None, None).await.unwrap();
    assert!(url.contains("x-oss-security-token="), "{url}");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);

    let sts_v1 = peer.handle(
        "StsV1",
        peer.config(json!({
            "accessKeyId": STS_AK,
            "accessKeySecret": STS_SK,
            "securityToken": STS_TOKEN,
            "signatureVersion": "v1",
        })),
    );
    assert_eq!(&sts_v1.download("sts/k.txt").await.unwrap()[..], b"sts");

    let no_token = peer.handle(
        "NoToken",
        peer.config(json!({"accessKeyId": STS_AK, "accessKeySecret": STS_SK})),
    );
    assert!(no_token.download("sts/k.txt").await.is_err());
}

#[tokio::test]
async fn keys_with_special_characters_round_trip() {
    let peer = start().await;
    let oss = peer.handle("MyOss", peer.config(json!({})));
    let v1 = peer.handle("V1", peer.config(json!({"signatureVersion": "v1"})));
    let keys = [
        "sp ace/file name.txt",
        "plus+sign/a+b.txt",
        "hash#tag/x#1.txt",
        "question?/what?.txt",
        "percent%/100%25.txt",
        "中文目录/文件.txt",
        "emoji/😀🚀.bin",
        "mixed/ a+b#c?d%e 中😀 .txt",
    ];
    let http = reqwest::Client::new();
    for (i, key) in keys.iter().enumerate() {
        let data = format!("content of {key}").into_bytes();
        let up = oss.upload_by_file(key, data.clone(), None).await.unwrap();
        assert_eq!(up.key, *key);
        assert!(!up.url.contains(' ') && !up.url.contains('#'), "{}", up.url);
        assert_eq!(&oss.download(key).await.unwrap()[..], &data[..], "{key}");
        assert_eq!(&v1.download(key).await.unwrap()[..], &data[..], "V1 {key}");
        assert_eq!(oss.get_object(key).await.unwrap().size, data.len() as u64);
        for url in [
            oss.get_sign_url(key, None, None).await.unwrap(),
            v1.get_sign_url(key, None, None).await.unwrap(),
        ] {
            let got = http.get(&url).send().await.unwrap();
            assert_eq!(got.status(), 200, "{key}: {url}");
            assert_eq!(&got.bytes().await.unwrap()[..], &data[..]);
        }
        let copy = format!("copies/{i}/{key}");
        oss.copy(key, &copy).await.unwrap();
        assert_eq!(&oss.download(&copy).await.unwrap()[..], &data[..]);
        let path = peer.app.path().join(format!("dl-{i}"));
        oss.download_to(key, &path).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }
    let listed: Vec<String> = oss.list("").map_ok(|o| o.key).try_collect().await.unwrap();
    for key in keys {
        assert!(
            listed.iter().any(|k| k == key),
            "{key} missing from {listed:?}"
        );
    }
    let all: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    oss.delete_many(&all).await.unwrap();
    for key in keys {
        assert!(!oss.exists(key).await.unwrap(), "{key}");
    }
}

#[tokio::test]
async fn wrong_secret_is_a_clear_signature_error_without_the_secret() {
    let peer = start().await;
    let secret = "definitely-WRONG-secret-9731";
    let oss = peer.handle("BadKey", peer.config(json!({"accessKeySecret": secret})));
    let err = oss
        .upload_by_file("k.txt", b"x".to_vec(), None)
        .await
        .unwrap_err();
    let shown = format!("{err} / {err:?}");
    assert!(shown.contains("SignatureDoesNotMatch"), "{shown}");
    assert!(
        shown.contains("storages.BadKey") && shown.contains("k.txt"),
        "{shown}"
    );
    assert!(
        shown.contains("request id"),
        "keeps the request id: {shown}"
    );
    assert!(!shown.contains(secret), "secret leaked: {shown}");
    assert!(!shown.contains(SK), "{shown}");

    // The element's own Debug output never shows the secret either.
    let good = peer.handle("GoodKey", peer.config(json!({})));
    let debug = format!("{:?}", OssStorage::from_handle(&good).unwrap());
    assert!(!debug.contains(SK), "{debug}");
}

#[tokio::test]
async fn credentials_come_from_the_environment_when_absent() {
    let peer = start().await;
    let config = peer.config(json!({"accessKeyId": null, "accessKeySecret": null}));
    peer.write_element("EnvOss", &config);
    let app = jitstore_element::App::builder(peer.app.path())
        .env([("OSS_ACCESS_KEY_ID", AK), ("OSS_ACCESS_KEY_SECRET", SK)])
        .open()
        .unwrap();
    let loaded = app.get_element("storages.EnvOss").unwrap();
    let oss = jitstore_storages::StorageHandle::from_loaded(&loaded).unwrap();
    oss.upload_by_file("env.txt", b"env".to_vec(), None)
        .await
        .unwrap();
    assert_eq!(&oss.download("env.txt").await.unwrap()[..], b"env");

    // Without them, building fails and says which variables are missing.
    let app = jitstore_element::App::builder(peer.app.path())
        .env([("UNRELATED", "1")])
        .open()
        .unwrap();
    let err = app.get_element("storages.EnvOss").unwrap_err().to_string();
    assert!(err.contains("OSS_ACCESS_KEY_ID"), "{err}");

    // {{VAR}} placeholders work as in every element.
    let config = peer.config(json!({"accessKeyId": "{{MY_AK}}", "accessKeySecret": "{{MY_SK}}"}));
    peer.write_element("VarOss", &config);
    let app = jitstore_element::App::builder(peer.app.path())
        .env([("MY_AK", AK), ("MY_SK", SK)])
        .open()
        .unwrap();
    let loaded = app.get_element("storages.VarOss").unwrap();
    let oss = jitstore_storages::StorageHandle::from_loaded(&loaded).unwrap();
    assert_eq!(&oss.download("env.txt").await.unwrap()[..], b"env");
}

#[tokio::test]
async fn config_errors_name_the_file_and_field() {
    let peer = start().await;
    peer.write_element("Typo", &peer.config(json!({"bucket": "oops"})));
    peer.write_element("NoRegion", &peer.config(json!({"region": null})));
    peer.write_element("BadMode", &peer.config(json!({"urlMode": "private"})));
    let app = jitstore_element::App::open(peer.app.path()).unwrap();
    let err = app.get_element("storages.Typo").unwrap_err().to_string();
    assert!(err.contains("bucket") && err.contains("Typo.json"), "{err}");
    let err = app
        .get_element("storages.NoRegion")
        .unwrap_err()
        .to_string();
    assert!(err.contains("region"), "{err}");
    let err = app.get_element("storages.BadMode").unwrap_err().to_string();
    assert!(err.contains("urlMode") || err.contains("private"), "{err}");
}

#[tokio::test]
async fn post_policy_lets_a_browser_form_upload() {
    let peer = start().await;
    let oss = peer.handle("MyOss", peer.config(json!({})));
    let store = OssStorage::from_handle(&oss).expect("an OssType storage");
    let mut request = PostPolicyRequest::new("user-uploads/");
    request.content_length_range = Some((1, 1024));
    let form = store.post_policy(&request).await.unwrap();
    assert!(form.fields.iter().any(|(n, _)| n == "x-oss-signature"));

    let post = |form: &jitstore_storages::PostForm, filename: &str, data: &[u8]| {
        let boundary = "jitstoreformboundary7MA4YWxk";
        let mut body = Vec::new();
        for (name, value) in &form.fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        reqwest::Client::new()
            .post(&form.url)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
    };
    let resp = post(&form, "note.txt", b"from a browser")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{:?}", resp.text().await);
    assert_eq!(
        &oss.download("user-uploads/note.txt").await.unwrap()[..],
        b"from a browser"
    );
    let too_big = post(&form, "big.txt", &[b'x'; 2048]).send().await.unwrap();
    assert!(too_big.status().is_client_error());
    assert!(!oss.exists("user-uploads/big.txt").await.unwrap());
}

#[tokio::test]
async fn presign_endpoint_and_addressing_settings_are_honoured() {
    let peer = start().await;
    let port = peer.server.addr().port();
    let oss = peer.handle(
        "Presign",
        peer.config(json!({"presignEndpoint": format!("http://localhost:{port}")})),
    );
    oss.upload_by_file("p/x.txt", b"via localhost".to_vec(), None)
        .await
        .unwrap();
    let url = oss.get_sign_url("p/x.txt", None, None).await.unwrap();
    assert!(
        url.starts_with(&format!("http://localhost:{port}/{BUCKET}/p/x.txt?")),
        "{url}"
    );
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(&got.bytes().await.unwrap()[..], b"via localhost");

    // A scheme in endPoint that contradicts `scheme` is a config error naming the field.
    peer.write_element("Clash", &peer.config(json!({"scheme": "https"})));
    let app = jitstore_element::App::open(peer.app.path()).unwrap();
    let err = app.get_element("storages.Clash").unwrap_err().to_string();
    assert!(err.contains("scheme"), "{err}");
}

#[tokio::test]
async fn read_timeout_and_retries_come_from_the_config() {
    let peer = start().await;
    let oss = peer.handle(
        "Slow",
        peer.config(json!({"readTimeout": 0.3, "retries": 0})),
    );
    oss.upload_by_file("slow.txt", b"zzz".to_vec(), None)
        .await
        .unwrap();
    peer.server.set_faults(jitstore_oss_server::FaultPlan {
        methods: vec!["HEAD".into()],
        every: true,
        delay_ms: 1500,
        ..jitstore_oss_server::FaultPlan::default()
    });
    let started = std::time::Instant::now();
    let err = oss.get_object("slow.txt").await.unwrap_err();
    peer.server.faults().clear();
    assert!(err.to_string().contains("timeout"), "{err}");
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn list_follows_continuation_tokens_past_one_page() {
    use futures::StreamExt;
    let peer = start().await;
    let oss = peer.handle("Many", peer.config(json!({})));
    let uploads = futures::stream::iter(0..1003)
        .map(|i| {
            let oss = oss.clone();
            async move {
                oss.upload_by_file(&format!("many/{i:05}"), vec![b'a'], None)
                    .await
                    .map(|_| ())
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    assert!(uploads.iter().all(Result::is_ok));
    let keys: Vec<String> = oss
        .list("many/")
        .map_ok(|o| o.key)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(keys.len(), 1003);
    assert_eq!(keys.first().map(String::as_str), Some("many/00000"));
    assert_eq!(keys.last().map(String::as_str), Some("many/01002"));
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "in key order, no duplicates"
    );
}
