//! Dify parity end to end against the local OSS server: every directory and filename mode with
//! a fixed clock and zone, content types without extensions, hostile names, the URL kinds,
//! and partial failure in multi_upload_files.

mod workflow_support;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use jitstore_storages::workflows::OssWorkflows;
use jitstore_storages::workflows::{
    parse_time_zone, BatchStatus, DifyFile, DifyUploadOptions, DirectoryMode, FilenameMode,
    UrlChoice,
};
use jitstore_storages::Storage;
use workflow_support::*;

fn fixed() -> chrono::DateTime<Utc> {
    // 2025-09-22 23:30:15.123 UTC = 2025-09-23 07:30:15.123 at +08:00.
    Utc.with_ymd_and_hms(2025, 9, 22, 23, 30, 15).unwrap() + chrono::Duration::milliseconds(123)
}

#[tokio::test]
async fn every_mode_with_a_fixed_clock_lands_at_the_documented_key() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let src = file(dir.path(), "Report Q3.PDF", b"%PDF-1.7 quarterly");
    let cases = [
        (
            DirectoryMode::NoSubdirectory,
            FilenameMode::Filename,
            "UTC",
            "docs/a/Report Q3.pdf",
        ),
        (
            DirectoryMode::YyyyMmDdHierarchy,
            FilenameMode::Filename,
            "UTC",
            "docs/a/2025/09/22/Report Q3.pdf",
        ),
        (
            DirectoryMode::YyyyMmDdCombined,
            FilenameMode::Filename,
            "UTC",
            "docs/a/20250922/Report Q3.pdf",
        ),
        (
            DirectoryMode::YyyyMmDdHierarchy,
            FilenameMode::Filename,
            "+08:00",
            "docs/a/2025/09/23/Report Q3.pdf",
        ),
        (
            DirectoryMode::NoSubdirectory,
            FilenameMode::FilenameTimestamp,
            "UTC",
            "docs/a/Report Q3_20250922233015123.pdf",
        ),
        (
            DirectoryMode::YyyyMmDdCombined,
            FilenameMode::FilenameTimestamp,
            "+08:00",
            "docs/a/20250923/Report Q3_20250923073015123.pdf",
        ),
    ];
    for (dmode, fmode, zone, expected) in cases {
        let options = DifyUploadOptions::new("  docs/a/ ")
            .directory_mode(dmode)
            .filename_mode(fmode)
            .time_zone(parse_time_zone(zone).unwrap())
            .fixed_clock(fixed());
        let r = oss
            .upload_file(&DifyFile::new(&src), &options)
            .await
            .unwrap();
        assert_eq!(r.object_key, expected, "{dmode:?} {fmode:?} {zone}");
        assert_eq!(r.source_filename.as_deref(), Some("Report Q3.PDF"));
        assert_eq!(r.size, 18);
        assert_eq!(r.content_type, "application/pdf");
        assert_eq!(
            r.crc64,
            Some(jitstore_oss::crc64::checksum(b"%PDF-1.7 quarterly"))
        );
        assert!(!r.etag.is_empty() && !r.etag.contains('"'));
        // Stored where reported, with the content type.
        let info = oss.get_object(expected).await.unwrap();
        assert_eq!(info.size, 18);
        assert_eq!(info.content_type.as_deref(), Some("application/pdf"));
        // The public URL is percent-encoded, never concatenated raw.
        assert!(r.url.contains("Report%20Q3"), "{}", r.url);
        assert!(!r.url_signed);
    }
}

#[tokio::test]
async fn extension_comes_from_the_content_type_when_the_name_has_none() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let src = file(dir.path(), "blob", b"\x89PNG....");
    let options = DifyUploadOptions::new("img").fixed_clock(fixed());
    let r = oss
        .upload_file(
            &DifyFile::new(&src)
                .named("photo")
                .with_content_type("image/png"),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(r.object_key, "img/photo.png");
    assert_eq!(r.content_type, "image/png");
    // No name at all: `upload` + extension from the type; unknown type: `.dat`.
    let r = oss
        .upload_file(
            &DifyFile::new(&src)
                .named("")
                .with_content_type("text/plain"),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(r.object_key, "img/upload.txt");
    let r = oss
        .upload_file(
            &DifyFile::new(&src)
                .named("raw")
                .with_content_type("application/x-unknown-thing"),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(r.object_key, "img/raw.dat");
    // A custom filename without extension keeps the original one.
    let named = options.clone().filename("renamed");
    let r = oss
        .upload_file(&DifyFile::new(&src).named("x.JPEG"), &named)
        .await
        .unwrap();
    assert_eq!(r.object_key, "img/renamed.jpeg");
    assert_eq!(r.content_type, "image/jpeg");
}

#[tokio::test]
async fn hostile_filenames_and_directories_are_refused_before_any_upload() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let src = file(dir.path(), "ok.txt", b"x");
    let base = DifyUploadOptions::new("safe").fixed_clock(fixed());
    let bad_options = [
        DifyUploadOptions::new("/etc"),
        DifyUploadOptions::new("\\windows"),
        DifyUploadOptions::new("a/../../b"),
        DifyUploadOptions::new(""),
        DifyUploadOptions::new("a/\u{1b}[31m"),
        base.clone().filename("../escape.txt"),
        base.clone().filename(".."),
        base.clone().filename("line\nbreak.txt"),
        base.clone().filename("x".repeat(400)),
    ];
    for options in &bad_options {
        let err = oss
            .upload_file(&DifyFile::new(&src), options)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("invalid"), "{err}");
    }
    for name in ["..", "bell\u{7}.txt"] {
        let err = oss
            .upload_file(&DifyFile::new(&src).named(name), &base)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("invalid"), "{name:?}: {err}");
    }
    // Nothing reached the bucket.
    use futures::TryStreamExt;
    let listed: Vec<_> = oss.list("").try_collect().await.unwrap();
    assert!(listed.is_empty(), "{listed:?}");
    // A path in the original name is reduced to its last segment.
    let r = oss
        .upload_file(&DifyFile::new(&src).named("../../etc/passwd"), &base)
        .await
        .unwrap();
    assert_eq!(r.object_key, "safe/passwd.dat");
}

