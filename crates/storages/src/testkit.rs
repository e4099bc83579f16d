//! The `storages.Meta` behaviour suite (feature `testkit`): what every storage Type must do,
//! checked through a [`StorageHandle`]. A Type is done when it passes:
//!
//! ```no_run
//! # async fn demo(handle: jitstore_storages::StorageHandle) {
//! // in a #[tokio::test] of the Type:
//! jitstore_storages::testkit::run(&handle).await;
//! # }
//! ```
//!
//! Every check works under its own fresh prefix and panics (this is test code) with the
//! Type's name, the check and what differed. Checks that need an optional capability
//! (user metadata, content type, conditional reads, signed URLs) adapt to
//! [`capabilities`](StorageHandle::capabilities): a Type must either do the thing or refuse it
//! with [`ErrorKind::Unsupported`].

use std::collections::BTreeSet;

use bytes::Bytes;
use futures::stream::TryStreamExt;

use crate::capability::Capability;
use crate::error::{Error, ErrorKind};
use crate::handle::StorageHandle;
use crate::list::ListOptions;
use crate::read::{ByteRange, ReadOptions};
use crate::types::UploadOptions;

/// Runs every check against `store`, under a fresh random prefix.
pub async fn run(store: &StorageHandle) {
    let suite = Suite::new(store.clone());
    suite.round_trips().await;
    suite.empty_objects().await;
    suite.ranges().await;
    suite.metadata_and_content_type().await;
    suite.etags_and_conditions().await;
    suite.delete_semantics().await;
    suite.listing().await;
    suite.hostile_keys().await;
    suite.error_kinds().await;
    suite.writer_abort_and_async_write().await;
    suite.concurrent_writers().await;
}

/// The suite over one storage; each method is one check.
#[derive(Debug, Clone)]
pub struct Suite {
    store: StorageHandle,
    root: String,
}

/// Deterministic pseudo-random bytes.
pub fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

impl Suite {
    /// The suite over `store`, under a fresh random prefix.
    pub fn new(store: StorageHandle) -> Suite {
        let root = format!("jitstore-suite-{:08x}/", rand::random::<u32>());
        Suite { store, root }
    }

    fn key(&self, check: &str, name: &str) -> String {
        format!("{}{check}/{name}", self.root)
    }

    fn fail(&self, check: &str, what: impl std::fmt::Display) -> ! {
        panic!("[{}] behaviour `{check}`: {what}", self.store.type_name())
    }

    fn expect_kind<T: std::fmt::Debug>(
        &self,
        check: &str,
        what: &str,
        outcome: Result<T, Error>,
        kind: ErrorKind,
    ) {
        match outcome {
            Ok(value) => self.fail(check, format!("{what}: expected {kind}, got Ok({value:?})")),
            Err(error) if error.kind() == kind => {}
            Err(error) => self.fail(
                check,
                format!("{what}: expected {kind}, got {} ({error})", error.kind()),
            ),
        }
    }

    async fn put(&self, check: &str, key: &str, data: &[u8]) {
        if let Err(e) = self
            .store
            .upload_by_file(key, data.to_vec(), Some("application/octet-stream"))
            .await
        {
            self.fail(check, format!("upload of {key:?}: {e}"));
        }
    }

    async fn get(&self, check: &str, key: &str) -> Bytes {
        match self.store.download(key).await {
            Ok(data) => data,
            Err(e) => self.fail(check, format!("download of {key:?}: {e}")),
        }
    }

    async fn read_range(&self, check: &str, key: &str, range: ByteRange) -> (u64, Vec<u8>) {
        let read = match self
            .store
            .read(key, &ReadOptions::range(range.clone()))
            .await
        {
            Ok(read) => read,
            Err(e) => self.fail(check, format!("read {range} of {key:?}: {e}")),
        };
        let size = read.info.size;
        let claimed = read.range.clone();
        let data = match read.bytes().await {
            Ok(data) => data,
            Err(e) => self.fail(check, format!("stream of {range}: {e}")),
        };
        if data.len() as u64 != claimed.end - claimed.start {
            self.fail(
                check,
                format!("{range}: range {claimed:?} but {} bytes", data.len()),
            );
        }
        (size, data.to_vec())
    }

    /// The part size that makes a write multipart on this Type (two parts and a bit).
    fn multipart_size(&self) -> usize {
        let caps = self.store.capabilities();
        let part = caps.limits().min_part_size.unwrap_or(256 * 1024);
        usize::try_from(part.min(1 << 20)).unwrap_or(1 << 20) * 2 + 17
    }

