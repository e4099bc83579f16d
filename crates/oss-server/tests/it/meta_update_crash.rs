//! Crash safety of metadata-only updates (PutObjectAcl, PutObjectTagging): the server is killed
//! with SIGKILL while updates of a large object are in flight; after a restart the object has
//! its data intact and either the old or a new tag set and ACL, never a mix or a partial file.

use std::time::Duration;

use crate::common::*;

fn tagging(n: usize) -> String {
    format!("<Tagging><TagSet><Tag><Key>n</Key><Value>{n}</Value></Tag></TagSet></Tagging>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_metadata_updates_leaves_a_whole_object() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = spawn_server(&data);
    let http = client();
    let url = format!("{}/{}/big", first.endpoint, BUCKET);
    let body: Vec<u8> = (0..24 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let r = http
        .put(&url)
        .header("x-oss-tagging", "n=initial")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].clone();
    // Updates in a loop until the server dies.
    let updates = tokio::spawn({
        let (http, url) = (http.clone(), url.clone());
        async move {
            let mut n = 0;
            loop {
                let acl = if n % 2 == 0 { "public-read" } else { "private" };
                let a = http
                    .put(format!("{url}?acl"))
                    .header("x-oss-object-acl", acl)
                    .send();
                let t = http.put(format!("{url}?tagging")).body(tagging(n)).send();
                let (a, t) = tokio::join!(a, t);
                if a.is_err() || t.is_err() {
                    return n;
                }
                n += 1;
            }
        }
    });
    // Kill while an update is being staged.
    let tmp = data.join("buckets").join(BUCKET).join("tmp");
    let mut staged = false;
    for _ in 0..400 {
        if std::fs::read_dir(&tmp).unwrap().count() > 0 {
            staged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(staged, "no update was ever staged");
    drop(first);
    let done = updates.await.unwrap();
    let second = spawn_server(&data);
    let url = format!("{}/{}/big", second.endpoint, BUCKET);
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], etag);
    assert_eq!(r.headers()["x-oss-tagging-count"], "1");
    assert_eq!(r.bytes().await.unwrap().as_ref(), body.as_slice());
    let tags = http.get(format!("{url}?tagging")).send().await.unwrap();
    let tags = tags.text().await.unwrap();
    let value = xml_text(&tags, "Value").expect("one tag");
    assert!(
        value == "initial" || value.parse::<usize>().is_ok_and(|n| n <= done),
        "unexpected tag value {value:?} after {done} rounds"
    );
    let acl = http.get(format!("{url}?acl")).send().await.unwrap();
    let grant = xml_text(&acl.text().await.unwrap(), "Grant").expect("grant");
    assert!(
        matches!(grant.as_str(), "default" | "public-read" | "private"),
        "{grant}"
    );
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "staging files were not swept"
    );
}
