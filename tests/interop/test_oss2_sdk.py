"""The `oss2` SDK (V1 and V4 signatures, long-term and STS keys) against the local server."""

import hashlib
import datetime
import os
import time

import oss2
import pytest
import requests

AUTHS = ["v1", "v4", "sts-v1", "sts-v4"]


def make_auth(server, kind):
    if kind == "v1":
        return oss2.Auth(server.ak, server.sk)
    if kind == "v4":
        return oss2.AuthV4(server.ak, server.sk)
    if kind == "sts-v1":
        return oss2.StsAuth(server.sts_ak, server.sts_sk, server.sts_token)
    if kind == "sts-v4":
        return oss2.StsAuth(server.sts_ak, server.sts_sk, server.sts_token, auth_version=oss2.AUTH_VERSION_4)
    raise ValueError(kind)


def make_bucket(server, kind, bucket=None, region=None, secret=None):
    auth = make_auth(server, kind) if secret is None else oss2.Auth(server.ak, secret)
    if secret is not None and kind == "v4":
        auth = oss2.AuthV4(server.ak, secret)
    return oss2.Bucket(auth, server.endpoint, bucket or server.bucket, region=region or server.region)


@pytest.fixture(params=AUTHS)
def bucket(request, server):
    return make_bucket(server, request.param)


def test_put_get_head_meta(bucket, prefix):
    key = prefix + "dir/hello world+plus.txt"
    body = b"hello, oss2! " * 100
    result = bucket.put_object(
        key, body, headers={"Content-Type": "text/plain", "x-oss-meta-Author": "alice", "Cache-Control": "no-cache"}
    )
    assert result.status == 200
    assert result.etag == hashlib.md5(body).hexdigest().upper()
    crc = oss2.utils.Crc64(0)
    crc.update(body)
    assert result.crc == crc.crc
    got = bucket.get_object(key)
    assert got.read() == body
    assert got.headers["Content-Type"] == "text/plain"
    assert got.headers["x-oss-meta-author"] == "alice"
    assert got.headers["Cache-Control"] == "no-cache"
    head = bucket.head_object(key)
    assert head.content_length == len(body)
    assert head.etag == result.etag
    assert head.object_type == "Normal"
    meta = bucket.get_object_meta(key)
    assert meta.content_length == len(body)
    assert meta.etag == result.etag
    assert bucket.object_exists(key)
    assert not bucket.object_exists(prefix + "missing")
    bucket.delete_object(key)
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object(key)
    with pytest.raises(oss2.exceptions.NotFound) as e:
        bucket.head_object(key)
    assert e.value.status == 404


def test_ranges_and_conditionals(bucket, prefix):
    key = prefix + "range.bin"
    data = bytes(range(256)) * 40
    bucket.put_object(key, data)
    assert bucket.get_object(key, byte_range=(10, 19)).read() == data[10:20]
    assert bucket.get_object(key, byte_range=(None, 16)).read() == data[-16:]
    assert bucket.get_object(key, byte_range=(100, None)).read() == data[100:]
    # Out-of-range end: OSS ignores the range by default and returns the whole object.
    whole = bucket.get_object(key, byte_range=(0, len(data) + 100))
    assert whole.status == 200 and whole.read() == data
    # With x-oss-range-behavior: standard the end is clamped, a start past the end is a 416.
    std = {"x-oss-range-behavior": "standard"}
    clamped = bucket.get_object(key, byte_range=(len(data) - 5, len(data) + 100), headers=std)
    assert clamped.status == 206 and clamped.read() == data[-5:]
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.get_object(key, byte_range=(len(data) + 1, len(data) + 5), headers=std)
    assert e.value.status == 416 and e.value.code == "InvalidRange"
    etag = bucket.head_object(key).etag
    with pytest.raises(oss2.exceptions.PreconditionFailed):
        bucket.get_object(key, headers={"If-Match": '"00000000000000000000000000000000"'})
    with pytest.raises(oss2.exceptions.NotModified):
        bucket.get_object(key, headers={"If-None-Match": '"%s"' % etag})
    overridden = bucket.get_object(key, params={"response-content-type": "image/png"})
    assert overridden.headers["Content-Type"] == "image/png"


