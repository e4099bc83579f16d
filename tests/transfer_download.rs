//! Downloads: the CRC-64 of a GET body is computed once as the bytes pass and ranged reads
//! combine into the object's CRC; a single-stream download is one GET; adaptive downloads add
//! ranges only while that raises the throughput and heal cut ranges; fixed downloads keep the
//! given shape. Behaviour is asserted (requests counted by the server), never timings.

mod oss_type_support;

use futures::StreamExt;
use jitstore_oss::client::{Body, ByteRange, GetObjectOptions, PutObjectOptions};
use jitstore_oss::crc64;
use jitstore_oss::transfer::{self, adaptive_range_size, DownloadRanges, TransferOptions};
use jitstore_oss_server::FaultPlan;
use oss_type_support::*;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// A plan that selects every GET without disturbing it (a 1 ms delay), so `fired()` counts
/// the GET requests.
fn count_gets(delay_ms: u64) -> FaultPlan {
    FaultPlan {
        methods: vec!["GET".into()],
        every: true,
        delay_ms: delay_ms.max(1),
        ..FaultPlan::default()
    }
}

#[tokio::test]
async fn ranged_bodies_carry_running_crcs_that_combine_into_the_object_crc() {
    let peer = start().await;
    let client = client(&peer);
    let data = content(3 * MIB as usize + 123, 41);
    client
        .put_object(
            "crc/obj.bin",
            Body::from_bytes(data.clone()),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    let cuts = [0u64, 1, 700_000, 2 * MIB, data.len() as u64];
    let mut parts = Vec::new();
    for w in cuts.windows(2) {
        let options = GetObjectOptions {
            range: Some(ByteRange::Inclusive(w[0], w[1] - 1)),
            ..GetObjectOptions::default()
        };
        let mut body = client
            .get_object("crc/obj.bin", options)
            .await
            .unwrap()
            .body;
        // Before any byte: the empty CRC.
        assert_eq!((body.received().finish(), body.received().len()), (0, 0));
        let mut got = Vec::new();
        while let Some(chunk) = body.next().await {
            got.extend_from_slice(&chunk.unwrap());
        }
        let slice = &data[w[0] as usize..w[1] as usize];
        assert_eq!(got, slice);
        assert_eq!(body.received().len(), slice.len() as u64);
        assert_eq!(body.received().finish(), crc64::checksum(slice));
        parts.push((body.received().finish(), body.received().len()));
    }
    let meta = client
        .head_object("crc/obj.bin", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(Some(crc64::combine_all(parts)), meta.crc64);
}

#[tokio::test]
async fn concurrency_one_downloads_in_a_single_get() {
    let peer = start().await;
    let client = client(&peer);
    let data = content(5 * MIB as usize + 17, 42);
    client
        .put_object(
            "one/obj.bin",
            Body::from_bytes(data.clone()),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    peer.server.set_faults(count_gets(1));
    let progress = ProgressLog::default();
    let options = TransferOptions {
        concurrency: 1,
        multipart_threshold: MIB,
        progress: Some(progress.callback()),
        ..TransferOptions::default()
    };
    let dst = peer.app.path().join("one.bin");
    let out = transfer::download_file(&client, "one/obj.bin", &dst, &options)
        .await
        .unwrap();
    assert_eq!(
        peer.server.faults().fired(),
        1,
        "one GET for the whole object"
    );
    peer.server.faults().clear();
    assert_eq!((out.ranges, out.peak_concurrency), (1, 1));
    assert_eq!(out.part_size, data.len() as u64);
    assert_eq!(out.crc64, Some(crc64::checksum(&data)));
    assert_eq!(std::fs::read(&dst).unwrap(), data);
    progress.assert_complete(data.len() as u64);
}

#[tokio::test]
async fn fixed_downloads_keep_the_given_shape() {
    let peer = start().await;
    let client = client(&peer);
    let data = content(2 * MIB as usize + 5, 43);
    client
        .put_object(
            "fixed/obj.bin",
            Body::from_bytes(data.clone()),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    peer.server.set_faults(count_gets(1));
    let options = TransferOptions {
        part_size: 256 * KIB,
        concurrency: 3,
        multipart_threshold: 512 * KIB,
        download_ranges: DownloadRanges::Fixed,
        ..TransferOptions::default()
    };
    let dst = peer.app.path().join("fixed.bin");
    let out = transfer::download_file(&client, "fixed/obj.bin", &dst, &options)
        .await
        .unwrap();
    assert_eq!(peer.server.faults().fired(), 9);
    peer.server.faults().clear();
    assert_eq!((out.ranges, out.part_size), (9, 256 * KIB));
    assert!(out.peak_concurrency <= 3, "{}", out.peak_concurrency);
    assert_eq!(std::fs::read(&dst).unwrap(), data);
}

#[tokio::test]
async fn adaptive_downloads_add_ranges_when_requests_are_latency_bound() {
    let peer = start().await;
    let client = client(&peer);
    // 40 MiB: ten 4 MiB ranges. Every GET waits 150 ms before answering, so one stream is
    // bound by latency and each added range raises the throughput: the ramp must climb.
    let size = 40 * MIB;
    assert_eq!(adaptive_range_size(size, 4), 4 * MIB);
    let data = content(size as usize, 44);
    client
        .put_object(
            "ramp/obj.bin",
            Body::from_bytes(data.clone()),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    peer.server.set_faults(count_gets(150));
    let progress = ProgressLog::default();
    let options = TransferOptions {
        concurrency: 4,
        progress: Some(progress.callback()),
        ..TransferOptions::default()
    };
    let dst = peer.app.path().join("ramp.bin");
    let out = transfer::download_file(&client, "ramp/obj.bin", &dst, &options)
        .await
        .unwrap();
    assert_eq!(peer.server.faults().fired(), 10, "one GET per range");
    peer.server.faults().clear();
    assert_eq!((out.ranges, out.part_size), (10, 4 * MIB));
    assert!(
        (2..=4).contains(&out.peak_concurrency),
        "peak {} ranges in flight",
        out.peak_concurrency
    );
    assert_eq!(out.crc64, Some(crc64::checksum(&data)));
    assert_eq!(std::fs::read(&dst).unwrap(), data);
    progress.assert_complete(size);
}

#[tokio::test]
async fn adaptive_downloads_heal_cut_ranges_and_check_the_combined_crc() {
    let peer = start().await;
    let client = client(&peer);
    let size = 9 * MIB + 999;
    let data = content(size as usize, 45);
    client
        .put_object(
            "heal/obj.bin",
            Body::from_bytes(data.clone()),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    // The 1st and 3rd GETs are cut after 300 KiB: their ranges resume from the cut, and the
    // combined CRC (from the bodies' running CRCs, pieces included) still matches.
    peer.server.set_faults(FaultPlan {
        methods: vec!["GET".into()],
        nth: vec![1, 3],
        cut_response_after: Some(300 * KIB),
        ..FaultPlan::default()
    });
    let progress = ProgressLog::default();
    let options = TransferOptions {
        multipart_threshold: MIB,
        progress: Some(progress.callback()),
        ..TransferOptions::default()
    };
    let dst = peer.app.path().join("heal.bin");
    let out = transfer::download_file(&client, "heal/obj.bin", &dst, &options)
        .await
        .unwrap();
    assert_eq!(peer.server.faults().fired(), 2);
    peer.server.faults().clear();
    assert_eq!(out.ranges, 3);
    assert_eq!(out.crc64, Some(crc64::checksum(&data)));
    assert_eq!(std::fs::read(&dst).unwrap(), data);
    progress.assert_complete(size);
}

#[tokio::test]
async fn a_failing_range_makes_as_many_requests_as_the_retry_policy_allows() {
    let peer = start().await;
    let client = client(&peer);
    let attempts = client.retry_policy().max_attempts;
    assert!(attempts > 1);
    let data = content(3 * MIB as usize, 46);
    client
        .put_object(
            "fail/obj.bin",
            Body::from_bytes(data.clone()),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    // Every GET answers 503: one retry level (the client's) applies per request, so the range
    // costs `max_attempts` requests, not `max_attempts` squared.
    peer.server.set_faults(FaultPlan {
        methods: vec!["GET".into()],
        every: true,
        status: Some(503),
        ..FaultPlan::default()
    });
    let dst = peer.app.path().join("fail.bin");
    let err = transfer::download_file(&client, "fail/obj.bin", &dst, &TransferOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert_eq!(peer.server.faults().fired(), u64::from(attempts));
    assert!(!dst.exists());
    peer.server.faults().clear();

    // The in-memory download likewise.
    peer.server.set_faults(FaultPlan {
        methods: vec!["GET".into()],
        every: true,
        status: Some(503),
        ..FaultPlan::default()
    });
    assert!(transfer::download_bytes(&client, "fail/obj.bin", true)
        .await
        .is_err());
    assert_eq!(peer.server.faults().fired(), u64::from(attempts));
    peer.server.faults().clear();

    // A cut body is resumed by the transfer (the client cannot replay a body it handed over).
    peer.server.set_faults(FaultPlan {
        methods: vec!["GET".into()],
        nth: vec![1],
        cut_response_after: Some(100 * KIB),
        ..FaultPlan::default()
    });
    assert_eq!(
        &transfer::download_bytes(&client, "fail/obj.bin", true)
            .await
            .unwrap()[..],
        &data[..]
    );
    peer.server.faults().clear();
}
