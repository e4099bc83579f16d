//! Faults injected by the local OSS server (503 bursts, connections cut mid-body) are healed by
//! retries, and progress never counts a retried byte twice.

mod oss_type_support;

use jitstore_oss::client::{GetObjectOptions, WriteOptions};
use jitstore_oss::transfer::{self, DownloadRanges, TransferOptions};
use jitstore_oss_server::FaultPlan;
use oss_type_support::*;
use serde_json::json;

const KIB: u64 = 1024;

fn options(progress: &ProgressLog) -> TransferOptions {
    TransferOptions {
        part_size: 256 * KIB,
        concurrency: 3,
        multipart_threshold: 512 * KIB,
        // Downloads in 256 KiB ranges, so the faults below land on several ranges.
        download_ranges: DownloadRanges::Fixed,
        progress: Some(progress.callback()),
        ..TransferOptions::default()
    }
}

#[tokio::test]
async fn upload_heals_503_bursts_and_cut_request_bodies() {
    let peer = start().await;
    let client = client(&peer);
    let data = content(2 * 1024 * 1024 + 999, 21);
    let src = peer.app.path().join("up.bin");
    std::fs::write(&src, &data).unwrap();

    for (name, plan) in [
        (
            "503 burst",
            FaultPlan {
                methods: vec!["PUT".into()],
                nth: vec![1, 2, 4, 5],
                status: Some(503),
                ..FaultPlan::default()
            },
        ),
        (
            "cut request body",
            FaultPlan {
                methods: vec!["PUT".into()],
                nth: vec![2, 3, 7],
                cut_request_after: Some(100 * KIB),
                ..FaultPlan::default()
            },
        ),
    ] {
        peer.server.set_faults(plan);
        let progress = ProgressLog::default();
        let key = format!("faults/{name}");
        let up = transfer::upload_file(
            &client,
            &key,
            &src,
            WriteOptions::default(),
            &options(&progress),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let fired = peer.server.faults().fired();
        peer.server.faults().clear();
        assert!(fired >= 3, "{name}: only {fired} faults fired");
        assert_eq!(
            up.crc64,
            Some(jitstore_oss::crc64::checksum(&data)),
            "{name}"
        );
        progress.assert_complete(data.len() as u64);
        let back = client
            .get_object(&key, GetObjectOptions::default())
            .await
            .unwrap()
            .body
            .bytes()
            .await
            .unwrap();
        assert_eq!(&back[..], &data[..], "{name}");
    }

    // A single PUT below the threshold is retried the same way.
    let small = content(300 * 1024, 5);
    let small_src = peer.app.path().join("small.bin");
    std::fs::write(&small_src, &small).unwrap();
    peer.server.set_faults(FaultPlan {
        methods: vec!["PUT".into()],
        nth: vec![1],
        cut_request_after: Some(64 * KIB),
        ..FaultPlan::default()
    });
    let progress = ProgressLog::default();
    let up = transfer::upload_file(
        &client,
        "faults/small",
        &small_src,
        WriteOptions::default(),
        &options(&progress),
    )
    .await
    .unwrap();
    assert_eq!(peer.server.faults().fired(), 1);
    peer.server.faults().clear();
    assert_eq!(up.parts, 0);
    progress.assert_complete(small.len() as u64);
}

#[tokio::test]
async fn download_heals_cut_responses_and_503s() {
    let peer = start().await;
    let oss = peer.handle(
        "MyOss",
        peer.config(json!({"partSize": 262144, "multipartThreshold": 524288, "retries": 3})),
    );
    let data = content(1800 * 1024, 33);
    oss.upload_by_file("dl/file.bin", data.clone(), None)
        .await
        .unwrap();
    let client = client(&peer);
    for (name, plan) in [
        (
            "cut response",
            FaultPlan {
                methods: vec!["GET".into()],
                nth: vec![1, 3, 4],
                cut_response_after: Some(50 * KIB),
                ..FaultPlan::default()
            },
        ),
        (
            "503 burst",
            FaultPlan {
                methods: vec!["GET".into()],
                nth: vec![1, 2, 5],
                status: Some(503),
                ..FaultPlan::default()
            },
        ),
    ] {
        peer.server.set_faults(plan);
        let progress = ProgressLog::default();
        let dst = peer.app.path().join(format!("{name}.bin"));
        let out = transfer::download_file(&client, "dl/file.bin", &dst, &options(&progress))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let fired = peer.server.faults().fired();
        peer.server.faults().clear();
        assert_eq!(fired, 3, "{name}");
        assert_eq!(out.size, data.len() as u64);
        assert_eq!(std::fs::read(&dst).unwrap(), data, "{name}");
        progress.assert_complete(data.len() as u64);
    }

    // Through the element, the same faults are healed too.
    peer.server.set_faults(FaultPlan {
        methods: vec!["GET".into()],
        nth: vec![1],
        cut_response_after: Some(10 * KIB),
        ..FaultPlan::default()
    });
    assert_eq!(&oss.download("dl/file.bin").await.unwrap()[..], &data[..]);
    peer.server.faults().clear();

    // Faults that outlast the retries fail cleanly, with no file at the target.
    peer.server.set_faults(FaultPlan {
        methods: vec!["GET".into()],
        every: true,
        status: Some(503),
        ..FaultPlan::default()
    });
    let dst = peer.app.path().join("never.bin");
    let err = oss.download_to("dl/file.bin", &dst).await.unwrap_err();
    peer.server.faults().clear();
    assert!(err.to_string().contains("503"), "{err}");
    assert!(!dst.exists());
}