    /// Put/get round trips of several sizes, through `upload_by_file`/`download`, the
    /// streaming writer (in uneven chunks) and the reader.
    pub async fn round_trips(&self) {
        let check = "round_trips";
        for (i, size) in [1usize, 1000, 64 * 1024 + 3, self.multipart_size()]
            .into_iter()
            .enumerate()
        {
            let data = content(size, i as u64 + 1);
            let key = self.key(check, &format!("bytes-{size}"));
            self.put(check, &key, &data).await;
            if self.get(check, &key).await != data {
                self.fail(check, format!("{size} bytes did not read back equal"));
            }
            let streamed = self.key(check, &format!("streamed-{size}"));
            let mut writer = match self.store.write(&streamed, &UploadOptions::default()).await {
                Ok(w) => w,
                Err(e) => self.fail(check, format!("write {streamed:?}: {e}")),
            };
            for chunk in data.chunks(7919 * 13) {
                if let Err(e) = writer.put(chunk.to_vec()).await {
                    self.fail(check, format!("writing {streamed:?}: {e}"));
                }
            }
            let result = match writer.finish().await {
                Ok(r) => r,
                Err(e) => self.fail(check, format!("finishing {streamed:?}: {e}")),
            };
            if result.size != size as u64 {
                self.fail(
                    check,
                    format!("writer reported {} of {size} bytes", result.size),
                );
            }
            let read = match self.store.read(&streamed, &ReadOptions::new()).await {
                Ok(r) => r,
                Err(e) => self.fail(check, format!("read {streamed:?}: {e}")),
            };
            if read.info.size != size as u64 || read.range != (0..size as u64) {
                self.fail(check, format!("read of {size} bytes reported {read:?}"));
            }
            match read.bytes().await {
                Ok(back) if back == data => {}
                Ok(back) => self.fail(
                    check,
                    format!("streamed {size} bytes read back {} different", back.len()),
                ),
                Err(e) => self.fail(check, format!("stream of {streamed:?}: {e}")),
            }
        }
    }

    /// Empty objects: stored, listed, read back empty; any range of them is unsatisfiable.
    pub async fn empty_objects(&self) {
        let check = "empty_objects";
        let key = self.key(check, "empty");
        self.put(check, &key, b"").await;
        if !self.get(check, &key).await.is_empty() {
            self.fail(check, "an empty object read back non-empty");
        }
        match self.store.stat(&key).await {
            Ok(info) if info.size == 0 => {}
            other => self.fail(check, format!("stat of an empty object: {other:?}")),
        }
        let writer = match self
            .store
            .write(&self.key(check, "empty-writer"), &UploadOptions::default())
            .await
        {
            Ok(w) => w,
            Err(e) => self.fail(check, format!("write: {e}")),
        };
        match writer.finish().await {
            Ok(result) if result.size == 0 => {}
            other => self.fail(check, format!("a writer finished without data: {other:?}")),
        }
        match self.store.download(&self.key(check, "empty-writer")).await {
            Ok(data) if data.is_empty() => {}
            other => self.fail(check, format!("the writer's empty object: {other:?}")),
        }
        for range in [
            ByteRange::From(0),
            ByteRange::Last(1),
            ByteRange::Bounded(0..1),
        ] {
            let outcome = self
                .store
                .read(&key, &ReadOptions::range(range.clone()))
                .await;
            self.expect_kind(
                check,
                &format!("{range} of an empty object"),
                outcome,
                ErrorKind::RangeNotSatisfiable,
            );
        }
    }

