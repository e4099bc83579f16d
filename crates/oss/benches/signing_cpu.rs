//! On-CPU time per signature, ours against `reqsign-aliyun-oss`, robust to a shared machine.
//!
//! Wall-clock benches on a loaded 2-core machine mostly measure the scheduler. This driver runs
//! each operation in a tight loop and reads the thread's own on-CPU nanoseconds from
//! `/proc/thread-self/schedstat` (Linux), so time spent waiting for a core is excluded; it also
//! prints the wall-clock figure and the time spent runnable-but-waiting, for comparison. Each
//! operation runs `rounds` times and the median round is reported.
//!
//! Run: `cargo bench -p jitstore-oss --bench signing_cpu` (optionally
//! `-- <iterations> <rounds> [name filter]`; the filter, e.g. `ours/v4_verify`, runs only the
//! operations whose name contains it, which is handy under a profiler).
//! Same request and clock handling as `benches/signing.rs`; reqsign gets a fresh clone of the
//! request per iteration, and the cost of that clone is measured and subtracted.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::Utc;
use jitstore_oss::credentials::Credentials;
use jitstore_oss::sign::{
    presign_v4, sign_v1_header, sign_v4_header, verify, ReceivedRequest, RequestParts, VerifyPolicy,
};
use reqsign_aliyun_oss::{Credential as PeerCredential, RequestSigner, SigningVersion};
use reqsign_core::SignRequest;

mod common;

use common::{headers, peer_parts, poll_ready, query, wire_query, KEY, REGION};

/// (on-CPU ns, runnable-but-waiting ns) of this thread so far, if the kernel exposes them.
fn schedstat() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = text.split_whitespace();
    let run = fields.next()?.parse().ok()?;
    let wait = fields.next()?.parse().ok()?;
    Some((run, wait))
}

struct Sample {
    cpu_ns_per_op: f64,
    wall_ns_per_op: f64,
    wait_ns_per_op: f64,
}

fn measure(iterations: u32, mut op: impl FnMut()) -> Sample {
    let before = schedstat();
    let start = Instant::now();
    for _ in 0..iterations {
        op();
    }
    let wall = start.elapsed();
    let after = schedstat();
    let n = f64::from(iterations);
    let wall_ns = wall.as_nanos() as f64 / n;
    match (before, after) {
        (Some((r0, w0)), Some((r1, w1))) => Sample {
            cpu_ns_per_op: (r1.saturating_sub(r0)) as f64 / n,
            wall_ns_per_op: wall_ns,
            wait_ns_per_op: (w1.saturating_sub(w0)) as f64 / n,
        },
        _ => Sample {
            cpu_ns_per_op: wall_ns,
            wall_ns_per_op: wall_ns,
            wait_ns_per_op: 0.0,
        },
    }
}

fn median_of(rounds: u32, iterations: u32, mut op: impl FnMut()) -> Sample {
    if rounds == 0 {
        return Sample {
            cpu_ns_per_op: 0.0,
            wall_ns_per_op: 0.0,
            wait_ns_per_op: 0.0,
        };
    }
    let mut samples: Vec<Sample> = (0..rounds).map(|_| measure(iterations, &mut op)).collect();
    samples.sort_by(|a, b| a.cpu_ns_per_op.total_cmp(&b.cpu_ns_per_op));
    samples.swap_remove(samples.len() / 2)
}

fn main() {
    let numbers: Vec<u32> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    let iterations = numbers.first().copied().unwrap_or(100_000);
    let rounds = numbers.get(1).copied().unwrap_or(5).max(1);
    let filter: Option<String> = std::env::args()
        .skip(1)
        .find(|a| a.parse::<u32>().is_err() && !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    // Zero rounds skip an operation that the filter leaves out.
    let rounds_for = |name: &str| if wanted(name) { rounds } else { 0 };

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
    let now = Utc::now();
    let mut signed = hdrs.clone();
    sign_v4_header(&req, &creds, REGION, now, &[])
        .expect("sign")
        .apply_to(&mut signed);
    let raw_query = wire_query(&q);
    let received = ReceivedRequest {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some(KEY),
        raw_query: &raw_query,
        headers: &signed,
    };
    let policy = VerifyPolicy::new(REGION, now);
    let known = creds.clone();
    let lookup = move |ak: &str| (ak == known.access_key_id).then(|| known.clone());

    let peer_cred = PeerCredential {
        access_key_id: common::AK.to_owned(),
        access_key_secret: common::SK.to_owned(),
        security_token: None,
        expires_in: None,
    };
    let ctx = reqsign_core::Context::new();
    let peer_v4 = RequestSigner::new("bucket")
        .with_signing_version(SigningVersion::V4)
        .with_region(REGION);
    let peer_v1 = RequestSigner::new("bucket");
    let template = peer_parts();

    println!(
        "{iterations} iterations x {rounds} rounds, median round; on-CPU time excludes waiting for a core"
    );
    println!(
        "{:<22} {:>12} {:>12} {:>14}",
        "operation", "cpu ns/op", "wall ns/op", "waiting ns/op"
    );
    let report = |name: &str, s: Sample| {
        if !wanted(name) {
            return;
        }
        println!(
            "{name:<22} {:>12.0} {:>12.0} {:>14.0}",
            s.cpu_ns_per_op, s.wall_ns_per_op, s.wait_ns_per_op
        );
    };

    report(
        "ours/v4_header",
        median_of(rounds_for("ours/v4_header"), iterations, || {
            black_box(sign_v4_header(black_box(&req), &creds, REGION, Utc::now(), &[]).is_ok());
        }),
    );
    report(
        "ours/v4_presign",
        median_of(rounds_for("ours/v4_presign"), iterations, || {
            black_box(presign_v4(black_box(&req), &creds, REGION, Utc::now(), 900, &[]).is_ok());
        }),
    );
    report(
        "ours/v1_header",
        median_of(rounds_for("ours/v1_header"), iterations, || {
            black_box(sign_v1_header(black_box(&req), &creds, Utc::now()).is_ok());
        }),
    );
    report(
        "ours/v4_verify",
        median_of(rounds_for("ours/v4_verify"), iterations, || {
            black_box(verify(black_box(&received), &policy, &lookup).is_ok());
        }),
    );
    let clone = median_of(rounds_for("reqsign/"), iterations, || {
        black_box(template.clone());
    });
    let clone_ns = clone.cpu_ns_per_op;
    report("reqsign/request_clone", clone);
    let peer = |name: &str, signer: &RequestSigner, expires: Option<Duration>| {
        let mut s = median_of(rounds_for(name), iterations, || {
            let mut parts = template.clone();
            let signed =
                poll_ready(signer.sign_request(&ctx, &mut parts, Some(&peer_cred), expires));
            black_box(signed.is_ok());
        });
        s.cpu_ns_per_op -= clone_ns;
        s
    };
    report(
        "reqsign/v4_header",
        peer("reqsign/v4_header", &peer_v4, None),
    );
    report(
        "reqsign/v4_presign",
        peer(
            "reqsign/v4_presign",
            &peer_v4,
            Some(Duration::from_secs(900)),
        ),
    );
    report(
        "reqsign/v1_header",
        peer("reqsign/v1_header", &peer_v1, None),
    );
    println!("(reqsign rows: request clone subtracted from cpu ns/op, not from wall)");
}
