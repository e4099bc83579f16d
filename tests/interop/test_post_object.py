"""PostObject (browser form upload) with V1 and V4 policies, built the way the official SDK
samples do it (policy JSON -> base64 -> HMAC), sent with plain `requests`, and read back with oss2.
"""

import base64
import datetime
import hashlib
import hmac
import json

import oss2
import pytest
import requests


def policy_b64(conditions, expires_in=600):
    expiration = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    return base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()


def v1_fields(server, key, conditions, expires_in=600, secret=None):
    policy = policy_b64(conditions, expires_in)
    sig = base64.b64encode(hmac.new((secret or server.sk).encode(), policy.encode(), hashlib.sha1).digest()).decode()
    return {"key": key, "OSSAccessKeyId": server.ak, "policy": policy, "Signature": sig}


def v4_fields(server, key, conditions, sts=False, expires_in=600):
    ak, sk = (server.sts_ak, server.sts_sk) if sts else (server.ak, server.sk)
    now = datetime.datetime.now(datetime.timezone.utc)
    date_time = now.strftime("%Y%m%dT%H%M%SZ")
    date = date_time[:8]
    credential = f"{ak}/{date}/{server.region}/oss/aliyun_v4_request"
    conditions = conditions + [
        {"x-oss-signature-version": "OSS4-HMAC-SHA256"},
        {"x-oss-credential": credential},
        {"x-oss-date": date_time},
    ]
    if sts:
        conditions.append({"x-oss-security-token": server.sts_token})
    policy = policy_b64(conditions, expires_in)
    k = hmac.new(("aliyun_v4" + sk).encode(), date.encode(), hashlib.sha256).digest()
    for part in (server.region, "oss", "aliyun_v4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, policy.encode(), hashlib.sha256).hexdigest()
    fields = {
        "key": key,
        "policy": policy,
        "x-oss-signature-version": "OSS4-HMAC-SHA256",
        "x-oss-credential": credential,
        "x-oss-date": date_time,
        "x-oss-signature": sig,
    }
    if sts:
        fields["x-oss-security-token"] = server.sts_token
    return fields


def post(server, fields, content, filename="upload.txt"):
    # `file` must be the last field: requests puts `files` after `data`.
    url = f"{server.endpoint}/{server.bucket}"
    return requests.post(url, data=fields, files={"file": (filename, content, "text/plain")})


def reader(server):
    return oss2.Bucket(oss2.Auth(server.ak, server.sk), server.endpoint, server.bucket)


@pytest.mark.parametrize("kind", ["v1", "v4", "sts-v4"])
def test_post_object_uploads(server, prefix, kind):
    key = prefix + "posted/${filename}"
    conditions = [{"bucket": server.bucket}, ["starts-with", "$key", prefix], ["content-length-range", 1, 1 << 20]]
    if kind == "v1":
        fields = v1_fields(server, key, conditions)
    else:
        fields = v4_fields(server, key, conditions, sts=kind == "sts-v4")
    fields["success_action_status"] = "201"
    fields["x-oss-meta-origin"] = "form"
    content = b"posted content \r\n--not-a-boundary\r\n" * 1000
    r = post(server, fields, content, filename="hello.txt")
    assert r.status_code == 201, r.text
    assert "<PostResponse>" in r.text and "hello.txt" in r.text
    got = reader(server).get_object(prefix + "posted/hello.txt")
    assert got.read() == content
    assert got.headers["x-oss-meta-origin"] == "form"
    assert r.headers["ETag"] == '"%s"' % hashlib.md5(content).hexdigest().upper()


def test_post_object_bad_signature(server, prefix):
    fields = v1_fields(server, prefix + "bad", [{"bucket": server.bucket}], secret="wrong")
    r = post(server, fields, b"x")
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    with pytest.raises(oss2.exceptions.NoSuchKey):
        reader(server).get_object(prefix + "bad")


def test_post_object_policy_conditions(server, prefix):
    fields = v4_fields(server, prefix + "big", [["content-length-range", 1, 10]])
    r = post(server, fields, b"more than ten bytes")
    assert r.status_code == 400 and "<Code>EntityTooLarge</Code>" in r.text
    fields = v4_fields(server, "elsewhere/key", [["starts-with", "$key", prefix]])
    r = post(server, fields, b"x")
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    fields = v1_fields(server, prefix + "expired", [{"bucket": server.bucket}], expires_in=-60)
    r = post(server, fields, b"x")
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    with pytest.raises(oss2.exceptions.NoSuchKey):
        reader(server).get_object(prefix + "big")


def test_post_object_without_signature_is_refused(server, prefix):
    r = post(server, {"key": prefix + "anon"}, b"x")
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
