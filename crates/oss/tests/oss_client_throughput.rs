//! Rough single-stream throughput of the client against the local server (loopback), to show
//! that streaming uploads/downloads with CRC-64 checks are not a bottleneck. Not a timed test:
//! it only asserts correctness and prints the figures.
//! Run: `cargo test -p jitstore-oss --release --test oss_client_throughput -- --ignored --nocapture`.

use std::time::Instant;

use jitstore_oss::client::{Body, Client, GetObjectOptions, PutObjectOptions};
use jitstore_oss::credentials::StaticProvider;
use jitstore_testkit::keys::{AK, BUCKET, SK};
use jitstore_testkit::Peer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run explicitly with --release"]
async fn single_stream_put_and_get_throughput() {
    const SIZE: usize = 256 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let Peer {
        server,
        data: _data,
        ..
    } = Peer::start().await;
    let c = Client::builder()
        .endpoint(server.endpoint())
        .bucket(BUCKET)
        .region(server.region())
        .credentials(StaticProvider::from_keys(AK, SK))
        .build()
        .unwrap();
    let src = dir.path().join("src.bin");
    let data: Vec<u8> = (0..SIZE)
        .map(|i| (i as u32).wrapping_mul(2654435761) as u8)
        .collect();
    std::fs::write(&src, &data).unwrap();
    let expected_crc = jitstore_oss::crc64::checksum(&data);
    drop(data);

    let t0 = Instant::now();
    let put = c
        .put_object(
            "big.bin",
            Body::from_file(&src),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    let put_secs = t0.elapsed().as_secs_f64();
    assert_eq!(put.crc64, Some(expected_crc));

    let t0 = Instant::now();
    let got = c
        .get_object("big.bin", GetObjectOptions::default())
        .await
        .unwrap();
    let out = dir.path().join("out.bin");
    let n = got.body.save_to_file(&out).await.unwrap();
    let get_secs = t0.elapsed().as_secs_f64();
    assert_eq!(n, SIZE as u64);

    let mib = SIZE as f64 / (1024.0 * 1024.0);
    println!(
        "PutObject from file: {mib:.0} MiB in {put_secs:.2} s = {:.0} MiB/s; \
         GetObject to file: {:.2} s = {:.0} MiB/s (CRC-64 checked both ways, loopback, shared 2-core machine)",
        mib / put_secs,
        get_secs,
        mib / get_secs
    );
    server.shutdown().await;
}
