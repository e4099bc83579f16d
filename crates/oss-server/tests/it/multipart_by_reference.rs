//! CompleteMultipartUpload links the parts into the object instead of copying them: composite
//! ETag, CRC-64 combined from the parts, reads (whole and ranged) across part files, copies
//! from such objects, cleanup on overwrite and delete, and crash safety under kill -9.

use std::path::Path;
use std::time::Duration;

use crate::common::*;

/// Version directories holding the parts of `key`.
fn segment_versions(data: &Path, key: &str) -> usize {
    std::fs::read_dir(
        data.join("buckets")
            .join(BUCKET)
            .join("segments")
            .join(key_hash(key)),
    )
    .map(|d| d.count())
    .unwrap_or(0)
}

fn part_bytes(n: u8, size: usize) -> Vec<u8> {
    (0..size).map(|i| (i as u8).wrapping_mul(31) ^ n).collect()
}

async fn initiate(http: &reqwest::Client, base: &str, key: &str) -> String {
    let r = http
        .post(format!("{base}/{key}?uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    xml_text(&r.text().await.unwrap(), "UploadId").expect("upload id")
}

fn composite_etag(parts: &[Vec<u8>]) -> String {
    use md5::Digest;
    let mut all = md5::Md5::new();
    for p in parts {
        all.update(md5::Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode_upper(all.finalize()), parts.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_links_parts_and_reads_stream_across_them() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path();
    let server = open_server(data_dir).await;
    let http = client();
    let base = format!("{}/{}", server.endpoint(), BUCKET);
    let parts = vec![
        part_bytes(1, 300 * 1024),
        part_bytes(2, 200 * 1024),
        part_bytes(3, 70 * 1024),
    ];
    let whole: Vec<u8> = parts.concat();
    let id = initiate(&http, &base, "big.bin").await;
    let xml = upload_parts(&http, &base, "big.bin", &id, &parts).await;
    let r = http
        .post(format!("{base}/big.bin?uploadId={id}"))
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let crc = jitstore_oss::crc64::checksum(&whole).to_string();
    assert_eq!(r.headers()["x-oss-hash-crc64ecma"], crc.as_str());
    let etag = composite_etag(&parts);
    assert_eq!(r.headers()["etag"], etag.as_str());
    // Linked, not copied: the object file holds no data.
    let manifest = std::fs::metadata(object_file(data_dir, "big.bin")).unwrap();
    assert!(
        manifest.len() < 4096,
        "object file is {} bytes",
        manifest.len()
    );
    assert_eq!(segment_versions(data_dir, "big.bin"), 1);
    // Whole and ranged reads across part boundaries.
    let r = http.get(format!("{base}/big.bin")).send().await.unwrap();
    assert_eq!(r.headers()["etag"], etag.as_str());
    assert_eq!(r.headers()["x-oss-hash-crc64ecma"], crc.as_str());
    assert_eq!(r.headers()["x-oss-object-type"], "Multipart");
    assert!(r.bytes().await.unwrap() == whole);
    for (start, end) in [(0, 10), (300 * 1024 - 5, 300 * 1024 + 5), (1000, 540_000)] {
        let r = http
            .get(format!("{base}/big.bin"))
            .header("range", format!("bytes={start}-{end}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206);
        assert!(r.bytes().await.unwrap()[..] == whole[start..=end]);
    }
    let r = http
        .get(format!("{base}/big.bin"))
        .header("range", "bytes=-100")
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.unwrap()[..] == whole[whole.len() - 100..]);
    // The upload is gone; its parts live on in the object.
    let r = http
        .get(format!("{base}/big.bin?uploadId={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // CopyObject and UploadPartCopy read from the linked parts.
    let r = http
        .put(format!("{base}/copy.bin"))
        .header("x-oss-copy-source", format!("/{BUCKET}/big.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http.get(format!("{base}/copy.bin")).send().await.unwrap();
    assert!(r.bytes().await.unwrap() == whole);
    let id2 = initiate(&http, &base, "pieces.bin").await;
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (n, (start, end)) in [(1, (250_000u64, 409_999u64)), (2, (410_000, 583_679))] {
        let r = http
            .put(format!("{base}/pieces.bin?partNumber={n}&uploadId={id2}"))
            .header("x-oss-copy-source", format!("/{BUCKET}/big.bin"))
            .header("x-oss-copy-source-range", format!("bytes={start}-{end}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let etag = xml_text(&r.text().await.unwrap(), "ETag")
            .unwrap()
            .replace("&quot;", "\"");
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    let r = http
        .post(format!("{base}/pieces.bin?uploadId={id2}"))
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http.get(format!("{base}/pieces.bin")).send().await.unwrap();
    assert!(r.bytes().await.unwrap()[..] == whole[250_000..]);
    // Overwriting and deleting drop the replaced version's parts.
    let r = http
        .put(format!("{base}/big.bin"))
        .body("small now")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(segment_versions(data_dir, "big.bin"), 0);
    assert_eq!(segment_versions(data_dir, "pieces.bin"), 1);
    let r = http
        .delete(format!("{base}/pieces.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(segment_versions(data_dir, "pieces.bin"), 0);
    // A restart keeps linked objects whole.
    let id3 = initiate(&http, &base, "kept.bin").await;
    let xml = upload_parts(&http, &base, "kept.bin", &id3, &parts).await;
    let r = http
        .post(format!("{base}/kept.bin?uploadId={id3}"))
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.shutdown().await;
    let server = open_server(data_dir).await;
    let base = format!("{}/{}", server.endpoint(), BUCKET);
    let r = http.get(format!("{base}/kept.bin")).send().await.unwrap();
    assert_eq!(r.headers()["etag"], etag.as_str());
    assert!(r.bytes().await.unwrap() == whole);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_and_tags_of_a_linked_object_change_its_manifest_not_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path();
    let server = open_server(data_dir).await;
    let http = client();
    let base = format!("{}/{}", server.endpoint(), BUCKET);
    let parts = vec![part_bytes(1, 300 * 1024), part_bytes(2, 40 * 1024)];
    let whole: Vec<u8> = parts.concat();
    // ACL and tags given at Initiate belong to the completed object.
    let r = http
        .post(format!("{base}/attrs.bin?uploads"))
        .header("x-oss-object-acl", "private")
        .header("x-oss-tagging", "stage=one")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = xml_text(&r.text().await.unwrap(), "UploadId").expect("upload id");
    let xml = upload_parts(&http, &base, "attrs.bin", &id, &parts).await;
    let r = http
        .post(format!("{base}/attrs.bin?uploadId={id}"))
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = composite_etag(&parts);
    let acl_of = |http: reqwest::Client, url: String| async move {
        let body = http.get(url).send().await.unwrap().text().await.unwrap();
        xml_text(&body, "Grant")
    };
    assert_eq!(
        acl_of(http.clone(), format!("{base}/attrs.bin?acl"))
            .await
            .as_deref(),
        Some("private")
    );
    let r = http.head(format!("{base}/attrs.bin")).send().await.unwrap();
    assert_eq!(r.headers()["x-oss-tagging-count"], "1");
    // Change both; the data stays in the (re-linked) part files.
    let r = http
        .put(format!("{base}/attrs.bin?acl"))
        .header("x-oss-object-acl", "public-read")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .put(format!("{base}/attrs.bin?tagging"))
        .body(
            "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>\
             <Tag><Key>b</Key><Value>2</Value></Tag></TagSet></Tagging>",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        acl_of(http.clone(), format!("{base}/attrs.bin?acl"))
            .await
            .as_deref(),
        Some("public-read")
    );
    let manifest = std::fs::metadata(object_file(data_dir, "attrs.bin")).unwrap();
    assert!(
        manifest.len() < 4096,
        "the update copied the data into a {} byte object file",
        manifest.len()
    );
    assert_eq!(segment_versions(data_dir, "attrs.bin"), 1);
    let r = http.get(format!("{base}/attrs.bin")).send().await.unwrap();
    assert_eq!(r.headers()["etag"], etag.as_str());
    assert_eq!(r.headers()["x-oss-object-type"], "Multipart");
    assert_eq!(r.headers()["x-oss-tagging-count"], "2");
    assert!(r.bytes().await.unwrap() == whole);
    // Deleting the object removes the re-linked parts too.
    let r = http
        .delete(format!("{base}/attrs.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(segment_versions(data_dir, "attrs.bin"), 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_complete_leaves_no_object_or_the_whole_object() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let http = client();
    let parts = vec![
        part_bytes(7, 256 * 1024),
        part_bytes(8, 256 * 1024),
        part_bytes(9, 256 * 1024),
        part_bytes(10, 1000),
    ];
    let whole = parts.concat();
    let etag = composite_etag(&parts);
    let mut outcomes = (0, 0);
    for (round, delay_us) in [0u64, 500, 1000, 2000, 3000, 5000, 8000, 12000, 20000]
        .into_iter()
        .enumerate()
    {
        let key = format!("crash-{round}.bin");
        let mut server = spawn_server(&data);
        let base = format!("{}/{}", server.endpoint, BUCKET);
        let id = initiate(&http, &base, &key).await;
        let xml = upload_parts(&http, &base, &key, &id, &parts).await;
        let complete = tokio::spawn({
            let http = http.clone();
            let target = format!("{base}/{key}?uploadId={id}");
            async move { http.post(target).body(xml).send().await }
        });
        tokio::time::sleep(Duration::from_micros(delay_us)).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        let _ = complete.await;
        let mut server = spawn_server(&data);
        let base = format!("{}/{}", server.endpoint, BUCKET);
        let r = http.get(format!("{base}/{key}")).send().await.unwrap();
        match r.status().as_u16() {
            404 => {
                outcomes.0 += 1;
                assert_eq!(
                    segment_versions(&data, &key),
                    0,
                    "round {round}: parts of an uncommitted object were left behind"
                );
            }
            200 => {
                outcomes.1 += 1;
                assert_eq!(r.headers()["etag"], etag.as_str(), "round {round}");
                assert!(
                    r.bytes().await.unwrap() == whole,
                    "round {round}: a partial object"
                );
                assert_eq!(segment_versions(&data, &key), 1);
            }
            other => panic!("round {round}: GET answered {other}"),
        }
        server.child.kill().unwrap();
        server.child.wait().unwrap();
    }
    eprintln!("after kill -9: {} absent, {} whole", outcomes.0, outcomes.1);
}
