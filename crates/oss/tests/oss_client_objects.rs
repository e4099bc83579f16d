//! Every per-call function of `jitstore_oss::client::Client` over real HTTP against the local
//! OSS server (`jitstore_oss_server`), with V4, V1 and STS credentials and keys full of
//! characters that break naive encoders.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use jitstore_oss::client::{
    Body, ByteRange, Client, CompleteMultipartOptions, ContentMd5, CopyObjectOptions,
    GetObjectOptions, ListMultipartUploadsOptions, ListObjectsV2Options, MetadataDirective,
    PresignOptions, PutObjectOptions, StorageClass, WriteOptions,
};
use jitstore_oss::credentials::{Credentials, StaticProvider};
use jitstore_oss::sign::SignatureVersion;
use jitstore_oss_server::{AccessKey, RunningServer};
use jitstore_testkit::keys::{BUCKET, PUBLIC_BUCKET};
use jitstore_testkit::Peer;

// Credentials whose secret and token hold characters that break naive encoders (`/`, `+`,
// `=`, spaces): part of what these tests check, so they stay here beside the kit's plain ones.
const AK: &str = "LTAI-odd-chars-ak";
const SK: &str = "test-sk/with+odd=chars";
const STS_AK: &str = "STS.odd-chars-ak";
const STS_SK: &str = "tmp-sk";
const STS_TOKEN: &str = "token+with/slashes=and spaces";

/// Keys with space, `+`, `#`, `?`, `%`, `&`, `=`, Chinese, emoji, dot segments, and `/`.
const NASTY_KEYS: &[&str] = &[
    "plain.txt",
    "dir/sub dir/file with space.txt",
    "plus+sign+key",
    "hash#and?question",
    "percent%20literal%2F",
    "amp&eq=semi;colon",
    "中文目录/文件.txt",
    "emoji/😀🎉.bin",
    "dots/../not-a-parent/./x",
    "trailing-slash/",
];

async fn start() -> (tempfile::TempDir, RunningServer) {
    let Peer { server, data, .. } = Peer::builder()
        .bucket(BUCKET)
        .public_read_bucket(PUBLIC_BUCKET)
        .credential(AccessKey::new(AK, SK))
        .credential(AccessKey::new(STS_AK, STS_SK).with_security_token(STS_TOKEN))
        .start()
        .await;
    (data, server)
}

fn client(server: &RunningServer, version: SignatureVersion, sts: bool) -> Client {
    client_for(server, BUCKET, version, sts)
}

fn client_for(
    server: &RunningServer,
    bucket: &str,
    version: SignatureVersion,
    sts: bool,
) -> Client {
    let creds = if sts {
        Credentials::new(STS_AK, STS_SK).with_security_token(STS_TOKEN)
    } else {
        Credentials::new(AK, SK)
    };
    Client::builder()
        .endpoint(server.endpoint())
        .bucket(bucket)
        .region(server.region())
        .credentials(StaticProvider::new(creds))
        .signature_version(version)
        .build()
        .unwrap()
}

fn all_clients(server: &RunningServer) -> Vec<(&'static str, Client)> {
    vec![
        ("v4", client(server, SignatureVersion::V4, false)),
        ("v1", client(server, SignatureVersion::V1, false)),
        ("v4-sts", client(server, SignatureVersion::V4, true)),
        ("v1-sts", client(server, SignatureVersion::V1, true)),
    ]
}

fn payload(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect::<Vec<u8>>()
        .into()
}

