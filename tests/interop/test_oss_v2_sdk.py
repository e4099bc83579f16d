"""The `alibabacloud-oss-v2` SDK (V1 and V4 signatures, long-term and STS keys) against the
local server.

The endpoint is `http://127.0.0.1:PORT`; the SDK switches to path-style addressing by itself
for IP endpoints (we also set `use_path_style`, which is what a user of a host name would do).
"""

import datetime
import hashlib
import os
import time

import alibabacloud_oss_v2 as oss
import pytest
import requests

# STS is exercised with V4 (the SDK's default). The SDK's V1 signer sends the STS token in a
# header named `security-token`, outside the signed `x-oss-*` headers (an SDK quirk noted in
# the protocol spec), which this server, like the spec, does not accept as a token.
AUTHS = [("v1", False), ("v4", False), ("v4", True)]


def make_client(server, version="v4", sts=False, secret=None, region=None, retries=1):
    if sts:
        provider = oss.credentials.StaticCredentialsProvider(server.sts_ak, server.sts_sk, server.sts_token)
    else:
        provider = oss.credentials.StaticCredentialsProvider(server.ak, secret or server.sk)
    cfg = oss.config.load_default()
    cfg.credentials_provider = provider
    cfg.region = region or server.region
    cfg.endpoint = server.endpoint
    cfg.use_path_style = True
    cfg.signature_version = version
    cfg.retry_max_attempts = retries
    return oss.Client(cfg)


def service_error(exc_info):
    err = exc_info.value
    while not isinstance(err, oss.exceptions.ServiceError):
        inner = err.unwrap() if hasattr(err, "unwrap") else None
        assert inner is not None, f"not a service error: {exc_info.value!r}"
        err = inner
    return err


@pytest.fixture(params=AUTHS, ids=lambda p: ("sts-" if p[1] else "") + p[0])
def client(request, server):
    version, sts = request.param
    return make_client(server, version, sts)


def test_put_get_head_meta(client, server, prefix):
    key = prefix + "dir/héllo wörld+plus.txt"
    body = os.urandom(5000)
    put = client.put_object(
        oss.PutObjectRequest(
            bucket=server.bucket, key=key, body=body, content_type="text/plain", metadata={"owner": "bob"}
        )
    )
    assert put.status_code == 200
    assert put.etag == '"%s"' % hashlib.md5(body).hexdigest().upper()
    assert put.hash_crc64 is not None
    got = client.get_object(oss.GetObjectRequest(bucket=server.bucket, key=key))
    assert got.body.read() == body
    assert got.content_type == "text/plain"
    assert got.metadata == {"owner": "bob"}
    assert got.hash_crc64 == put.hash_crc64
    head = client.head_object(oss.HeadObjectRequest(bucket=server.bucket, key=key))
    assert head.content_length == len(body)
    assert head.object_type == "Normal"
    meta = client.get_object_meta(oss.GetObjectMetaRequest(bucket=server.bucket, key=key))
    assert meta.content_length == len(body) and meta.etag == put.etag
    assert client.is_object_exist(server.bucket, key)
    assert not client.is_object_exist(server.bucket, prefix + "missing")
    client.delete_object(oss.DeleteObjectRequest(bucket=server.bucket, key=key))
    with pytest.raises(oss.exceptions.OperationError) as e:
        client.head_object(oss.HeadObjectRequest(bucket=server.bucket, key=key))
    err = service_error(e)
    assert err.status_code == 404 and err.code == "NoSuchKey"


def test_ranges(client, server, prefix):
    key = prefix + "range.bin"
    data = os.urandom(10000)
    client.put_object(oss.PutObjectRequest(bucket=server.bucket, key=key, body=data))
    r = client.get_object(oss.GetObjectRequest(bucket=server.bucket, key=key, range_header="bytes=100-199"))
    assert r.status_code == 206 and r.body.read() == data[100:200]
    assert r.content_range == "bytes 100-199/10000"
    r = client.get_object(oss.GetObjectRequest(bucket=server.bucket, key=key, range_header="bytes=-10"))
    assert r.body.read() == data[-10:]
    r = client.get_object(
        oss.GetObjectRequest(bucket=server.bucket, key=key, range_header="bytes=9990-20000", range_behavior="standard")
    )
    assert r.status_code == 206 and r.body.read() == data[9990:]
    with pytest.raises(oss.exceptions.OperationError) as e:
        client.get_object(
            oss.GetObjectRequest(bucket=server.bucket, key=key, range_header="bytes=20000-", range_behavior="standard")
        )
    assert service_error(e).status_code == 416


