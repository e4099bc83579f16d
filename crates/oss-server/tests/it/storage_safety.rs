//! Storage safety: hostile keys stay inside the data directory, concurrent writers never mix,
//! and a server killed mid-upload leaves no partial object after a restart.

use std::time::Duration;

use crate::common::*;

#[tokio::test]
async fn hostile_keys_never_escape_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = open_server(&data).await;
    let http = client();
    let chinese_1023: String = "键".repeat(341);
    assert_eq!(chinese_1023.len(), 1023);
    let keys = [
        "../../etc/passwd".to_string(),
        "a//b".to_string(),
        "../..".to_string(),
        "./x/../y".to_string(),
        "..\\..\\windows".to_string(),
        "line\nbreak\tand\u{1}ctl".to_string(),
        "%2e%2e/literal-percent".to_string(),
        chinese_1023.clone(),
    ];
    for (i, key) in keys.iter().enumerate() {
        let body = format!("body {i}");
        let r = http
            .put(url(&server, key))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "PUT {key:?}");
        let got = http.get(url(&server, key)).send().await.unwrap();
        assert_eq!(got.status(), 200, "GET {key:?}");
        assert_eq!(got.text().await.unwrap(), body);
    }
    // Every file the server wrote is inside the data directory, and no name derives from a key.
    let outside = dir.path().join("etc");
    assert!(!outside.exists());
    for entry in walkdir::WalkDir::new(dir.path()).min_depth(1) {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        assert!(
            entry.path().starts_with(&data),
            "{:?} escaped",
            entry.path()
        );
        assert!(!name.contains("passwd") && !name.contains("windows") && !name.contains('键'));
    }
    // The listing returns the exact keys, byte-sorted.
    let list = http
        .get(format!(
            "{}/{}/?list-type=2&encoding-type=url",
            server.endpoint(),
            BUCKET
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut listed: Vec<String> = xml_all(&list, "Key")
        .iter()
        .map(|k| jitstore_oss::encoding::decode(k).unwrap())
        .collect();
    let mut expected = keys.to_vec();
    expected.sort();
    listed.sort();
    assert_eq!(listed, expected);
    // Keys OSS refuses.
    let too_long = "k".repeat(1024);
    let r = http
        .put(url(&server, &too_long))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("InvalidObjectName")
    );
    let r = http
        .put(format!(
            "{}/{}/%5Cleading-backslash",
            server.endpoint(),
            BUCKET
        ))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_to_one_key_never_mix() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let target = url(&server, "contended/key");
    const SIZE: usize = 512 * 1024;
    let mut tasks = Vec::new();
    for writer in 0..8u8 {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let http = client();
            for round in 0..4u8 {
                let body = vec![writer * 16 + round; SIZE];
                let r = http.put(&target).body(body).send().await.unwrap();
                assert_eq!(r.status(), 200);
            }
        }));
    }
    let reader_target = target.clone();
    // The reader reads at least 60 times and until the writers are done (then once more), so
    // it sees whole objects however fast the first write commits.
    let writers_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader_done = writers_done.clone();
    let reader = tokio::spawn(async move {
        let http = client();
        let mut whole_reads = 0;
        let mut attempts = 0;
        let mut read_after_writers = false;
        loop {
            if attempts >= 60 && read_after_writers {
                break;
            }
            read_after_writers = reader_done.load(std::sync::atomic::Ordering::SeqCst);
            attempts += 1;
            let r = http.get(&reader_target).send().await.unwrap();
            if r.status() == 404 {
                continue;
            }
            assert_eq!(r.status(), 200);
            let etag = r.headers()["etag"].to_str().unwrap().to_string();
            let body = r.bytes().await.unwrap();
            assert_eq!(body.len(), SIZE, "a read saw a partial object");
            assert!(
                body.iter().all(|b| *b == body[0]),
                "a read mixed two writers"
            );
            assert_eq!(
                etag,
                md5_etag(&body),
                "metadata and data of different versions"
            );
            whole_reads += 1;
        }
        whole_reads
    });
    for t in tasks {
        t.await.unwrap();
    }
    writers_done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(reader.await.unwrap() > 0);
    // The final state is one writer's last round, and the listing agrees with the object.
    let http = client();
    let r = http.get(&target).send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let body = r.bytes().await.unwrap();
    assert!(body.iter().all(|b| *b == body[0]) && body[0] % 16 == 3);
    let list = http
        .get(format!("{}/{}/?list-type=2", server.endpoint(), BUCKET))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        xml_text(&list, "ETag").map(|e| e.replace("&quot;", "\"")),
        Some(etag)
    );
    // No staging files are left behind.
    let tmp = dir.path().join("buckets").join(BUCKET).join("tmp");
    assert_eq!(std::fs::read_dir(tmp).unwrap().count(), 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_upload_leaves_no_partial_object() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut first = spawn_server(&data);
    let http = client();
    let base = format!("{}/{}", first.endpoint, BUCKET);
    // A committed object before the crash survives it.
    let r = http
        .put(format!("{base}/kept"))
        .body("kept data")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // An upload that sends 2 MiB of a declared 64 MiB, then stalls.
    let (tx, rx) = futures::channel::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(rx);
    let upload = tokio::spawn({
        let http = http.clone();
        let target = format!("{base}/partial");
        async move {
            http.put(target)
                .header("content-length", (64 * 1024 * 1024).to_string())
                .body(body)
                .send()
                .await
        }
    });
    let mut tx = tx;
    use futures::SinkExt;
    for _ in 0..32 {
        tx.send(Ok(vec![7u8; 64 * 1024])).await.unwrap();
    }
    // Wait until the server has staged some of the data, then kill it hard.
    let tmp = data.join("buckets").join(BUCKET).join("tmp");
    let mut staged = false;
    for _ in 0..100 {
        if std::fs::read_dir(&tmp).unwrap().count() > 0 {
            staged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(staged, "the server never started staging the upload");
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    drop(tx);
    let _ = upload.await;
    // Restart on the same data directory.
    let mut second = spawn_server(&data);
    let base = format!("{}/{}", second.endpoint, BUCKET);
    let r = http.get(format!("{base}/partial")).send().await.unwrap();
    assert_eq!(r.status(), 404, "a partial upload became visible");
    let r = http.get(format!("{base}/kept")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "kept data");
    let list = http
        .get(format!("{base}/?list-type=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(xml_all(&list, "Key"), vec!["kept".to_string()]);
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "staging files were not swept"
    );
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}
