"""oss2: object ACLs (enforced for anonymous readers), object tagging, symlinks, and the
refusal of sub-resources the server does not implement (501, nothing changed)."""

import os

import oss2
import pytest
from oss2.models import Tagging, TaggingRule

from test_oss2_sdk import make_bucket


@pytest.fixture(params=["v1", "v4"])
def bucket(request, server):
    return make_bucket(server, request.param)


def anonymous(server, name):
    return oss2.Bucket(oss2.AnonymousAuth(), server.endpoint, name)


def test_object_acl_is_stored_and_enforced(bucket, server, prefix):
    key = prefix + "acl.txt"
    bucket.put_object(key, b"acl body")
    assert bucket.get_object_acl(key).acl == "default"
    # The reported data loss: put_object_acl replaced the object with an empty body.
    bucket.put_object_acl(key, oss2.OBJECT_ACL_PUBLIC_READ)
    assert bucket.get_object_acl(key).acl == "public-read"
    assert bucket.get_object(key).read() == b"acl body"
    # A public-read object in a private bucket is readable anonymously ...
    assert anonymous(server, server.bucket).get_object(key).read() == b"acl body"
    bucket.put_object_acl(key, oss2.OBJECT_ACL_DEFAULT)
    with pytest.raises(oss2.exceptions.AccessDenied):
        anonymous(server, server.bucket).get_object(key)
    # ... and a private object in a public-read bucket is not.
    public = make_bucket(server, "v4", bucket=server.public_bucket)
    public.put_object(key, b"hidden", headers={"x-oss-object-acl": oss2.OBJECT_ACL_PRIVATE})
    public.put_object(key + ".open", b"open")
    with pytest.raises(oss2.exceptions.AccessDenied):
        anonymous(server, server.public_bucket).get_object(key)
    assert anonymous(server, server.public_bucket).get_object(key + ".open").read() == b"open"
    # public-read-write objects may be overwritten anonymously.
    rw = prefix + "rw.txt"
    bucket.put_object(rw, b"v1", headers={"x-oss-object-acl": oss2.OBJECT_ACL_PUBLIC_READ_WRITE})
    anonymous(server, server.bucket).put_object(rw, b"v2")
    assert bucket.get_object(rw).read() == b"v2"
    with pytest.raises(oss2.exceptions.AccessDenied):
        anonymous(server, server.bucket).put_object(key, b"overwrite")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object_acl(key, "everyone")
    assert e.value.status == 400 and e.value.code == "InvalidArgument"
    assert bucket.get_object_acl(key).acl == "default"


def test_object_tagging(bucket, prefix):
    key = prefix + "tags.txt"
    bucket.put_object(key, b"tagged", headers={"x-oss-tagging": "a=1&b=two%20words"})
    assert bucket.get_object_tagging(key).tag_set.tagging_rule == {"a": "1", "b": "two words"}
    assert bucket.head_object(key).headers["x-oss-tagging-count"] == "2"
    rule = TaggingRule()
    rule.add("project", "blue")
    # The reported data loss: put_object_tagging replaced the object with the XML ...
    bucket.put_object_tagging(key, Tagging(rule))
    assert bucket.get_object_tagging(key).tag_set.tagging_rule == {"project": "blue"}
    assert bucket.get_object(key).read() == b"tagged"
    # ... and delete_object_tagging deleted the object.
    bucket.delete_object_tagging(key)
    assert bucket.get_object_tagging(key).tag_set.tagging_rule == {}
    assert bucket.get_object(key).read() == b"tagged"
    too_many = TaggingRule()
    for i in range(11):
        too_many.add(f"k{i}", "v")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object_tagging(key, Tagging(too_many))
    assert e.value.status == 400 and e.value.code == "InvalidTag"
    # oss2 checks key lengths itself for put_object_tagging; the header path reaches the server,
    # which refuses it before storing the body.
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.put_object(key, b"replaced", headers={"x-oss-tagging": "k" * 129 + "=v"})
    assert e.value.status == 400 and e.value.code == "InvalidTag"
    assert bucket.get_object_tagging(key).tag_set.tagging_rule == {}
    assert bucket.get_object(key).read() == b"tagged"


def test_symlink(bucket, prefix):
    target = prefix + "dir/target é+.txt"
    link = prefix + "link"
    bucket.put_object(target, b"through the link")
    bucket.put_symlink(target, link)
    assert bucket.get_symlink(link).target_key == target
    assert bucket.get_object(link).read() == b"through the link"
    head = bucket.head_object(link)
    assert head.object_type == "Symlink"
    assert head.content_length == len(b"through the link")
    with pytest.raises(oss2.exceptions.ServerError) as e:
        bucket.get_symlink(target)
    assert e.value.status == 400 and e.value.code == "NotSymlink"
    bucket.delete_object(target)
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object(link)
    assert bucket.get_symlink(link).target_key == target


def test_unimplemented_sub_resources_are_refused(server, prefix):
    auth = oss2.Auth(server.ak, server.sk)
    name = "interop-empty-" + os.urandom(3).hex()
    empty = oss2.Bucket(auth, server.endpoint, name)
    empty.create_bucket()
    try:
        # The reported data loss: these deleted the (empty) bucket.
        for call in (empty.delete_bucket_lifecycle, empty.delete_bucket_cors):
            with pytest.raises(oss2.exceptions.ServerError) as e:
                call()
            assert e.value.status == 501 and e.value.code == "NotImplemented"
        assert empty.get_bucket_info().name == name
        key = prefix + "img.png"
        empty.put_object(key, b"not an image")
        with pytest.raises(oss2.exceptions.ServerError) as e:
            empty.get_object(key, process="image/resize,w_10")
        assert e.value.status == 501
        with pytest.raises(oss2.exceptions.ServerError) as e:
            empty.restore_object(key)
        assert e.value.status == 501
        assert empty.get_object(key).read() == b"not an image"
        empty.delete_object(key)
    finally:
        empty.delete_bucket()