def test_list_v1_and_v2_pagination_and_delimiter(bucket, prefix):
    keys = [prefix + k for k in ["a/1", "a/2", "b/1", "c", "d", "e e", "f+f"]]
    for k in keys:
        bucket.put_object(k, b"x")
    listed = [o.key for o in oss2.ObjectIterator(bucket, prefix=prefix, max_keys=2)]
    assert listed == sorted(keys)
    listed2 = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix=prefix, max_keys=2)]
    assert listed2 == sorted(keys)
    top = list(oss2.ObjectIterator(bucket, prefix=prefix, delimiter="/", max_keys=1))
    assert [o.key for o in top] == [prefix + "a/", prefix + "b/", prefix + "c", prefix + "d", prefix + "e e", prefix + "f+f"]
    assert [o.is_prefix() for o in top] == [True, True, False, False, False, False]
    top2 = list(oss2.ObjectIteratorV2(bucket, prefix=prefix, delimiter="/", max_keys=1))
    assert [o.key for o in top2] == [o.key for o in top]
    page = bucket.list_objects_v2(prefix=prefix, max_keys=3, start_after=prefix + "b/1")
    assert [o.key for o in page.object_list] == [prefix + "c", prefix + "d", prefix + "e e"]
    assert page.is_truncated


def test_copy_with_metadata_directives(bucket, prefix):
    src = prefix + "src.txt"
    bucket.put_object(src, b"copy me", headers={"Content-Type": "text/plain", "x-oss-meta-k": "v"})
    bucket.copy_object(bucket.bucket_name, src, prefix + "copy.txt")
    copied = bucket.get_object(prefix + "copy.txt")
    assert copied.read() == b"copy me"
    assert copied.headers["x-oss-meta-k"] == "v"
    bucket.copy_object(
        bucket.bucket_name,
        src,
        prefix + "replaced.txt",
        headers={"x-oss-metadata-directive": "REPLACE", "Content-Type": "application/json", "x-oss-meta-n": "2"},
    )
    replaced = bucket.head_object(prefix + "replaced.txt")
    assert replaced.content_type == "application/json"
    assert replaced.headers.get("x-oss-meta-n") == "2"
    assert "x-oss-meta-k" not in replaced.headers
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.copy_object(bucket.bucket_name, prefix + "nope", prefix + "x")


def test_append_positions(bucket, prefix):
    key = prefix + "append.log"
    r1 = bucket.append_object(key, 0, b"hello ")
    assert r1.next_position == 6
    r2 = bucket.append_object(key, r1.next_position, b"world")
    assert r2.next_position == 11
    assert bucket.get_object(key).read() == b"hello world"
    assert bucket.head_object(key).object_type == "Appendable"
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as e:
        bucket.append_object(key, 3, b"x")
    assert e.value.next_position == 11
    bucket.put_object(prefix + "normal", b"n")
    with pytest.raises(oss2.exceptions.ObjectNotAppendable):
        bucket.append_object(prefix + "normal", 1, b"x")


def test_batch_delete(bucket, prefix):
    keys = [prefix + "del/%d" % i for i in range(5)] + [prefix + "del/sp ace&amp<x>"]
    for k in keys:
        bucket.put_object(k, b"d")
    result = bucket.batch_delete_objects(keys + [prefix + "never-existed"])
    assert sorted(result.deleted_keys) == sorted(keys + [prefix + "never-existed"])
    assert list(oss2.ObjectIterator(bucket, prefix=prefix + "del/")) == []


