//! GetObject's streaming reads: byte-exact ranges across 1 MiB read chunks and across the part
//! files of an object stored by reference, and a read that fails mid-stream ending the body
//! with an error instead of short data.

use crate::common::*;

fn pattern(seed: u8, size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| ((i / 7) as u8).wrapping_mul(13) ^ (i as u8) ^ seed)
        .collect()
}

/// Uploads `parts` as one multipart upload and completes it (stored by reference).
async fn put_multipart(http: &reqwest::Client, base: &str, key: &str, parts: &[Vec<u8>]) {
    let r = http
        .post(format!("{base}/{key}?uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = xml_text(&r.text().await.unwrap(), "UploadId").expect("upload id");
    let xml = upload_parts(http, base, key, &id, parts).await;
    let r = http
        .post(format!("{base}/{key}?uploadId={id}"))
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn get_range(http: &reqwest::Client, url: &str, first: usize, last: usize) -> Vec<u8> {
    let r = http
        .get(url)
        .header("range", format!("bytes={first}-{last}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206, "range {first}-{last}");
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_across_read_chunks_and_parts_are_byte_exact() {
    const MIB: usize = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let base = format!("{}/{}", server.endpoint(), BUCKET);

    // One file: 3 MiB + 5 bytes, read in four chunks.
    let single = pattern(1, 3 * MIB + 5);
    let r = http
        .put(format!("{base}/single.bin"))
        .body(single.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Stored by reference: part boundaries fall inside and at the edges of read chunks.
    let parts = vec![
        pattern(2, MIB + MIB / 2),
        pattern(3, 100 * 1024 + 3),
        pattern(4, 2 * MIB),
        pattern(5, MIB),
    ];
    let joined = parts.concat();
    put_multipart(&http, &base, "parts.bin", &parts).await;

    for (key, whole) in [("single.bin", &single), ("parts.bin", &joined)] {
        let url = format!("{base}/{key}");
        let r = http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.bytes().await.unwrap()[..] == whole[..],
            "{key}: whole GET"
        );
        let last = whole.len() - 1;
        let p1 = parts[0].len();
        let p2 = p1 + parts[1].len();
        for (first, end) in [
            (0, 0),
            (MIB - 1, MIB),
            (MIB - 3, 2 * MIB + 3),
            (p1 - 1, p1),
            (p1 - 10, p2 + 10),
            (p2, last),
            (5, last - 5),
            (last, last),
        ] {
            let got = get_range(&http, &url, first, end).await;
            assert!(
                got[..] == whole[first..=end],
                "{key}: range {first}-{end} ({} bytes back)",
                got.len()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_failing_mid_stream_ends_the_body_with_an_error() {
    const SIZE: usize = 64 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let url = format!("{}/{}/cut.bin", server.endpoint(), BUCKET);
    let data = pattern(9, SIZE);
    let r = http.put(&url).body(data).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let mut r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_length(), Some(SIZE as u64));
    // The server has opened the file and started sending; the loopback socket buffers hold a
    // few MiB at most, so most of the data is read after this point. Cut the file short.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(object_file(dir.path(), "cut.bin"))
        .unwrap();
    file.set_len(8 * 1024 * 1024).unwrap();
    drop(file);
    let mut received = 0usize;
    let outcome = loop {
        match r.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(
        outcome.is_err(),
        "the body ended cleanly after {received} of {SIZE} bytes"
    );
    assert!(received < SIZE, "received {received} bytes");
}