    /// Byte ranges and their edge cases (HTTP semantics).
    pub async fn ranges(&self) {
        let check = "ranges";
        let data = content(1000, 7);
        let key = self.key(check, "thousand");
        self.put(check, &key, &data).await;
        let cases: [(ByteRange, std::ops::Range<usize>); 7] = [
            (ByteRange::Bounded(0..1), 0..1),
            (ByteRange::Bounded(10..20), 10..20),
            (ByteRange::Bounded(990..5000), 990..1000),
            (ByteRange::From(999), 999..1000),
            (ByteRange::From(0), 0..1000),
            (ByteRange::Last(100), 900..1000),
            (ByteRange::Last(5000), 0..1000),
        ];
        for (range, expected) in cases {
            let (size, got) = self.read_range(check, &key, range.clone()).await;
            if size != 1000 {
                self.fail(
                    check,
                    format!("{range}: info.size {size}, not the object's 1000"),
                );
            }
            if got != data[expected.clone()] {
                self.fail(check, format!("{range}: expected bytes {expected:?}"));
            }
        }
        for range in [
            ByteRange::From(1000),
            ByteRange::Bounded(1000..1001),
            ByteRange::From(5000),
        ] {
            let outcome = self
                .store
                .read(&key, &ReadOptions::range(range.clone()))
                .await;
            self.expect_kind(
                check,
                &range.to_string(),
                outcome,
                ErrorKind::RangeNotSatisfiable,
            );
        }
        for range in [ByteRange::Bounded(5..5), ByteRange::Last(0)] {
            let outcome = self
                .store
                .read(&key, &ReadOptions::range(range.clone()))
                .await;
            self.expect_kind(
                check,
                &range.to_string(),
                outcome,
                ErrorKind::InvalidArgument,
            );
        }
    }

    /// Content type and user metadata round trip (or are refused as unsupported).
    pub async fn metadata_and_content_type(&self) {
        let check = "metadata";
        let caps = self.store.capabilities();
        let key = self.key(check, "typed.bin");
        let mut options = UploadOptions::content_type("text/plain; charset=utf-8");
        options.user_metadata.insert("colour".into(), "blue".into());
        let outcome = self
            .store
            .upload_with(&key, b"hello".to_vec(), &options)
            .await;
        if !caps.contains(Capability::UserMetadata) {
            self.expect_kind(
                check,
                "user metadata without the capability",
                outcome,
                ErrorKind::Unsupported,
            );
            options.user_metadata.clear();
            if let Err(e) = self
                .store
                .upload_with(&key, b"hello".to_vec(), &options)
                .await
            {
                self.fail(check, format!("upload with a content type: {e}"));
            }
        } else if let Err(e) = outcome {
            self.fail(check, format!("upload with metadata: {e}"));
        }
        let info = match self.store.stat(&key).await {
            Ok(info) => info,
            Err(e) => self.fail(check, format!("stat: {e}")),
        };
        if caps.contains(Capability::ContentType)
            && info.content_type.as_deref() != Some("text/plain; charset=utf-8")
        {
            self.fail(
                check,
                format!("content type came back as {:?}", info.content_type),
            );
        }
        if caps.contains(Capability::UserMetadata)
            && info.user_metadata.get("colour").map(String::as_str) != Some("blue")
        {
            self.fail(
                check,
                format!("user metadata came back as {:?}", info.user_metadata),
            );
        }
        let read = match self.store.read(&key, &ReadOptions::new()).await {
            Ok(read) => read,
            Err(e) => self.fail(check, format!("read: {e}")),
        };
        if read.info.content_type != info.content_type || read.info.size != 5 {
            self.fail(
                check,
                format!(
                    "read's metadata {:?} differs from stat's {info:?}",
                    read.info
                ),
            );
        }
    }

    /// ETags are bare (no quotes), the same from upload, stat, read and list, different for
    /// different content; If-Match / If-None-Match behave.
    pub async fn etags_and_conditions(&self) {
        let check = "etags";
        let key = self.key(check, "tagged");
        let uploaded = match self
            .store
            .upload_by_file(&key, b"version one".to_vec(), None)
            .await
        {
            Ok(r) => r,
            Err(e) => self.fail(check, format!("upload: {e}")),
        };
        let etag = uploaded.etag.clone();
        if etag.is_empty() || etag.starts_with('"') || etag.ends_with('"') || etag.starts_with("W/")
        {
            self.fail(check, format!("ETag {etag:?} is not a bare, strong tag"));
        }
        let stat = match self.store.stat(&key).await {
            Ok(info) => info,
            Err(e) => self.fail(check, format!("stat: {e}")),
        };
        if stat.etag.as_deref() != Some(etag.as_str()) {
            self.fail(
                check,
                format!("stat ETag {:?} differs from upload's {etag:?}", stat.etag),
            );
        }
        let listed: Vec<_> = match self.store.list(&key).try_collect().await {
            Ok(listed) => listed,
            Err(e) => self.fail(check, format!("list: {e}")),
        };
        if listed.first().and_then(|o| o.etag.as_deref()) != Some(etag.as_str()) {
            self.fail(check, format!("listed ETag differs: {listed:?}"));
        }
        let changed = match self
            .store
            .upload_by_file(&key, b"version two!".to_vec(), None)
            .await
        {
            Ok(r) => r.etag,
            Err(e) => self.fail(check, format!("second upload: {e}")),
        };
        if changed == etag {
            self.fail(check, "new content kept the old ETag");
        }
        if !self
            .store
            .capabilities()
            .contains(Capability::ConditionalRead)
        {
            return;
        }
        let matching = ReadOptions::new().if_match(changed.clone());
        match self.store.read(&key, &matching).await {
            Ok(read) if read.info.etag.as_deref() == Some(changed.as_str()) => {}
            other => self.fail(check, format!("If-Match of the current ETag: {other:?}")),
        }
        let quoted = ReadOptions::new().if_match(format!("\"{changed}\""));
        if let Err(e) = self.store.read(&key, &quoted).await {
            self.fail(check, format!("If-Match of the quoted current ETag: {e}"));
        }
        let stale = self
            .store
            .read(&key, &ReadOptions::new().if_match(etag.clone()))
            .await;
        self.expect_kind(
            check,
            "If-Match of a stale ETag",
            stale,
            ErrorKind::ConditionNotMatch,
        );
        let current = self
            .store
            .read(&key, &ReadOptions::new().if_none_match(changed))
            .await;
        self.expect_kind(
            check,
            "If-None-Match of the current ETag",
            current,
            ErrorKind::NotModified,
        );
        if let Err(e) = self
            .store
            .read(&key, &ReadOptions::new().if_none_match(etag))
            .await
        {
            self.fail(check, format!("If-None-Match of a stale ETag: {e}"));
        }
    }

