"""alibabacloud-oss-v2: object ACLs (enforced for anonymous readers), object tagging, symlinks,
and the refusal of sub-resources the server does not implement (501, nothing changed)."""

import os

import alibabacloud_oss_v2 as oss
import pytest

from test_oss_v2_sdk import make_client, service_error


@pytest.fixture(params=["v1", "v4"])
def client(request, server):
    return make_client(server, request.param)


def anonymous_client(server):
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.AnonymousCredentialsProvider()
    cfg.region = server.region
    cfg.endpoint = server.endpoint
    cfg.use_path_style = True
    cfg.retry_max_attempts = 1
    return oss.Client(cfg)


def read(client, bucket, key):
    return client.get_object(oss.GetObjectRequest(bucket=bucket, key=key)).body.read()


def test_object_acl_is_stored_and_enforced(client, server, prefix):
    key = prefix + "acl.bin"
    client.put_object(oss.PutObjectRequest(bucket=server.bucket, key=key, body=b"acl body"))
    acl = client.get_object_acl(oss.GetObjectAclRequest(bucket=server.bucket, key=key))
    assert acl.acl == "default"
    client.put_object_acl(oss.PutObjectAclRequest(bucket=server.bucket, key=key, acl="public-read"))
    acl = client.get_object_acl(oss.GetObjectAclRequest(bucket=server.bucket, key=key))
    assert acl.acl == "public-read"
    assert read(client, server.bucket, key) == b"acl body"
    anon = anonymous_client(server)
    assert read(anon, server.bucket, key) == b"acl body"
    client.put_object(
        oss.PutObjectRequest(bucket=server.public_bucket, key=key, body=b"hidden", acl="private")
    )
    with pytest.raises(Exception) as e:
        read(anon, server.public_bucket, key)
    err = service_error(e)
    assert err.status_code == 403 and err.code == "AccessDenied"
    with pytest.raises(Exception) as e:
        client.put_object_acl(oss.PutObjectAclRequest(bucket=server.bucket, key=key, acl="world"))
    assert service_error(e).code == "InvalidArgument"
    with pytest.raises(Exception) as e:
        client.put_object_acl(
            oss.PutObjectAclRequest(bucket=server.bucket, key=prefix + "missing", acl="private")
        )
    assert service_error(e).status_code == 404


def test_object_tagging(client, server, prefix):
    key = prefix + "tags.bin"
    client.put_object(
        oss.PutObjectRequest(bucket=server.bucket, key=key, body=b"tagged", tagging="a=1&b=2")
    )
    head = client.head_object(oss.HeadObjectRequest(bucket=server.bucket, key=key))
    assert head.tagging_count == 2
    tagging = oss.Tagging(tag_set=oss.TagSet(tags=[oss.Tag(key="project", value="blue")]))
    client.put_object_tagging(
        oss.PutObjectTaggingRequest(bucket=server.bucket, key=key, tagging=tagging)
    )
    got = client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=server.bucket, key=key))
    assert [(t.key, t.value) for t in got.tag_set.tags] == [("project", "blue")]
    assert read(client, server.bucket, key) == b"tagged"
    client.delete_object_tagging(oss.DeleteObjectTaggingRequest(bucket=server.bucket, key=key))
    got = client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=server.bucket, key=key))
    assert not (got.tag_set.tags or [])
    assert read(client, server.bucket, key) == b"tagged"
    too_long = oss.Tagging(tag_set=oss.TagSet(tags=[oss.Tag(key="k", value="v" * 257)]))
    with pytest.raises(Exception) as e:
        client.put_object_tagging(
            oss.PutObjectTaggingRequest(bucket=server.bucket, key=key, tagging=too_long)
        )
    err = service_error(e)
    assert err.status_code == 400 and err.code == "InvalidTag"


def test_symlink(client, server, prefix):
    target = prefix + "dir/target.txt"
    link = prefix + "link"
    client.put_object(oss.PutObjectRequest(bucket=server.bucket, key=target, body=b"linked"))
    client.put_symlink(oss.PutSymlinkRequest(bucket=server.bucket, key=link, target=target))
    got = client.get_symlink(oss.GetSymlinkRequest(bucket=server.bucket, key=link))
    assert got.target == target
    assert read(client, server.bucket, link) == b"linked"
    head = client.head_object(oss.HeadObjectRequest(bucket=server.bucket, key=link))
    assert head.object_type == "Symlink"
    client.delete_object(oss.DeleteObjectRequest(bucket=server.bucket, key=target))
    with pytest.raises(Exception) as e:
        read(client, server.bucket, link)
    assert service_error(e).code == "NoSuchKey"


def test_unimplemented_sub_resources_are_refused(client, server, prefix):
    name = "interop-v2-empty-" + os.urandom(3).hex()
    client.put_bucket(oss.PutBucketRequest(bucket=name))
    try:
        for call in (
            lambda: client.delete_bucket_lifecycle(oss.DeleteBucketLifecycleRequest(bucket=name)),
            lambda: client.delete_bucket_cors(oss.DeleteBucketCorsRequest(bucket=name)),
        ):
            with pytest.raises(Exception) as e:
                call()
            err = service_error(e)
            assert err.status_code == 501 and err.code == "NotImplemented"
        info = client.get_bucket_info(oss.GetBucketInfoRequest(bucket=name))
        assert info.bucket_info.name == name
        key = prefix + "img.png"
        client.put_object(oss.PutObjectRequest(bucket=name, key=key, body=b"not an image"))
        # V4 here: this SDK's V1 signer leaves x-oss-process out of the string to sign, while
        # OSS (and the Go SDK, and this server) sign every x-oss-* query parameter.
        v4 = make_client(server, "v4")
        with pytest.raises(Exception) as e:
            v4.get_object(oss.GetObjectRequest(bucket=name, key=key, process="image/resize,w_10"))
        err = service_error(e)
        assert err.status_code == 501 and err.code == "NotImplemented"
        assert read(client, name, key) == b"not an image"
    finally:
        client.delete_object(oss.DeleteObjectRequest(bucket=name, key=prefix + "img.png"))
        client.delete_bucket(oss.DeleteBucketRequest(bucket=name))
