//! Signing and verification cost per request, ours against the `reqsign-aliyun-oss` signer on
//! the same request in the same run.
//!
//! The request is the one of the official V4 vectors: `PUT /bucket/1234+-/123/1.txt` with six
//! query parameters and six headers. Both sides read the clock once per signature (reqsign always
//! signs at `Timestamp::now()`, so ours is given `Utc::now()` inside the timed closure). reqsign
//! mutates an `http::request::Parts`, so each of its iterations gets a fresh clone made outside
//! the timed section (`iter_batched`); its `sign_request` future completes on the first poll and
//! is polled once with a no-op waker.
//!
//! Run: `cargo bench -p jitstore-oss --bench signing`.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use jitstore_oss::credentials::Credentials;
use jitstore_oss::sign::{
    presign_v4, sign_v1_header, sign_v4_header, verify, ReceivedRequest, RequestParts, SigningKey,
    VerifyPolicy,
};
use reqsign_aliyun_oss::{Credential as PeerCredential, RequestSigner, SigningVersion};
use reqsign_core::SignRequest;

mod common;

use common::{headers, peer_parts, poll_ready, query, wire_query, KEY, REGION};

fn bench(c: &mut Criterion) {
    let creds = Credentials::new(common::AK, common::SK);
    let hdrs = headers();
    let q = query();
    let req = RequestParts {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some(KEY),
        query: &q,
        headers: &hdrs,
    };

    let mut group = c.benchmark_group("signing");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);

    group.bench_function("ours/v4_header", |b| {
        b.iter(|| {
            black_box(sign_v4_header(
                black_box(&req),
                &creds,
                REGION,
                Utc::now(),
                &[],
            ))
        })
    });
    group.bench_function("ours/v4_presign", |b| {
        b.iter(|| {
            black_box(presign_v4(
                black_box(&req),
                &creds,
                REGION,
                Utc::now(),
                900,
                &[],
            ))
        })
    });
    group.bench_function("ours/v1_header", |b| {
        b.iter(|| black_box(sign_v1_header(black_box(&req), &creds, Utc::now())))
    });

    // Calibration on this (shared) machine: one V4 key derivation (four HMAC-SHA256) and one
    // HMAC-SHA256 over a string to sign, the floor of any V4 signature.
    group.bench_function("parts/v4_signing_key_derive", |b| {
        b.iter(|| {
            black_box(SigningKey::derive(
                black_box(creds.access_key_secret.expose()),
                "20231216",
                REGION,
                "oss",
            ))
        })
    });
    let key = SigningKey::derive(creds.access_key_secret.expose(), "20231216", REGION, "oss");
    let sts = "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\nf4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4";
    group.bench_function("parts/hmac_sha256_string_to_sign", |b| {
        b.iter(|| black_box(key.sign_hex(black_box(sts))))
    });

    // Verification of a V4 header-signed request, as the local server does it.
    let now = Utc::now();
    let mut signed_headers = hdrs.clone();
    sign_v4_header(&req, &creds, REGION, now, &[])
        .expect("sign")
        .apply_to(&mut signed_headers);
    let raw_query = wire_query(&q);
    let received = ReceivedRequest {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some(KEY),
        raw_query: &raw_query,
        headers: &signed_headers,
    };
    let policy = VerifyPolicy::new(REGION, now);
    let known = creds.clone();
    let lookup = move |ak: &str| (ak == known.access_key_id).then(|| known.clone());
    assert!(verify(&received, &policy, &lookup).is_ok());
    group.bench_function("ours/v4_verify", |b| {
        b.iter(|| black_box(verify(black_box(&received), &policy, &lookup)))
    });

    // The peer: reqsign-aliyun-oss 3.x, V4 (header and query) and V1 header.
    let peer_cred = PeerCredential {
        access_key_id: creds.access_key_id.clone(),
        access_key_secret: creds.access_key_secret.expose().to_owned(),
        security_token: None,
        expires_in: None,
    };
    let ctx = reqsign_core::Context::new();
    let peer_v4 = RequestSigner::new("bucket")
        .with_signing_version(SigningVersion::V4)
        .with_region(REGION);
    let peer_v1 = RequestSigner::new("bucket");
    let template = peer_parts();
    group.bench_function("reqsign/v4_header", |b| {
        b.iter_batched(
            || template.clone(),
            |mut parts| {
                poll_ready(peer_v4.sign_request(&ctx, &mut parts, Some(&peer_cred), None))
                    .expect("peer signs");
                parts
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("reqsign/v4_presign", |b| {
        b.iter_batched(
            || template.clone(),
            |mut parts| {
                poll_ready(peer_v4.sign_request(
                    &ctx,
                    &mut parts,
                    Some(&peer_cred),
                    Some(Duration::from_secs(900)),
                ))
                .expect("peer presigns");
                parts
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("reqsign/v1_header", |b| {
        b.iter_batched(
            || template.clone(),
            |mut parts| {
                poll_ready(peer_v1.sign_request(&ctx, &mut parts, Some(&peer_cred), None))
                    .expect("peer signs");
                parts
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
