//! The `storages.Meta` behaviour suite (`jitstore_storages::testkit`) against the built-in
//! Types: DiskType on a temporary folder, and OssType over real HTTP to the in-process local
//! OSS server (small parts, so the streaming writer goes multipart).

mod oss_type_support;

use jitstore_storages::{DiskStorage, StorageHandle, DISK_TYPE};
use oss_type_support::OssTypePeer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_type_passes_the_behaviour_suite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let storage = DiskStorage::new(dir.path().join("files")).expect("disk storage");
    let handle = StorageHandle::new(
        "storages.SuiteDisk",
        DISK_TYPE,
        std::sync::Arc::new(storage),
    );
    jitstore_storages::testkit::run(&handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oss_type_passes_the_behaviour_suite() {
    let peer = oss_type_support::start().await;
    let handle = peer.handle(
        "SuiteOss",
        peer.config(json!({"partSize": 102400, "multipartThreshold": 204800, "concurrency": 3})),
    );
    jitstore_storages::testkit::run(&handle).await;
}
