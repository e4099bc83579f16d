//! Resumable uploads: an upload whose client process is killed mid-way resumes from its
//! checkpoint after ListParts confirms the parts; a changed source restarts cleanly.
//!
//! The killed client is this test binary itself, re-run as a child process in "uploader" mode
//! (the ignored test `child_uploader`, selected by environment variables), so no extra binary
//! is needed.

mod oss_type_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jitstore_oss::client::{GetObjectOptions, ListMultipartUploadsOptions, WriteOptions};
use jitstore_oss::transfer::{self, Checkpoint, TransferOptions};
use jitstore_oss_server::FaultPlan;
use oss_type_support::*;

const KIB: u64 = 1024;
const PART: u64 = 128 * KIB;

fn options(checkpoints: &Path, progress: Option<&ProgressLog>) -> TransferOptions {
    TransferOptions {
        part_size: PART,
        concurrency: 2,
        multipart_threshold: 256 * KIB,
        checkpoint_dir: Some(checkpoints.to_owned()),
        progress: progress.map(ProgressLog::callback),
        ..TransferOptions::default()
    }
}

/// Run only as a child of `resume_after_the_client_process_is_killed`.
#[tokio::test]
#[ignore = "child process of the kill/resume test"]
async fn child_uploader() {
    let (Ok(endpoint), Ok(src), Ok(cps)) = (
        std::env::var("JITSTORE_CHILD_ENDPOINT"),
        std::env::var("JITSTORE_CHILD_SOURCE"),
        std::env::var("JITSTORE_CHILD_CHECKPOINTS"),
    ) else {
        return;
    };
    let client = jitstore_oss::client::Client::builder()
        .endpoint(endpoint)
        .bucket(BUCKET)
        .region("cn-hangzhou")
        .credentials(jitstore_oss::credentials::StaticProvider::from_keys(AK, SK))
        .build()
        .unwrap();
    let _ = transfer::upload_file(
        &client,
        "resume/killed.bin",
        Path::new(&src),
        WriteOptions::default(),
        &options(Path::new(&cps), None),
    )
    .await;
}