    /// Deleting a missing key succeeds; a deleted object is gone.
    pub async fn delete_semantics(&self) {
        let check = "delete";
        let key = self.key(check, "doomed");
        if let Err(e) = self.store.delete(&self.key(check, "never-existed")).await {
            self.fail(check, format!("delete of a missing key: {e}"));
        }
        self.put(check, &key, b"x").await;
        if let Err(e) = self.store.delete(&key).await {
            self.fail(check, format!("delete: {e}"));
        }
        match self.store.exists(&key).await {
            Ok(false) => {}
            other => self.fail(check, format!("exists after delete: {other:?}")),
        }
        let outcome = self.store.stat(&key).await;
        self.expect_kind(check, "stat after delete", outcome, ErrorKind::NotFound);
        if let Err(e) = self.store.delete(&key).await {
            self.fail(check, format!("second delete: {e}"));
        }
    }

    /// Recursive listing is in byte order and honours start-after; the delimiter listing
    /// gives one level (objects + common prefixes).
    pub async fn listing(&self) {
        let check = "listing";
        let base = self.key(check, "");
        let names = [
            "b",
            "a/2",
            "a/1",
            "a/deep/x",
            "a/deep/y",
            "a/other/z",
            "a0",
            "c/ü",
        ];
        for name in names {
            self.put(check, &format!("{base}{name}"), name.as_bytes())
                .await;
        }
        let keys = |listed: Vec<crate::types::ObjectInfo>| -> Vec<String> {
            listed
                .into_iter()
                .map(|o| o.key[base.len()..].to_owned())
                .collect()
        };
        let all: Vec<_> = match self.store.list(&base).try_collect().await {
            Ok(all) => all,
            Err(e) => self.fail(check, format!("list: {e}")),
        };
        let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        expected.sort();
        if keys(all) != expected {
            self.fail(check, format!("list order: expected {expected:?}"));
        }
        let after: Vec<_> = match self
            .store
            .list_with(&ListOptions::prefix(&base).start_after(format!("{base}a/deep/y")))
            .try_collect()
            .await
        {
            Ok(after) => after,
            Err(e) => self.fail(check, format!("list start-after: {e}")),
        };
        if keys(after) != ["a/other/z", "a0", "b", "c/ü"] {
            self.fail(check, "start-after did not resume after a/deep/y");
        }
        let level = match self.store.list_with_delimiter(&format!("{base}a/")).await {
            Ok(level) => level,
            Err(e) => self.fail(check, format!("list_with_delimiter: {e}")),
        };
        let objects: Vec<_> = level
            .objects
            .iter()
            .map(|o| o.key[base.len()..].to_owned())
            .collect();
        let prefixes: Vec<_> = level
            .common_prefixes
            .iter()
            .map(|p| p[base.len()..].to_owned())
            .collect();
        if objects != ["a/1", "a/2"] || prefixes != ["a/deep/", "a/other/"] {
            self.fail(
                check,
                format!("one level under a/: objects {objects:?}, prefixes {prefixes:?}"),
            );
        }
        let top = match self.store.list_with_delimiter(&base).await {
            Ok(level) => level,
            Err(e) => self.fail(check, format!("list_with_delimiter of the base: {e}")),
        };
        let objects: Vec<_> = top
            .objects
            .iter()
            .map(|o| o.key[base.len()..].to_owned())
            .collect();
        let prefixes: Vec<_> = top
            .common_prefixes
            .iter()
            .map(|p| p[base.len()..].to_owned())
            .collect();
        if objects != ["a0", "b"] || prefixes != ["a/", "c/"] {
            self.fail(
                check,
                format!("top level: objects {objects:?}, prefixes {prefixes:?}"),
            );
        }
    }

