//! Streaming transfers against the local OSS server: parallel multipart uploads, stream uploads,
//! parallel ranged downloads, progress, the single-PUT threshold, CRC checks.

mod oss_type_support;

use std::time::{Duration, Instant};

use jitstore_oss::client::{GetObjectOptions, ListMultipartUploadsOptions, WriteOptions};
use jitstore_oss::transfer::{self, DownloadRanges, TransferOptions};
use jitstore_oss_server::FaultPlan;
use jitstore_storages::{OssStorage, UploadOptions};
use oss_type_support::*;
use serde_json::json;

const KIB: u64 = 1024;

fn small_parts(progress: &ProgressLog) -> TransferOptions {
    TransferOptions {
        part_size: 256 * KIB,
        concurrency: 4,
        multipart_threshold: 1024 * KIB,
        // Downloads in 256 KiB ranges too (the default sizes ranges from the object).
        download_ranges: DownloadRanges::Fixed,
        progress: Some(progress.callback()),
        ..TransferOptions::default()
    }
}

#[tokio::test]
async fn multipart_upload_runs_parts_in_parallel_and_checks_the_whole_crc() {
    let peer = start().await;
    let client = client(&peer);
    let data = content(2 * 1024 * 1024 + 12_345, 1);
    let src = peer.app.path().join("big.bin");
    std::fs::write(&src, &data).unwrap();

    // The first four UploadParts are held at the server for HOLD before they are served. The
    // fault handle counts the requests it has taken in (at arrival, before the hold): seeing it
    // reach 4 before the first held part could have been answered proves four parts were in
    // flight at once, whatever the machine's load (one part at a time would take in the second
    // only after HOLD, the fourth after 3 x HOLD).
    const HOLD: Duration = Duration::from_secs(4);
    peer.server.set_faults(FaultPlan {
        methods: vec!["PUT".into()],
        every: true,
        limit: Some(4),
        delay_ms: HOLD.as_millis() as u64,
        ..FaultPlan::default()
    });
    let progress = ProgressLog::default();
    let started = Instant::now();
    let upload = {
        let (client, src, options) = (client.clone(), src.clone(), small_parts(&progress));
        tokio::spawn(async move {
            transfer::upload_file(
                &client,
                "videos/big.bin",
                &src,
                WriteOptions::default(),
                &options,
            )
            .await
        })
    };
    while peer.server.faults().fired() < 4 && !upload.is_finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let four_in_flight_after = started.elapsed();
    let up = upload.await.unwrap().unwrap();
    assert_eq!(peer.server.faults().fired(), 4);
    peer.server.faults().clear();
    assert!(
        four_in_flight_after < HOLD,
        "the fourth UploadPart arrived {four_in_flight_after:?} after the start, not while the \
         first was still held ({HOLD:?}): parts did not run 4 at a time"
    );
    assert_eq!(up.parts, 9);
    assert_eq!(up.size, data.len() as u64);
    assert_eq!(up.crc64, Some(jitstore_oss::crc64::checksum(&data)));
    progress.assert_complete(data.len() as u64);

    let meta = client
        .head_object("videos/big.bin", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(meta.object_type.as_deref(), Some("Multipart"));
    assert_eq!(meta.crc64, up.crc64);

    // Parallel ranged download into a temp file, then renamed.
    let progress = ProgressLog::default();
    let dst = peer.app.path().join("out").join("copy.bin");
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    let down = transfer::download_file(&client, "videos/big.bin", &dst, &small_parts(&progress))
        .await
        .unwrap();
    assert_eq!(down.ranges, 9);
    assert_eq!(down.size, data.len() as u64);
    assert_eq!(std::fs::read(&dst).unwrap(), data);
    progress.assert_complete(data.len() as u64);
    assert!(files_containing(dst.parent().unwrap(), "jitstore-download").is_empty());
}

#[tokio::test]
async fn the_threshold_picks_single_put_or_multipart() {
    let peer = start().await;
    let client = client(&peer);
    let progress = ProgressLog::default();
    let options = small_parts(&progress);
    for (len, parts) in [(1024 * 1024 - 1, 0u32), (1024 * 1024, 4), (0, 0)] {
        let data = content(len, len as u64);
        let src = peer.app.path().join(format!("f{len}"));
        std::fs::write(&src, &data).unwrap();
        let key = format!("threshold/{len}");
        let up = transfer::upload_file(&client, &key, &src, WriteOptions::default(), &options)
            .await
            .unwrap();
        assert_eq!(up.parts, parts, "{len} bytes");
        let back = client
            .get_object(&key, GetObjectOptions::default())
            .await
            .unwrap()
            .body
            .bytes()
            .await
            .unwrap();
        assert_eq!(&back[..], &data[..]);
        let dst = peer.app.path().join(format!("d{len}"));
        transfer::download_file(&client, &key, &dst, &options)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&dst).unwrap(), data);
    }
}