def test_batch_delete_and_list_keep_blanks_at_key_ends(bucket, prefix):
    """Blanks at either end of a key are data: deleting ` k` must not delete `k`."""
    plain = prefix + "ws/k"
    spaced = [" " + plain, plain + " ", plain + "\t"]
    for k in [plain] + spaced:
        bucket.put_object(k, k.encode())
    listed = [o.key for o in oss2.ObjectIterator(bucket, prefix=prefix + "ws/")]
    assert listed == sorted([plain, plain + " ", plain + "\t"])
    assert [o.key for o in oss2.ObjectIterator(bucket, prefix=" " + prefix)] == [" " + plain]
    result = bucket.batch_delete_objects(spaced)
    assert sorted(result.deleted_keys) == sorted(spaced)
    assert bucket.get_object(plain).read() == plain.encode()
    assert [k for k in spaced if bucket.object_exists(k)] == []
    assert [o.key for o in oss2.ObjectIterator(bucket, prefix=prefix + "ws/")] == [plain]


def test_resumable_upload_multithreaded(bucket, prefix, tmp_path):
    data = os.urandom(1024 * 1024 + 12345)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    key = prefix + "multi/big.bin"
    oss2.resumable_upload(
        bucket,
        key,
        str(path),
        store=oss2.ResumableStore(root=str(tmp_path)),
        multipart_threshold=200 * 1024,
        part_size=100 * 1024,
        num_threads=4,
    )
    head = bucket.head_object(key)
    assert head.object_type == "Multipart"
    assert head.content_length == len(data)
    assert head.etag.endswith("-11")
    assert bucket.get_object(key).read() == data
    # Multipart failure modes.
    upload_id = bucket.init_multipart_upload(prefix + "multi/bad").upload_id
    p1 = bucket.upload_part(prefix + "multi/bad", upload_id, 1, b"small")
    p2 = bucket.upload_part(prefix + "multi/bad", upload_id, 2, b"tail")
    listed = bucket.list_parts(prefix + "multi/bad", upload_id)
    assert [p.part_number for p in listed.parts] == [1, 2]
    assert any(u.upload_id == upload_id for u in oss2.MultipartUploadIterator(bucket, prefix=prefix))
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.complete_multipart_upload(
            prefix + "multi/bad", upload_id, [oss2.models.PartInfo(1, p1.etag), oss2.models.PartInfo(2, p2.etag)]
        )
    assert e.value.code == "EntityTooSmall"
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.complete_multipart_upload(prefix + "multi/bad", upload_id, [oss2.models.PartInfo(1, '"' + "0" * 32 + '"')])
    assert e.value.code == "InvalidPart"
    # (oss2 sorts the part list itself, so InvalidPartOrder is covered by the Rust raw-HTTP tests.)
    bucket.abort_multipart_upload(prefix + "multi/bad", upload_id)
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        bucket.list_parts(prefix + "multi/bad", upload_id)


def test_presigned_get_and_put_over_plain_http(bucket, prefix):
    key = prefix + "presigned/ob j+1.txt"
    put_url = bucket.sign_url("PUT", key, 300, headers={"Content-Type": "text/plain"})
    r = requests.put(put_url, data=b"via presigned put", headers={"Content-Type": "text/plain"})
    assert r.status_code == 200, r.text
    get_url = bucket.sign_url("GET", key, 300)
    r = requests.get(get_url)
    assert r.status_code == 200 and r.content == b"via presigned put"
    # A tampered URL (another key) no longer matches.
    tampered = get_url.replace("ob%20j", "ob%20k")
    r = requests.get(tampered)
    assert r.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in r.text
    assert "<StringToSign>" in r.text


@pytest.mark.parametrize("kind", ["v1", "v4"])
def test_expired_presigned_url(server, kind, prefix):
    bucket = make_bucket(server, kind)
    key = prefix + "expiring"
    bucket.put_object(key, b"x")
    url = bucket.sign_url("GET", key, 1)
    time.sleep(2.2)
    r = requests.get(url)
    assert r.status_code == 403
    assert "<Code>AccessDenied</Code>" in r.text
    assert "expired" in r.text