def test_list_v1_v2_paginators(client, server, prefix):
    keys = [prefix + k for k in ["x/1", "x/2", "y/1", "z", "中文/键", "sp ace", "pl+us"]]
    for k in keys:
        client.put_object(oss.PutObjectRequest(bucket=server.bucket, key=k, body=b"."))
    seen = []
    for page in client.list_objects_v2_paginator(limit=2).iter_page(
        oss.ListObjectsV2Request(bucket=server.bucket, prefix=prefix)
    ):
        assert len(page.contents or []) <= 2
        seen.extend(o.key for o in page.contents or [])
    assert seen == sorted(keys, key=lambda k: k.encode())
    seen_v1 = []
    for page in client.list_objects_paginator(limit=3).iter_page(oss.ListObjectsRequest(bucket=server.bucket, prefix=prefix)):
        seen_v1.extend(o.key for o in page.contents or [])
    assert seen_v1 == seen
    page = client.list_objects_v2(oss.ListObjectsV2Request(bucket=server.bucket, prefix=prefix, delimiter="/"))
    assert [p.prefix for p in page.common_prefixes] == [prefix + "x/", prefix + "y/", prefix + "中文/"]
    assert sorted(o.key for o in page.contents) == sorted([prefix + "z", prefix + "sp ace", prefix + "pl+us"])


def test_copy_append_batch_delete(client, server, prefix):
    src = prefix + "src"
    client.put_object(oss.PutObjectRequest(bucket=server.bucket, key=src, body=b"source", metadata={"a": "1"}))
    client.copy_object(
        oss.CopyObjectRequest(bucket=server.bucket, key=prefix + "dst", source_bucket=server.bucket, source_key=src)
    )
    dst = client.get_object(oss.GetObjectRequest(bucket=server.bucket, key=prefix + "dst"))
    assert dst.body.read() == b"source" and dst.metadata == {"a": "1"}
    client.copy_object(
        oss.CopyObjectRequest(
            bucket=server.bucket,
            key=prefix + "dst2",
            source_bucket=server.bucket,
            source_key=src,
            metadata_directive="REPLACE",
            metadata={"b": "2"},
        )
    )
    assert client.head_object(oss.HeadObjectRequest(bucket=server.bucket, key=prefix + "dst2")).metadata == {"b": "2"}

    a1 = client.append_object(oss.AppendObjectRequest(bucket=server.bucket, key=prefix + "log", position=0, body=b"abc"))
    assert a1.next_position == 3
    a2 = client.append_object(oss.AppendObjectRequest(bucket=server.bucket, key=prefix + "log", position=3, body=b"def"))
    assert a2.next_position == 6
    with pytest.raises(oss.exceptions.OperationError) as e:
        client.append_object(oss.AppendObjectRequest(bucket=server.bucket, key=prefix + "log", position=1, body=b"x"))
    err = service_error(e)
    assert err.status_code == 409 and err.code == "PositionNotEqualToLength"
    assert client.get_object(oss.GetObjectRequest(bucket=server.bucket, key=prefix + "log")).body.read() == b"abcdef"

    keys = [src, prefix + "dst", prefix + "dst2", prefix + "log"]
    result = client.delete_multiple_objects(
        oss.DeleteMultipleObjectsRequest(bucket=server.bucket, objects=[oss.DeleteObject(key=k) for k in keys])
    )
    assert sorted(d.key for d in result.deleted_objects) == sorted(keys)
    quiet = client.delete_multiple_objects(
        oss.DeleteMultipleObjectsRequest(bucket=server.bucket, objects=[oss.DeleteObject(key=src)], quiet=True)
    )
    assert not quiet.deleted_objects
    listed = client.list_objects_v2(oss.ListObjectsV2Request(bucket=server.bucket, prefix=prefix))
    assert not listed.contents