#[tokio::test]
async fn put_get_head_meta_delete_with_nasty_keys_in_every_signature_mode() {
    let (_dir, server) = start().await;
    for (mode, c) in all_clients(&server) {
        for (i, key) in NASTY_KEYS.iter().enumerate() {
            let key = format!("{mode}/{key}");
            let data = payload(1000 + i * 37, i as u8);
            let put = c
                .put_object(&key, Body::from(data.clone()), PutObjectOptions::default())
                .await
                .unwrap_or_else(|e| panic!("{mode} put {key:?}: {e}"));
            assert_eq!(
                put.crc64,
                Some(jitstore_oss::crc64::checksum(&data)),
                "{mode} {key:?}"
            );
            assert!(put.etag.is_some() && put.request_id.is_some());

            let got = c
                .get_object(&key, GetObjectOptions::default())
                .await
                .unwrap();
            assert!(got.body.is_crc_checked());
            assert_eq!(got.meta.content_length, Some(data.len() as u64));
            assert_eq!(got.body.bytes().await.unwrap(), data, "{mode} {key:?}");

            let head = c
                .head_object(&key, GetObjectOptions::default())
                .await
                .unwrap();
            assert_eq!(head.content_length, Some(data.len() as u64));
            assert_eq!(head.etag, put.etag);
            let meta = c.get_object_meta(&key, None).await.unwrap();
            assert_eq!(meta.crc64, put.crc64);

            c.delete_object(&key, None).await.unwrap();
            let err = c
                .head_object(&key, GetObjectOptions::default())
                .await
                .unwrap_err();
            assert!(err.is_not_found(), "{mode} {key:?}: {err}");
            assert_eq!(
                err.code(),
                Some("NoSuchKey"),
                "HEAD error decoded from x-oss-err: {err:?}"
            );
            // Deleting a missing key succeeds (idempotent).
            c.delete_object(&key, None).await.unwrap();
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn put_options_metadata_md5_storage_class_forbid_overwrite() {
    let (_dir, server) = start().await;
    let c = client(&server, SignatureVersion::V4, false);
    let mut metadata = BTreeMap::new();
    metadata.insert("Author".to_string(), "alice".to_string());
    metadata.insert("purpose".to_string(), "test run".to_string());
    let options = PutObjectOptions {
        write: WriteOptions {
            content_type: Some("text/plain; charset=utf-8".into()),
            cache_control: Some("no-cache".into()),
            content_disposition: Some("attachment; filename=\"a.txt\"".into()),
            metadata,
            storage_class: Some(StorageClass::InfrequentAccess),
            ..WriteOptions::default()
        },
        content_md5: ContentMd5::Compute,
    };
    c.put_object("meta.txt", Body::from("0123456789"), options)
        .await
        .unwrap();
    let head = c
        .head_object("meta.txt", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(
        head.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        head.metadata.get("author").map(String::as_str),
        Some("alice")
    );
    assert_eq!(
        head.metadata.get("purpose").map(String::as_str),
        Some("test run")
    );
    assert_eq!(head.storage_class.as_deref(), Some("IA"));
    assert_eq!(
        head.etag.as_deref(),
        Some("\"781E5E245D69B566979B86E28D23F2C7\"")
    );

    // A wrong Content-MD5 is refused by the server and the object is unchanged.
    let bad = PutObjectOptions {
        content_md5: ContentMd5::Value("1B2M2Y8AsgTpgAmY7PhCfg==".into()),
        ..PutObjectOptions::default()
    };
    let err = c
        .put_object("meta.txt", Body::from("other"), bad)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidDigest"), "{err}");
    let still = c
        .get_object("meta.txt", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(still.body.bytes().await.unwrap(), "0123456789");

    // x-oss-forbid-overwrite.
    let forbid = PutObjectOptions {
        write: WriteOptions {
            forbid_overwrite: true,
            ..WriteOptions::default()
        },
        ..PutObjectOptions::default()
    };
    let err = c
        .put_object("meta.txt", Body::from("x"), forbid.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FileAlreadyExists"), "{err}");
    assert_eq!(err.status(), Some(409));
    c.put_object("fresh.txt", Body::from("x"), forbid)
        .await
        .unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn file_and_stream_bodies_and_save_to_file() {
    let (dir, server) = start().await;
    let c = client(&server, SignatureVersion::V4, false);
    let data = payload(300_000, 7);
    let src = dir.path().join("upload.bin");
    std::fs::write(&src, &data).unwrap();

    c.put_object(
        "from-file",
        Body::from_file(&src),
        PutObjectOptions {
            content_md5: ContentMd5::Compute,
            ..PutObjectOptions::default()
        },
    )
    .await
    .unwrap();
    c.put_object(
        "from-range",
        Body::from_file_range(&src, 1000, 5000),
        PutObjectOptions::default(),
    )
    .await
    .unwrap();
    let chunks: Vec<std::io::Result<Bytes>> = data
        .chunks(10_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    c.put_object(
        "from-stream",
        Body::from_stream(futures::stream::iter(chunks), Some(data.len() as u64)),
        PutObjectOptions::default(),
    )
    .await
    .unwrap();

    let out = dir.path().join("out/downloaded.bin");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    for key in ["from-file", "from-stream"] {
        let got = c
            .get_object(key, GetObjectOptions::default())
            .await
            .unwrap();
        let n = got.body.save_to_file(&out).await.unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(std::fs::read(&out).unwrap(), data.to_vec(), "{key}");
    }
    let ranged = c
        .get_object("from-range", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(ranged.body.bytes().await.unwrap(), data.slice(1000..6000));
    // Only the downloaded file is left in the directory: no temporary files.
    let names: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("downloaded.bin")]);
    server.shutdown().await;
}

#[tokio::test]
async fn ranges_and_conditional_reads() {
    let (_dir, server) = start().await;
    let c = client(&server, SignatureVersion::V4, false);
    let data = payload(1000, 3);
    let put = c
        .put_object(
            "r.bin",
            Body::from(data.clone()),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    let etag = put.etag.unwrap();

    let range = |r| GetObjectOptions {
        range: Some(r),
        ..GetObjectOptions::default()
    };
    let got = c
        .get_object("r.bin", range(ByteRange::Inclusive(10, 19)))
        .await
        .unwrap();
    let cr = got.content_range.unwrap();
    assert_eq!((cr.first, cr.last, cr.total), (10, 19, Some(1000)));
    assert!(
        !got.body.is_crc_checked(),
        "ranged reads carry the whole-object CRC"
    );
    assert_eq!(got.body.bytes().await.unwrap(), data.slice(10..20));
    let got = c
        .get_object("r.bin", range(ByteRange::Suffix(5)))
        .await
        .unwrap();
    assert_eq!(got.body.bytes().await.unwrap(), data.slice(995..));
    // Standard range behaviour: an end past the size is clamped...
    let got = c
        .get_object("r.bin", range(ByteRange::Inclusive(990, 5000)))
        .await
        .unwrap();
    assert_eq!(got.body.bytes().await.unwrap(), data.slice(990..));
    // ...and a start past it is an error rather than the whole object.
    let err = c
        .get_object("r.bin", range(ByteRange::From(1000)))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(416), "{err}");

    let err = c
        .get_object(
            "r.bin",
            GetObjectOptions {
                if_none_match: Some(etag.clone()),
                ..GetObjectOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert!(err.is_not_modified(), "{err}");
    let err = c
        .get_object(
            "r.bin",
            GetObjectOptions {
                if_match: Some("\"0000\"".into()),
                ..GetObjectOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");
    let ok = c
        .get_object(
            "r.bin",
            GetObjectOptions {
                if_match: Some(etag),
                ..GetObjectOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ok.body.bytes().await.unwrap(), data);
    let future = chrono::Utc::now() + chrono::Duration::hours(1);
    let err = c
        .head_object(
            "r.bin",
            GetObjectOptions {
                if_modified_since: Some(future),
                ..GetObjectOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert!(err.is_not_modified(), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn copy_object_with_both_directives() {
    let (_dir, server) = start().await;
    let c = client(&server, SignatureVersion::V4, false);
    let mut metadata = BTreeMap::new();
    metadata.insert("color".to_string(), "blue".to_string());
    c.put_object(
        "src/源 file+1.txt",
        Body::from("copy me"),
        PutObjectOptions {
            write: WriteOptions {
                content_type: Some("text/plain".into()),
                metadata,
                ..WriteOptions::default()
            },
            ..PutObjectOptions::default()
        },
    )
    .await
    .unwrap();
    let copied = c
        .copy_object(
            "dst/copy#1",
            "src/源 file+1.txt",
            CopyObjectOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        copied.crc64,
        Some(jitstore_oss::crc64::checksum(b"copy me"))
    );
    let head = c
        .head_object("dst/copy#1", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(head.metadata.get("color").map(String::as_str), Some("blue"));
    assert_eq!(head.content_type.as_deref(), Some("text/plain"));
    assert_eq!(head.etag.as_deref(), Some(copied.etag.as_str()));

    let mut metadata = BTreeMap::new();
    metadata.insert("color".to_string(), "red".to_string());
    c.copy_object(
        "dst/replaced",
        "src/源 file+1.txt",
        CopyObjectOptions {
            metadata_directive: MetadataDirective::Replace,
            write: WriteOptions {
                content_type: Some("application/json".into()),
                metadata,
                ..WriteOptions::default()
            },
            ..CopyObjectOptions::default()
        },
    )
    .await
    .unwrap();
    let head = c
        .head_object("dst/replaced", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(head.metadata.get("color").map(String::as_str), Some("red"));
    assert_eq!(head.content_type.as_deref(), Some("application/json"));
    let err = c
        .copy_object("dst/x", "missing-source", CopyObjectOptions::default())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn append_object_positions_and_crc() {
    let (_dir, server) = start().await;
    let c = client(&server, SignatureVersion::V4, false);
    let first = c
        .append_object(
            "log+1.txt",
            0,
            Body::from("hello "),
            WriteOptions::default(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(first.next_position, 6);
    let second = c
        .append_object(
            "log+1.txt",
            6,
            Body::from("world"),
            WriteOptions::default(),
            first.crc64,
        )
        .await
        .unwrap();
    assert_eq!(second.next_position, 11);
    assert_eq!(
        second.crc64,
        Some(jitstore_oss::crc64::checksum(b"hello world"))
    );
    let err = c
        .append_object(
            "log+1.txt",
            3,
            Body::from("!"),
            WriteOptions::default(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PositionNotEqualToLength"), "{err}");
    assert_eq!(err.service().unwrap().next_append_position, Some(11));
    let head = c
        .head_object("log+1.txt", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(head.object_type.as_deref(), Some("Appendable"));
    assert_eq!(head.next_append_position, Some(11));
    server.shutdown().await;
}

#[tokio::test]
async fn delete_multiple_objects_chunks_past_1000_keys() {
    let (_dir, server) = start().await;
    let c = client(&server, SignatureVersion::V4, false);
    let mut keys: Vec<String> = (0..1003).map(|i| format!("bulk/{i:04} k+&<é>")).collect();
    for k in &keys {
        c.put_object(k, Body::from("x"), PutObjectOptions::default())
            .await
            .unwrap();
    }
    keys.push("bulk/never-existed".into());
    let out = c
        .delete_multiple_objects(keys.clone(), false)
        .await
        .unwrap();
    assert_eq!(out.request_ids.len(), 2, "1004 keys need two requests");
    let mut deleted: Vec<String> = out.deleted.into_iter().map(|d| d.key).collect();
    deleted.sort();
    keys.sort();
    assert_eq!(deleted, keys, "keys come back decoded");
    let left = c
        .list_objects_v2_page(
            &ListObjectsV2Options {
                prefix: Some("bulk/".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(left.contents.is_empty());

    c.put_object("q/1", Body::from("x"), PutObjectOptions::default())
        .await
        .unwrap();
    let quiet = c
        .delete_multiple_objects(["q/1", "q/2"], true)
        .await
        .unwrap();
    assert!(quiet.deleted.is_empty());
    assert!(c
        .head_object("q/1", GetObjectOptions::default())
        .await
        .unwrap_err()
        .is_not_found());
    assert!(c.delete_multiple_objects(["/bad"], true).await.is_err());
    server.shutdown().await;
}

#[tokio::test]
async fn list_objects_v2_pages_prefix_delimiter_start_after() {
    let (_dir, server) = start().await;
    let c = client(&server, SignatureVersion::V1, false);
    let keys = [
        "a/1", "a/2 two", "a/b/3", "a/b/4", "a/c+d/5", "a/中/6", "a/😀", "b/7", "top%",
    ];
    for k in keys {
        c.put_object(k, Body::from(k.to_string()), PutObjectOptions::default())
            .await
            .unwrap();
    }
    let pages: Vec<_> = c
        .list_objects_v2(ListObjectsV2Options {
            max_keys: Some(2),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 5);
    let listed: Vec<String> = pages
        .iter()
        .flat_map(|p| p.contents.iter().map(|o| o.key.clone()))
        .collect();
    let mut expected: Vec<&str> = keys.to_vec();
    expected.sort();
    assert_eq!(listed, expected);
    assert!(pages[..4].iter().all(|p| p.is_truncated) && !pages[4].is_truncated);

    let page = c
        .list_objects_v2_page(
            &ListObjectsV2Options {
                prefix: Some("a/".into()),
                delimiter: Some("/".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let files: Vec<&str> = page.contents.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(files, vec!["a/1", "a/2 two", "a/😀"]);
    assert_eq!(page.common_prefixes, vec!["a/b/", "a/c+d/", "a/中/"]);
    assert_eq!(page.contents[0].size, 3);

    let page = c
        .list_objects_v2_page(
            &ListObjectsV2Options {
                start_after: Some("a/c+d/5".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let after: Vec<&str> = page.contents.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(after, vec!["a/中/6", "a/😀", "b/7", "top%"]);
    let err = c
        .list_objects_v2_page(
            &ListObjectsV2Options {
                max_keys: Some(0),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        jitstore_oss::error::OssError::InvalidInput { .. }
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn multipart_upload_list_complete_abort() {
    let (_dir, server) = start().await;
    for (mode, c) in [
        ("v4", client(&server, SignatureVersion::V4, false)),
        ("v1-sts", client(&server, SignatureVersion::V1, true)),
    ] {
        let key = format!("{mode}/multi part+文件.bin");
        let init = c
            .initiate_multipart_upload(
                &key,
                WriteOptions {
                    content_type: Some("application/x-test".into()),
                    ..WriteOptions::default()
                },
            )
            .await
            .unwrap();
        let part1 = payload(150 * 1024, 1);
        let part2 = payload(10_000, 2);
        let p2 = c
            .upload_part(
                &key,
                &init.upload_id,
                2,
                Body::from(part2.clone()),
                ContentMd5::Compute,
            )
            .await
            .unwrap();
        let p1 = c
            .upload_part(
                &key,
                &init.upload_id,
                1,
                Body::from(part1.clone()),
                ContentMd5::None,
            )
            .await
            .unwrap();
        assert_eq!(p1.size, part1.len() as u64);
        assert_eq!(p1.crc64, Some(jitstore_oss::crc64::checksum(&part1)));

        let parts = c
            .list_parts(&key, &init.upload_id, None, None)
            .await
            .unwrap();
        assert_eq!(
            parts
                .parts
                .iter()
                .map(|p| p.part_number)
                .collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(parts.parts[0].etag, p1.etag);
        let paged = c
            .list_parts(&key, &init.upload_id, Some(1), None)
            .await
            .unwrap();
        assert!(paged.is_truncated);
        assert_eq!(paged.next_part_number_marker, Some(1));
        let rest = c
            .list_parts(&key, &init.upload_id, Some(1), Some(1))
            .await
            .unwrap();
        assert_eq!(rest.parts[0].part_number, 2);

        let uploads = c
            .list_multipart_uploads(ListMultipartUploadsOptions {
                prefix: Some(format!("{mode}/")),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(uploads.uploads.len(), 1);
        assert_eq!(uploads.uploads[0].key, key);
        assert_eq!(uploads.uploads[0].upload_id, init.upload_id);

        let expected = jitstore_oss::crc64::combine_all([
            (p1.crc64.unwrap(), p1.size),
            (p2.crc64.unwrap(), p2.size),
        ]);
        let done = c
            .complete_multipart_upload(
                &key,
                &init.upload_id,
                &[p2.completed(), p1.completed()],
                CompleteMultipartOptions {
                    expected_crc64: Some(expected),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(done.crc64, Some(expected));
        let got = c
            .get_object(&key, GetObjectOptions::default())
            .await
            .unwrap();
        assert_eq!(got.meta.object_type.as_deref(), Some("Multipart"));
        assert_eq!(got.meta.content_type.as_deref(), Some("application/x-test"));
        let mut whole = part1.to_vec();
        whole.extend_from_slice(&part2);
        assert_eq!(got.body.bytes().await.unwrap(), whole);

        let other = c
            .initiate_multipart_upload(&key, WriteOptions::default())
            .await
            .unwrap();
        c.upload_part(
            &key,
            &other.upload_id,
            1,
            Body::from("tiny"),
            ContentMd5::None,
        )
        .await
        .unwrap();
        c.abort_multipart_upload(&key, &other.upload_id)
            .await
            .unwrap();
        let err = c
            .abort_multipart_upload(&key, &other.upload_id)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("NoSuchUpload"), "{err}");
        assert!(c
            .upload_part(&key, &other.upload_id, 0, Body::from("x"), ContentMd5::None)
            .await
            .is_err());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn presigned_urls_v4_and_v1_work_with_a_plain_http_client() {
    let (_dir, server) = start().await;
    let plain = reqwest::Client::new();
    for (mode, c) in all_clients(&server) {
        let key = format!("{mode}/presigned key+#?%中😀.txt");
        // PUT with a signed Content-Type that the uploader must replay.
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("content-type", "text/plain".parse().unwrap());
        let put = c
            .presign(
                &key,
                PresignOptions {
                    method: reqwest::Method::PUT,
                    headers,
                    expires: Duration::from_secs(300),
                    ..PresignOptions::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(put.signed_headers.len(), 1);
        assert!(
            !format!("{put:?}").contains("Signature"),
            "Debug hides the signature"
        );
        let resp = plain
            .put(put.url.clone())
            .headers(put.signed_headers.clone())
            .body("via presigned PUT")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{mode}: {}", resp.text().await.unwrap());
        // Without the signed header the signature no longer matches.
        let resp = plain.put(put.url.clone()).body("x").send().await.unwrap();
        assert_eq!(resp.status(), 403, "{mode}");

        let get = c.presign(&key, PresignOptions::default()).await.unwrap();
        let resp = plain.get(get.url.clone()).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{mode}");
        assert_eq!(resp.text().await.unwrap(), "via presigned PUT");
        assert!(get.expires_at > chrono::Utc::now() + chrono::Duration::minutes(14));
    }
    // V4 with the host signed.
    let c = client(&server, SignatureVersion::V4, false);
    c.put_object("h.txt", Body::from("h"), PutObjectOptions::default())
        .await
        .unwrap();
    let get = c
        .presign(
            "h.txt",
            PresignOptions {
                additional_signed_headers: vec!["host".into()],
                ..PresignOptions::default()
            },
        )
        .await
        .unwrap();
    assert!(get
        .url
        .query()
        .unwrap()
        .contains("x-oss-additional-headers=host"));
    assert_eq!(plain.get(get.url).send().await.unwrap().status(), 200);
    // V4 refuses more than 7 days.
    assert!(c
        .presign(
            "h.txt",
            PresignOptions {
                expires: Duration::from_secs(8 * 24 * 3600),
                ..PresignOptions::default()
            }
        )
        .await
        .is_err());
    // An expired URL is refused by the server.
    let short = c
        .presign(
            "h.txt",
            PresignOptions {
                expires: Duration::from_secs(1),
                signature_version: Some(SignatureVersion::V1),
                ..PresignOptions::default()
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(plain.get(short.url).send().await.unwrap().status(), 403);
    server.shutdown().await;
}

#[tokio::test]
async fn public_url_of_a_public_read_bucket() {
    let (_dir, server) = start().await;
    let c = client_for(&server, PUBLIC_BUCKET, SignatureVersion::V4, false);
    c.put_object(
        "pub/hello world.txt",
        Body::from("public!"),
        PutObjectOptions::default(),
    )
    .await
    .unwrap();
    let url = c.public_url("pub/hello world.txt").unwrap();
    assert!(
        url.as_str()
            .ends_with("/public-bucket/pub/hello%20world.txt"),
        "{url}"
    );
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "public!");
    // The private bucket's public URL is refused without a signature.
    let private = client(&server, SignatureVersion::V4, false);
    private
        .put_object("p.txt", Body::from("x"), PutObjectOptions::default())
        .await
        .unwrap();
    let resp = reqwest::get(private.public_url("p.txt").unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_and_region_are_typed_service_errors() {
    let (_dir, server) = start().await;
    let bad = Client::builder()
        .endpoint(server.endpoint())
        .bucket(BUCKET)
        .region(server.region())
        .credentials(StaticProvider::from_keys(AK, "wrong-secret"))
        .build()
        .unwrap();
    let err = bad
        .put_object("k", Body::from("x"), PutObjectOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"), "{err}");
    assert!(err.request_id().is_some());
    let text = format!("{err} {err:?}");
    assert!(!text.contains("wrong-secret"), "{text}");
    assert!(!err.is_retryable());

    let wrong_region = Client::builder()
        .endpoint(server.endpoint())
        .bucket(BUCKET)
        .region("us-west-1")
        .credentials(StaticProvider::from_keys(AK, SK))
        .build()
        .unwrap();
    let err = wrong_region.get_object_meta("k", None).await.unwrap_err();
    assert!(matches!(err.status(), Some(400 | 403)), "{err}");
    assert!(!err.is_retryable());

    let sts_without_token = Client::builder()
        .endpoint(server.endpoint())
        .bucket(BUCKET)
        .region(server.region())
        .credentials(StaticProvider::from_keys(STS_AK, STS_SK))
        .build()
        .unwrap();
    let err = sts_without_token
        .put_object("k", Body::from("x"), PutObjectOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");

    let missing_bucket = client_for(&server, "no-such-bucket", SignatureVersion::V4, false);
    let err = missing_bucket
        .put_object("k", Body::from("x"), PutObjectOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchBucket"), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn response_overrides_async_read_and_non_ascii_metadata() {
    use tokio::io::AsyncReadExt;
    let (_dir, server) = start().await;
    for (mode, c) in all_clients(&server) {
        let mut metadata = BTreeMap::new();
        metadata.insert("city".to_string(), "杭州".to_string());
        c.put_object(
            "o.txt",
            Body::from("override me"),
            PutObjectOptions {
                write: WriteOptions {
                    metadata,
                    ..WriteOptions::default()
                },
                ..PutObjectOptions::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let head = c
            .head_object("o.txt", GetObjectOptions::default())
            .await
            .unwrap();
        assert_eq!(
            head.metadata.get("city").map(String::as_str),
            Some("杭州"),
            "{mode}"
        );

        let got = c
            .get_object(
                "o.txt",
                GetObjectOptions {
                    response_overrides: vec![
                        ("response-content-type".into(), "text/x-override".into()),
                        (
                            "response-content-disposition".into(),
                            "attachment; filename=\"o.txt\"".into(),
                        ),
                    ],
                    ..GetObjectOptions::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(
            got.meta.content_type.as_deref(),
            Some("text/x-override"),
            "{mode}"
        );
        assert_eq!(
            got.meta.headers.get("content-disposition").unwrap(),
            "attachment; filename=\"o.txt\""
        );
        let mut text = String::new();
        got.body
            .into_async_read()
            .read_to_string(&mut text)
            .await
            .unwrap();
        assert_eq!(text, "override me");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn sub_resource_calls_in_every_signature_mode() {
    // V1 signs sub-resources (append, position, delete, uploads, uploadId, partNumber,
    // continuation-token, response-*) in the canonical resource; exercise each in every mode.
    let (_dir, server) = start().await;
    for (mode, c) in all_clients(&server) {
        let p = |k: &str| format!("sub-{mode}/{k}");
        c.put_object(&p("src +1"), Body::from("abc"), PutObjectOptions::default())
            .await
            .unwrap();
        c.copy_object(&p("dst #1"), &p("src +1"), CopyObjectOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{mode} copy: {e}"));
        let a = c
            .append_object(
                &p("app"),
                0,
                Body::from("12"),
                WriteOptions::default(),
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{mode} append: {e}"));
        c.append_object(
            &p("app"),
            a.next_position,
            Body::from("3"),
            WriteOptions::default(),
            a.crc64,
        )
        .await
        .unwrap_or_else(|e| panic!("{mode} append 2: {e}"));
        let pages: Vec<_> = c
            .list_objects_v2(ListObjectsV2Options {
                prefix: Some(format!("sub-{mode}/")),
                max_keys: Some(1),
                ..Default::default()
            })
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{mode} list: {e}"));
        assert_eq!(pages.len(), 3, "{mode}");
        let init = c
            .initiate_multipart_upload(&p("mp"), WriteOptions::default())
            .await
            .unwrap();
        c.upload_part(
            &p("mp"),
            &init.upload_id,
            1,
            Body::from("x"),
            ContentMd5::None,
        )
        .await
        .unwrap_or_else(|e| panic!("{mode} part: {e}"));
        let uploads = c
            .list_multipart_uploads(ListMultipartUploadsOptions {
                prefix: Some(format!("sub-{mode}/")),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{mode} uploads: {e}"));
        assert_eq!(uploads.uploads.len(), 1, "{mode}");
        c.abort_multipart_upload(&p("mp"), &init.upload_id)
            .await
            .unwrap();
        let out = c
            .delete_multiple_objects([p("src +1"), p("dst #1"), p("app")], false)
            .await
            .unwrap_or_else(|e| panic!("{mode} delete: {e}"));
        assert_eq!(out.deleted.len(), 3, "{mode}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn stream_of_unknown_length_is_sent_chunked() {
    let (_dir, server) = start().await;
    let c = client(&server, SignatureVersion::V4, false);
    let chunks: Vec<std::io::Result<Bytes>> = (0..50)
        .map(|i| Ok(Bytes::from(vec![i as u8; 3000])))
        .collect();
    let put = c
        .put_object(
            "chunked",
            Body::from_stream(futures::stream::iter(chunks), None),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    let expected: Vec<u8> = (0..50u8).flat_map(|i| vec![i; 3000]).collect();
    assert_eq!(put.crc64, Some(jitstore_oss::crc64::checksum(&expected)));
    let got = c
        .get_object("chunked", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(got.body.bytes().await.unwrap(), expected);
    // A stream that fails half-way aborts the upload; nothing is stored.
    let failing = futures::stream::iter(vec![
        Ok(Bytes::from_static(b"partial")),
        Err(std::io::Error::other("source broke")),
    ]);
    let err = c
        .put_object(
            "broken",
            Body::from_stream(failing, None),
            PutObjectOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, jitstore_oss::error::OssError::Network { .. }),
        "{err:?}"
    );
    let err = c
        .head_object("broken", GetObjectOptions::default())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    server.shutdown().await;
}