#[tokio::test]
async fn signed_urls_work_over_plain_http_and_public_urls_are_encoded() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let src = file(dir.path(), "数据 #1+2.csv", b"a,b\n1,2\n");
    let options = DifyUploadOptions::new("exports")
        .fixed_clock(fixed())
        .url(UrlChoice::Signed(Duration::from_secs(120)));
    let r = oss
        .upload_file(&DifyFile::new(&src), &options)
        .await
        .unwrap();
    assert_eq!(r.object_key, "exports/数据 #1+2.csv");
    assert!(r.url_signed);
    let shown = format!("{r:?}");
    assert!(!shown.contains("x-oss-signature"), "{shown}");
    let body = reqwest::get(&r.url).await.unwrap();
    assert_eq!(body.status(), 200);
    assert_eq!(&body.bytes().await.unwrap()[..], b"a,b\n1,2\n");

    // Public URL on a public-read bucket: anyone can GET it.
    let public = peer.storage_from(&peer.config(PUBLIC_BUCKET));
    let r = public
        .upload_file(
            &DifyFile::new(&src),
            &options.clone().url(UrlChoice::Public),
        )
        .await
        .unwrap();
    assert!(
        r.url.contains("%E6%95%B0%E6%8D%AE%20%231%2B2.csv"),
        "{}",
        r.url
    );
    let got = reqwest::get(&r.url).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(&got.bytes().await.unwrap()[..], b"a,b\n1,2\n");
}

#[tokio::test]
async fn multi_upload_reports_each_file_and_is_not_completed_when_one_fails() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        DifyFile::new(file(dir.path(), "one.txt", b"1")),
        DifyFile::new(dir.path().join("missing.txt")),
        DifyFile::new(file(dir.path(), "three.bin", b"333")).named(""),
        DifyFile::new(file(dir.path(), "four.txt", b"4444")).named("bad\u{0}name.txt"),
    ];
    let options = DifyUploadOptions::new("batch")
        .directory_mode(DirectoryMode::YyyyMmDdCombined)
        .fixed_clock(fixed());
    let report = oss.multi_upload_files(&files, &options).await;
    assert_eq!(report.status, BatchStatus::PartiallyFailed);
    assert_eq!((report.success_count, report.error_count), (2, 2));
    let indexes: Vec<usize> = report.files.iter().map(|f| f.index).collect();
    assert_eq!(indexes, vec![0, 1, 2, 3]);
    assert_eq!(
        report.files[0].result.as_ref().unwrap().object_key,
        "batch/20250922/one.txt"
    );
    assert!(report.files[1]
        .error
        .as_ref()
        .unwrap()
        .contains("missing.txt"));
    // A nameless file in a batch is upload_<n> (1-based).
    assert_eq!(
        report.files[2].result.as_ref().unwrap().object_key,
        "batch/20250922/upload_3.dat"
    );
    assert!(report.files[3].error.is_some());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["status"], "partially_failed");

    let all_bad = oss
        .multi_upload_files(&[DifyFile::new(dir.path().join("nope"))], &options)
        .await;
    assert_eq!(all_bad.status, BatchStatus::Failed);
    let fine = oss.multi_upload_files(&files[..1], &options).await;
    assert_eq!(fine.status, BatchStatus::Completed);
}

#[tokio::test]
async fn batch_progress_is_one_running_total_over_all_files() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<DifyFile> = (0..5)
        .map(|i| {
            DifyFile::new(file(
                dir.path(),
                &format!("f{i}.bin"),
                &vec![i as u8; 10_000 + i],
            ))
        })
        .collect();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let mut options = DifyUploadOptions::new("p").fixed_clock(fixed());
    options.progress = Some(std::sync::Arc::new(move |done, total| {
        log.lock().unwrap().push((done, total))
    }));
    let report = oss.multi_upload_files(&files, &options).await;
    assert_eq!(report.status, BatchStatus::Completed);
    let seen = seen.lock().unwrap();
    let total = 5 * 10_000 + 10;
    let mut last = 0;
    for (done, t) in seen.iter() {
        assert_eq!(*t, Some(total));
        assert!(*done >= last && *done <= total, "{seen:?}");
        last = *done;
    }
    assert_eq!(last, total);
}