def test_uploader_multipart(client, server, prefix, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 777)
    path = tmp_path / "up.bin"
    path.write_bytes(data)
    uploader = client.uploader(part_size=512 * 1024, parallel_num=3)
    result = uploader.upload_file(oss.PutObjectRequest(bucket=server.bucket, key=prefix + "up.bin"), filepath=str(path))
    assert result.etag.endswith('-7"')
    got = client.get_object(oss.GetObjectRequest(bucket=server.bucket, key=prefix + "up.bin"))
    assert got.body.read() == data
    assert got.object_type == "Multipart"


def test_presigned_get_put(client, server, prefix):
    key = prefix + "pre signed/ü.txt"
    put = client.presign(oss.PutObjectRequest(bucket=server.bucket, key=key, content_type="text/plain"))
    r = requests.put(put.url, data=b"presigned body", headers=put.signed_headers)
    assert r.status_code == 200, r.text
    get = client.presign(oss.GetObjectRequest(bucket=server.bucket, key=key))
    r = requests.get(get.url)
    assert r.status_code == 200 and r.content == b"presigned body"
    # Tampering with the signed URL (another key) breaks the signature.
    tampered = get.url.replace("pre%20signed", "pre%20signer")
    assert tampered != get.url
    r = requests.get(tampered)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_expired_presign(server, version, prefix):
    c = make_client(server, version)
    key = prefix + "exp"
    c.put_object(oss.PutObjectRequest(bucket=server.bucket, key=key, body=b"e"))
    url = c.presign(oss.GetObjectRequest(bucket=server.bucket, key=key), expires=datetime.timedelta(seconds=2)).url
    time.sleep(3.2)
    r = requests.get(url)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_wrong_secret(server, version, prefix):
    c = make_client(server, version, secret="wrong-secret")
    with pytest.raises(oss.exceptions.OperationError) as e:
        c.put_object(oss.PutObjectRequest(bucket=server.bucket, key=prefix + "x", body=b"x"))
    err = service_error(e)
    assert err.status_code == 403 and err.code == "SignatureDoesNotMatch"


def test_wrong_region(server, prefix):
    c = make_client(server, "v4", region="cn-shanghai")
    with pytest.raises(oss.exceptions.OperationError) as e:
        c.put_object(oss.PutObjectRequest(bucket=server.bucket, key=prefix + "x", body=b"x"))
    err = service_error(e)
    assert err.status_code == 400 and err.code == "InvalidArgument"


def test_skewed_clock_v4(server, prefix, monkeypatch):
    import alibabacloud_oss_v2.signer.v4 as v4

    real = datetime.datetime

    class Skewed(real):
        @classmethod
        def now(cls, tz=None):
            return real.now(tz) - datetime.timedelta(minutes=20)

    real_module = datetime

    class FakeDatetimeModule:
        datetime = Skewed
        timezone = real_module.timezone
        timedelta = real_module.timedelta

    monkeypatch.setattr(v4, "datetime", FakeDatetimeModule)
    c = make_client(server, "v4")
    with pytest.raises(oss.exceptions.OperationError) as e:
        c.put_object(oss.PutObjectRequest(bucket=server.bucket, key=prefix + "x", body=b"x"))
    err = service_error(e)
    assert err.status_code == 403 and err.code == "RequestTimeTooSkewed"


def test_bucket_info_and_location(client, server):
    info = client.get_bucket_info(oss.GetBucketInfoRequest(bucket=server.bucket))
    assert info.bucket_info.name == server.bucket
    loc = client.get_bucket_location(oss.GetBucketLocationRequest(bucket=server.bucket))
    assert loc.location == "oss-" + server.region
    names = []
    for page in client.list_buckets_paginator().iter_page(oss.ListBucketsRequest()):
        names.extend(b.name for b in page.buckets)
    assert server.bucket in names