    /// Unicode and hostile keys either round trip under exactly that key or are refused with
    /// [`ErrorKind::InvalidKey`] — never stored elsewhere.
    pub async fn hostile_keys(&self) {
        let check = "hostile_keys";
        let base = self.key(check, "");
        let names = [
            "ünïcödé/日本語 😀.txt",
            "spaces and+plus%20&amp=eq?q#frag.txt",
            "a/../escape.txt",
            "./dot.txt",
            "trailing.",
            "semi;colon,comma'quote\"dq.txt",
            "tab\there",
            "new\nline",
        ];
        let mut stored = BTreeSet::new();
        for name in names {
            let key = format!("{base}{name}");
            match self
                .store
                .upload_by_file(&key, name.as_bytes().to_vec(), None)
                .await
            {
                Ok(result) => {
                    if result.key != key {
                        self.fail(check, format!("{key:?} was stored as {:?}", result.key));
                    }
                    if self.get(check, &key).await != name.as_bytes() {
                        self.fail(check, format!("{key:?} read back different content"));
                    }
                    stored.insert(key);
                }
                Err(e) if e.kind() == ErrorKind::InvalidKey => {}
                Err(e) => self.fail(
                    check,
                    format!(
                        "{key:?}: expected success or invalid-key, got {} ({e})",
                        e.kind()
                    ),
                ),
            }
        }
        let listed: BTreeSet<String> =
            match self.store.list(&base).map_ok(|o| o.key).try_collect().await {
                Ok(listed) => listed,
                Err(e) => self.fail(check, format!("list: {e}")),
            };
        if listed != stored {
            self.fail(
                check,
                format!("listing {listed:?} differs from the stored keys {stored:?}"),
            );
        }
        let outcome = self.store.upload_by_file("", b"x".to_vec(), None).await;
        self.expect_kind(check, "the empty key", outcome, ErrorKind::InvalidKey);
        let absolute = format!("/{base}absolute");
        match self
            .store
            .upload_by_file(&absolute, b"x".to_vec(), None)
            .await
        {
            Ok(result) if result.key == absolute => {
                if self.get(check, &absolute).await != b"x"[..] {
                    self.fail(
                        check,
                        "a key with a leading `/` read back different content",
                    );
                }
                let _ = self.store.delete(&absolute).await;
            }
            Ok(result) => self.fail(
                check,
                format!("{absolute:?} was stored as {:?}", result.key),
            ),
            Err(e) if e.kind() == ErrorKind::InvalidKey => {}
            Err(e) => self.fail(
                check,
                format!(
                    "{absolute:?}: expected success or invalid-key, got {} ({e})",
                    e.kind()
                ),
            ),
        }
    }

    /// The kinds of the common failures.
    pub async fn error_kinds(&self) {
        let check = "error_kinds";
        let missing = self.key(check, "missing");
        self.expect_kind(
            check,
            "stat of a missing key",
            self.store.stat(&missing).await,
            ErrorKind::NotFound,
        );
        self.expect_kind(
            check,
            "get_object of a missing key",
            self.store.get_object(&missing).await,
            ErrorKind::NotFound,
        );
        self.expect_kind(
            check,
            "download of a missing key",
            self.store.download(&missing).await,
            ErrorKind::NotFound,
        );
        let read = self.store.read(&missing, &ReadOptions::new()).await;
        self.expect_kind(check, "read of a missing key", read, ErrorKind::NotFound);
        let ranged = self
            .store
            .read(&missing, &ReadOptions::range(ByteRange::Last(10)))
            .await;
        self.expect_kind(
            check,
            "ranged read of a missing key",
            ranged,
            ErrorKind::NotFound,
        );
        match self.store.exists(&missing).await {
            Ok(false) => {}
            other => self.fail(check, format!("exists of a missing key: {other:?}")),
        }
        if let Err(error) = self.store.stat(&missing).await {
            if error.is_temporary() {
                self.fail(check, "not-found must not be temporary");
            }
            let text = error.to_string();
            for part in [
                self.store.element(),
                self.store.type_name(),
                "stat",
                missing.as_str(),
            ] {
                if !text.contains(part) {
                    self.fail(check, format!("error text {text:?} does not name {part:?}"));
                }
            }
        }
        if !self.store.capabilities().contains(Capability::SignUrl) {
            let outcome = self.store.get_sign_url(&missing, None, None).await;
            self.expect_kind(
                check,
                "get_sign_url without the capability",
                outcome,
                ErrorKind::Unsupported,
            );
        }
    }