@pytest.mark.parametrize("kind", ["v1", "v4"])
def test_wrong_secret_is_signature_mismatch(server, kind, prefix):
    bad = make_bucket(server, kind, secret="not-the-secret")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bad.put_object(prefix + "x", b"x")
    assert e.value.status == 403 and e.value.code == "SignatureDoesNotMatch"


def test_unknown_access_key(server, prefix):
    bucket = oss2.Bucket(oss2.Auth("no-such-ak", "sk"), server.endpoint, server.bucket)
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object(prefix + "x", b"x")
    assert e.value.status == 403 and e.value.code == "InvalidAccessKeyId"


def test_wrong_region_v4(server, prefix):
    bucket = make_bucket(server, "v4", region="cn-beijing")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object(prefix + "x", b"x")
    assert e.value.status in (400, 403)
    assert e.value.code in ("InvalidArgument", "SignatureDoesNotMatch")


def test_sts_token_is_required(server, prefix):
    # The STS key without its token is refused.
    bucket = oss2.Bucket(oss2.Auth(server.sts_ak, server.sts_sk), server.endpoint, server.bucket)
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object(prefix + "x", b"x")
    assert e.value.status == 403


def test_skewed_clock_v1(server, prefix, monkeypatch):
    bucket = make_bucket(server, "v1")
    skewed = lambda *a, **k: oss2.utils.formatdate(time.time() - 3600, usegmt=True)  # noqa: E731
    monkeypatch.setattr(oss2.utils, "http_date", skewed)
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object(prefix + "x", b"x")
    assert e.value.status == 403 and e.value.code == "RequestTimeTooSkewed"


def test_skewed_clock_v4(server, prefix, monkeypatch):
    bucket = make_bucket(server, "v4")

    class Skewed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(hours=1)

    monkeypatch.setattr(oss2.auth, "datetime", Skewed)
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object(prefix + "x", b"x")
    assert e.value.status == 403 and e.value.code == "RequestTimeTooSkewed"


def test_anonymous_access_only_reads_public_buckets(server, prefix):
    owner = make_bucket(server, "v1", bucket=server.public_bucket)
    owner.put_object(prefix + "pub.txt", b"public data")
    anon = oss2.Bucket(oss2.AnonymousAuth(), server.endpoint, server.public_bucket)
    assert anon.get_object(prefix + "pub.txt").read() == b"public data"
    with pytest.raises(oss2.exceptions.AccessDenied):
        anon.put_object(prefix + "pub2.txt", b"nope")
    private_anon = oss2.Bucket(oss2.AnonymousAuth(), server.endpoint, server.bucket)
    with pytest.raises(oss2.exceptions.AccessDenied):
        private_anon.get_object(prefix + "pub.txt")


def test_forbid_overwrite(bucket, prefix):
    key = prefix + "once"
    bucket.put_object(key, b"1", headers={"x-oss-forbid-overwrite": "true"})
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object(key, b"2", headers={"x-oss-forbid-overwrite": "true"})
    assert e.value.status == 409 and e.value.code == "FileAlreadyExists"
    assert bucket.get_object(key).read() == b"1"


def test_bucket_lifecycle_and_info(server):
    service = oss2.Service(oss2.Auth(server.ak, server.sk), server.endpoint)
    name = "interop-tmp-" + os.urandom(3).hex()
    b = oss2.Bucket(oss2.Auth(server.ak, server.sk), server.endpoint, name)
    b.create_bucket()
    assert name in [x.name for x in oss2.BucketIterator(service)]
    info = b.get_bucket_info()
    assert info.name == name
    assert b.get_bucket_location().location == "oss-" + server.region
    b.put_object("k", b"v")
    with pytest.raises(oss2.exceptions.BucketNotEmpty):
        b.delete_bucket()
    b.delete_object("k")
    b.delete_bucket()
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        b.get_object("k")