#[tokio::test]
async fn resume_after_the_client_process_is_killed() {
    let peer = start().await;
    let client = client(&peer);
    let data = content(40 * PART as usize + 777, 99);
    let src = peer.app.path().join("killed.bin");
    std::fs::write(&src, &data).unwrap();
    let cps = peer.app.path().join("checkpoints");
    let cp_path = Checkpoint::path_for(
        &cps,
        BUCKET,
        "resume/killed.bin",
        &std::path::absolute(&src).unwrap(),
    );

    // Slow every part down so the child is surely killed half-way.
    peer.server.set_faults(FaultPlan {
        methods: vec!["PUT".into()],
        every: true,
        delay_ms: 150,
        ..FaultPlan::default()
    });
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_uploader", "--test-threads=1"])
        .env("JITSTORE_CHILD_ENDPOINT", peer.server.endpoint())
        .env("JITSTORE_CHILD_SOURCE", &src)
        .env("JITSTORE_CHILD_CHECKPOINTS", &cps)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let done_at_kill = loop {
        if let Some(cp) = Checkpoint::load(&cp_path) {
            if cp.parts.len() >= 8 {
                child.kill().unwrap();
                break cp.parts.len();
            }
        }
        assert!(Instant::now() < deadline, "child made no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "child ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    child.wait().unwrap();
    assert!(done_at_kill < 41, "the child finished before it was killed");

    // The object does not exist yet; the upload is still open.
    assert!(client
        .head_object("resume/killed.bin", GetObjectOptions::default())
        .await
        .unwrap_err()
        .is_not_found());

    // Resume: count GETs (ListParts is the only GET an upload makes).
    peer.server.set_faults(FaultPlan {
        methods: vec!["GET".into()],
        every: true,
        delay_ms: 1,
        ..FaultPlan::default()
    });
    let progress = ProgressLog::default();
    let up = transfer::upload_file(
        &client,
        "resume/killed.bin",
        &src,
        WriteOptions::default(),
        &options(&cps, Some(&progress)),
    )
    .await
    .unwrap();
    let list_parts_calls = peer.server.faults().fired();
    peer.server.faults().clear();
    assert!(list_parts_calls >= 1, "ListParts was not used");
    assert!(
        up.resumed_parts as usize >= done_at_kill,
        "resumed {} parts, the checkpoint had {done_at_kill}",
        up.resumed_parts
    );
    assert_eq!(up.parts, 41);
    assert_eq!(up.crc64, Some(jitstore_oss::crc64::checksum(&data)));
    progress.assert_complete(data.len() as u64);
    let back = client
        .get_object("resume/killed.bin", GetObjectOptions::default())
        .await
        .unwrap()
        .body
        .bytes()
        .await
        .unwrap();
    assert_eq!(&back[..], &data[..]);
    assert!(!cp_path.exists(), "the checkpoint is removed once done");
    let open = client
        .list_multipart_uploads(ListMultipartUploadsOptions::default())
        .await
        .unwrap();
    assert!(open.uploads.is_empty(), "{open:?}");
}

#[tokio::test]
async fn resume_in_process_and_restart_when_the_source_changed() {
    let peer = start().await;
    let client = client(&peer);
    let cps = peer.app.path().join("cps");
    let src: PathBuf = peer.app.path().join("doc.bin");
    let data = content(12 * PART as usize + 5, 4);
    std::fs::write(&src, &data).unwrap();

    // First run: the 6th part meets 503s until the retries (4 attempts) are spent; the failure
    // is transient, so the checkpoint keeps the upload.
    peer.server.set_faults(FaultPlan {
        methods: vec!["PUT".into()],
        nth: vec![6, 7, 8, 9],
        status: Some(503),
        ..FaultPlan::default()
    });
    let opts = TransferOptions {
        concurrency: 1,
        ..options(&cps, None)
    };
    let err = transfer::upload_file(
        &client,
        "resume/doc.bin",
        &src,
        WriteOptions::default(),
        &opts,
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(503));
    peer.server.faults().clear();
    let cp_path = Checkpoint::path_for(
        &cps,
        BUCKET,
        "resume/doc.bin",
        &std::path::absolute(&src).unwrap(),
    );
    let cp = Checkpoint::load(&cp_path).expect("checkpoint kept after a failure");
    assert_eq!(cp.parts.len(), 5);

    let up = transfer::upload_file(
        &client,
        "resume/doc.bin",
        &src,
        WriteOptions::default(),
        &opts,
    )
    .await
    .unwrap();
    assert_eq!(up.resumed_parts, 5);
    assert_eq!(up.upload_id.as_deref(), Some(cp.upload_id.as_str()));
    assert_eq!(up.crc64, Some(jitstore_oss::crc64::checksum(&data)));

    // A permanent failure (403) aborts the upload and drops the checkpoint: nothing is left.
    peer.server.set_faults(FaultPlan {
        methods: vec!["PUT".into()],
        nth: vec![3],
        status: Some(403),
        ..FaultPlan::default()
    });
    let err = transfer::upload_file(
        &client,
        "resume/doc.bin",
        &src,
        WriteOptions::default(),
        &opts,
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    peer.server.faults().clear();
    assert!(
        Checkpoint::load(&cp_path).is_none(),
        "checkpoint kept after a permanent failure"
    );
    let open = client
        .list_multipart_uploads(ListMultipartUploadsOptions::default())
        .await
        .unwrap();
    assert!(
        open.uploads.is_empty(),
        "upload kept after a permanent failure: {open:?}"
    );

    // Interrupt again (transient), then change the source: the next run starts over and aborts
    // the old upload.
    peer.server.set_faults(FaultPlan {
        methods: vec!["PUT".into()],
        nth: vec![4, 5, 6, 7],
        status: Some(503),
        ..FaultPlan::default()
    });
    transfer::upload_file(
        &client,
        "resume/doc.bin",
        &src,
        WriteOptions::default(),
        &opts,
    )
    .await
    .unwrap_err();
    peer.server.faults().clear();
    let old = Checkpoint::load(&cp_path).expect("checkpoint");
    let changed = content(12 * PART as usize + 5, 5);
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&src, &changed).unwrap();
    let up = transfer::upload_file(
        &client,
        "resume/doc.bin",
        &src,
        WriteOptions::default(),
        &opts,
    )
    .await
    .unwrap();
    assert_eq!(up.resumed_parts, 0);
    assert_ne!(up.upload_id.as_deref(), Some(old.upload_id.as_str()));
    assert_eq!(up.crc64, Some(jitstore_oss::crc64::checksum(&changed)));
    let open = client
        .list_multipart_uploads(ListMultipartUploadsOptions::default())
        .await
        .unwrap();
    assert!(open.uploads.is_empty(), "old upload not aborted: {open:?}");
}