    /// A writer dropped or aborted leaves nothing; `AsyncWrite` (`tokio::io::copy`) works.
    pub async fn writer_abort_and_async_write(&self) {
        use tokio::io::AsyncWriteExt;
        let check = "writer";
        let size = self.multipart_size();
        let data = content(size, 99);
        for abort in [false, true] {
            let key = self.key(check, if abort { "aborted" } else { "dropped" });
            let mut writer = match self.store.write(&key, &UploadOptions::default()).await {
                Ok(w) => w,
                Err(e) => self.fail(check, format!("write: {e}")),
            };
            if let Err(e) = writer.put(data.clone()).await {
                self.fail(check, format!("put: {e}"));
            }
            if abort {
                if let Err(e) = writer.abort().await {
                    self.fail(check, format!("abort: {e}"));
                }
            } else {
                drop(writer);
            }
            self.expect_kind(
                check,
                "an unfinished writer's object",
                self.store.stat(&key).await,
                ErrorKind::NotFound,
            );
        }
        let key = self.key(check, "copied");
        let mut writer = match self.store.write(&key, &UploadOptions::default()).await {
            Ok(w) => w,
            Err(e) => self.fail(check, format!("write: {e}")),
        };
        let mut source: &[u8] = &data;
        if let Err(e) = tokio::io::copy(&mut source, &mut writer).await {
            self.fail(check, format!("tokio::io::copy into the writer: {e}"));
        }
        if let Err(e) = writer.shutdown().await {
            self.fail(check, format!("shutdown: {e}"));
        }
        match writer.finish().await {
            Ok(result) if result.size == size as u64 => {}
            other => self.fail(check, format!("finish after shutdown: {other:?}")),
        }
        if self.get(check, &key).await != data {
            self.fail(check, "the copied object differs");
        }
        let listed: Vec<String> = match self
            .store
            .list(&self.key(check, ""))
            .map_ok(|o| o.key)
            .try_collect()
            .await
        {
            Ok(listed) => listed,
            Err(e) => self.fail(check, format!("list: {e}")),
        };
        if listed != [key] {
            self.fail(
                check,
                format!("only the finished object may be listed, got {listed:?}"),
            );
        }
    }

    /// Concurrent writers of one key: the object ends up exactly one writer's content.
    pub async fn concurrent_writers(&self) {
        let check = "concurrent_writers";
        let key = self.key(check, "contended");
        let versions: Vec<Vec<u8>> = (0..6).map(|i| content(200 * 1024 + 11, 1000 + i)).collect();
        let tasks = versions.iter().cloned().map(|data| {
            let store = self.store.clone();
            let key = key.clone();
            tokio::spawn(async move {
                let mut writer = store.write(&key, &UploadOptions::default()).await?;
                for chunk in data.chunks(50 * 1024) {
                    writer.put(chunk.to_vec()).await?;
                    tokio::task::yield_now().await;
                }
                writer.finish().await
            })
        });
        for joined in futures::future::join_all(tasks).await {
            match joined {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => self.fail(check, format!("a writer failed: {e}")),
                Err(e) => self.fail(check, format!("a writer task failed: {e}")),
            }
        }
        let stored = self.get(check, &key).await;
        if !versions.iter().any(|v| v[..] == stored[..]) {
            self.fail(check, "the object is not exactly one writer's content");
        }
        let listed: Vec<String> = match self
            .store
            .list(&self.key(check, ""))
            .map_ok(|o| o.key)
            .try_collect()
            .await
        {
            Ok(listed) => listed,
            Err(e) => self.fail(check, format!("list: {e}")),
        };
        if listed != [key] {
            self.fail(
                check,
                format!("leftovers after concurrent writes: {listed:?}"),
            );
        }
    }
}