#[tokio::test]
async fn stream_uploads_use_bounded_parts_with_or_without_a_known_length() {
    let peer = start().await;
    let oss = peer.handle(
        "Streams",
        peer.config(json!({"partSize": 131072, "multipartThreshold": 262144, "concurrency": 3})),
    );
    let store = OssStorage::from_handle(&oss).expect("OssType");
    let data = content(1_000_000, 7);
    for (key, hint) in [("s/unknown.bin", None), ("s/known.bin", Some(1_000_000))] {
        let progress = ProgressLog::default();
        let transfer = TransferOptions {
            progress: Some(progress.callback()),
            ..store.transfer_options().clone()
        };
        let mut options = UploadOptions::content_type("video/mp4");
        options
            .user_metadata
            .insert("source".into(), "camera".into());
        let up = store
            .upload_stream(key, &data[..], hint, &options, &transfer)
            .await
            .unwrap();
        assert_eq!(up.size, 1_000_000);
        assert_eq!(up.crc64, Some(jitstore_oss::crc64::checksum(&data)));
        assert_eq!(&oss.download(key).await.unwrap()[..], &data[..]);
        let info = oss.get_object(key).await.unwrap();
        assert_eq!(info.content_type.as_deref(), Some("video/mp4"));
        assert_eq!(
            info.user_metadata.get("source").map(String::as_str),
            Some("camera")
        );
        let log = progress.0.lock().unwrap();
        assert_eq!(log.last().map(|p| p.0), Some(1_000_000));
    }

    // upload_by_file of a large buffer goes multipart too, and upload_path streams a file.
    let up = oss
        .upload_by_file("s/buffer.bin", data.clone(), None)
        .await
        .unwrap();
    assert_eq!(up.crc64, Some(jitstore_oss::crc64::checksum(&data)));
    let meta = store
        .client()
        .head_object("s/buffer.bin", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(meta.object_type.as_deref(), Some("Multipart"));
    let src = peer.app.path().join("movie.mp4");
    std::fs::write(&src, &data).unwrap();
    let up = oss.upload_path("s/movie.mp4", &src, None).await.unwrap();
    assert_eq!(
        up.content_type.as_deref(),
        Some("video/mp4"),
        "guessed from the key"
    );
    let dst = peer.app.path().join("movie-copy.mp4");
    assert_eq!(
        oss.download_to("s/movie.mp4", &dst).await.unwrap(),
        1_000_000
    );
    assert_eq!(std::fs::read(&dst).unwrap(), data);
}

#[tokio::test]
async fn a_failed_multipart_upload_is_aborted() {
    let peer = start().await;
    let client = client(&peer);
    let data = content(1536 * 1024, 3);
    let src = peer.app.path().join("f.bin");
    std::fs::write(&src, &data).unwrap();
    // The 3rd PUT is refused for good (403 is not retryable).
    peer.server.set_faults(FaultPlan {
        methods: vec!["PUT".into()],
        nth: vec![3],
        status: Some(403),
        ..FaultPlan::default()
    });
    let progress = ProgressLog::default();
    let err = transfer::upload_file(
        &client,
        "aborted.bin",
        &src,
        WriteOptions::default(),
        &small_parts(&progress),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    peer.server.faults().clear();
    let uploads = client
        .list_multipart_uploads(ListMultipartUploadsOptions::default())
        .await
        .unwrap();
    assert!(uploads.uploads.is_empty(), "parts left behind: {uploads:?}");
    assert!(client
        .head_object("aborted.bin", GetObjectOptions::default())
        .await
        .unwrap_err()
        .is_not_found());
}

#[tokio::test]
async fn a_corrupted_object_is_detected_and_never_lands_at_the_target() {
    let peer = start().await;
    let oss = peer.handle(
        "MyOss",
        peer.config(json!({"multipartThreshold": 262144, "partSize": 131072})),
    );
    let data = content(600_000, 11);
    oss.upload_by_file("corrupt/me.bin", data.clone(), None)
        .await
        .unwrap();
    // Flip one byte of the stored data behind the server's back (its metadata keeps the CRC).
    // A multipart object's data lives in its part files (linked, not copied, at completion).
    let bucket_dir = peer.data.path().join("buckets").join(BUCKET);
    let file = walk_files(&bucket_dir.join("segments"))
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == "part-00001"))
        .expect("stored first part file");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[12_345] ^= 0x5a;
    std::fs::write(&file, bytes).unwrap();

    let dst = peer.app.path().join("target.bin");
    let err = oss.download_to("corrupt/me.bin", &dst).await.unwrap_err();
    assert!(err.to_string().contains("CRC-64 mismatch"), "{err}");
    assert!(
        !dst.exists(),
        "a corrupted download reached the target path"
    );
    assert!(files_containing(peer.app.path(), "jitstore-download").is_empty());
    let err = oss.download("corrupt/me.bin").await.unwrap_err();
    assert!(err.to_string().contains("integrity"), "{err}");

    // With crc64Check off the same bytes are accepted (the check is what caught it).
    let lax = peer.handle(
        "Lax",
        peer.config(json!({"crc64Check": false, "multipartThreshold": 262144, "partSize": 131072})),
    );
    lax.download_to("corrupt/me.bin", &dst).await.unwrap();
    assert_ne!(std::fs::read(&dst).unwrap(), data);
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
