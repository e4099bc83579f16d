"""`jitstore sign --at` on S3-family elements equals botocore's presigned URL for the same
inputs, with botocore's clock frozen at the same instant: unicode keys, `+=&` in keys, a
session token, custom endpoints, path-style and virtual-hosted addressing, GET and PUT.
No network: both sides only sign."""

import datetime
import json
import tempfile
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import boto3
import botocore.config
import pytest

from conftest import Cli, write_element

AT = "2026-11-30T12:00:00Z"
FROZEN = datetime.datetime(2026, 11, 30, 12, 0, 0)
AK = "AKIDGOLDENEXAMPLE"
SK = "golden/secret+key=0123456789abcdef"
TOKEN = "FwoGZXIvYXdzEJr//////////wEaDH+token/with=chars&more"

# id -> (Type, config, botocore endpoint_url, region, addressing style, method, key, expires)
CASES = {
    "minio-path-unicode": (
        "storages.MinioType",
        {"endPoint": "minio.example.test:9000", "bucketName": "media"},
        "http://minio.example.test:9000",
        "us-east-1",
        "path",
        "GET",
        "dir/文件 ü.txt",
        300,
    ),
    "aws-virtual-plus-equals-amp": (
        "storages.AwsS3Type",
        {"endPoint": "s3.us-west-2.amazonaws.com", "bucketName": "media-west", "region": "us-west-2"},
        "https://s3.us-west-2.amazonaws.com",
        "us-west-2",
        "virtual",
        "GET",
        "a+b=c&d e;f@g~h.txt",
        600,
    ),
    "aws-virtual-session-token": (
        "storages.AwsS3Type",
        {
            "endPoint": "s3.amazonaws.com",
            "bucketName": "media",
            "region": "us-east-1",
            "securityToken": TOKEN,
        },
        "https://s3.amazonaws.com",
        "us-east-1",
        "virtual",
        "GET",
        "reports/2026/q4 ü+=&.pdf",
        900,
    ),
    "aws-path-session-token-put": (
        "storages.AwsS3Type",
        {
            "endPoint": "s3.eu-central-1.amazonaws.com",
            "bucketName": "media",
            "region": "eu-central-1",
            "securityToken": TOKEN,
            "addressingStyle": "path",
        },
        "https://s3.eu-central-1.amazonaws.com",
        "eu-central-1",
        "path",
        "PUT",
        "uploads/x+y=z&w.bin",
        3600,
    ),
    "r2-virtual-custom-endpoint": (
        "storages.CloudflareR2Type",
        {"endPoint": "0123abcd.r2.cloudflarestorage.com", "bucketName": "assets", "region": "auto"},
        "https://0123abcd.r2.cloudflarestorage.com",
        "auto",
        "virtual",
        "GET",
        "img/ü 1.png",
        300,
    ),
    "eos-path-custom-endpoint": (
        "storages.EosType",
        {
            "endPoint": "eos-beijing-1.cmecloud.cn",
            "bucketName": "docs",
            "addressingStyle": "path",
        },
        "https://eos-beijing-1.cmecloud.cn",
        "us-east-1",
        "path",
        "GET",
        "a/b/c+d.txt",
        300,
    ),
    "qiniu-default-endpoint": (
        "storages.QiniuType",
        {"bucketName": "kodo-bucket"},
        "http://s3.cn-south-1.qiniucs.com",
        "cn-south-1",
        "virtual",
        "GET",
        "文件/=&+.txt",
        300,
    ),
    "minio-https-ip-port": (
        "storages.MinioType",
        {"endPoint": "https://10.0.0.7:9443", "bucketName": "media"},
        "https://10.0.0.7:9443",
        "us-east-1",
        "path",
        "GET",
        "k",
        300,
    ),
}


def botocore_url(endpoint, region, style, method, bucket, key, expires, token):
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=AK,
        aws_secret_access_key=SK,
        aws_session_token=token,
        region_name=region,
        config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": style}),
    )
    operation = {"GET": "get_object", "PUT": "put_object"}[method]
    with mock.patch("botocore.auth.get_current_datetime", return_value=FROZEN):
        return client.generate_presigned_url(
            operation, Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
        )


def parts(url):
    split = urlsplit(url)
    return split.scheme, split.netloc, split.path, sorted(split.query.split("&"))


@pytest.fixture(scope="module")
def golden_app():
    with tempfile.TemporaryDirectory(prefix="jitstore-sign-golden-") as tmp:
        root = Path(tmp)
        for case, (type_name, config, *_rest) in CASES.items():
            name = "E" + "".join(w.capitalize() for w in case.split("-"))
            full = {"accessKeyId": AK, "accessKeySecret": SK, **config}
            write_element(root, name, type_name, full)
        yield root


@pytest.mark.parametrize("case", list(CASES))
def test_sign_at_equals_botocore(golden_app, case):
    type_name, config, endpoint, region, style, method, key, expires = CASES[case]
    name = "E" + "".join(w.capitalize() for w in case.split("-"))
    cli = Cli(golden_app)
    ours = cli.run(
        "sign", name, key, "--method", method, "--expires", str(expires), "--at", AT
    ).stdout.decode().splitlines()[0]
    theirs = botocore_url(
        endpoint, region, style, method, config["bucketName"], key, expires,
        config.get("securityToken"),
    )
    assert parts(ours) == parts(theirs), f"\nours:   {ours}\ntheirs: {theirs}"


def test_sign_json_carries_the_signing_time_and_expiry(golden_app):
    cli = Cli(golden_app)
    signed = json.loads(
        cli.run("--json", "sign", "EMinioPathUnicode", "k", "--at", AT, "--expires", "60").stdout
    )
    assert signed["signed_at"] == AT
    assert signed["expires_at"] == "2026-11-30T12:01:00Z"
    assert signed["method"] == "GET"
    assert "canonical_request" not in signed
    assert SK not in json.dumps(signed)


def test_explain_hides_the_session_token(golden_app):
    cli = Cli(golden_app)
    out = cli.run(
        "sign", "EAwsVirtualSessionToken", "k", "--at", AT, "--explain"
    ).stdout.decode()
    explained = out.split("\n", 1)[1]
    assert "AWS4-HMAC-SHA256" in explained
    assert "wEaDH" not in explained, explained
    assert SK not in out


def test_response_content_type_equals_botocore(golden_app):
    cli = Cli(golden_app)
    content_type = "text/plain; charset=utf-8"
    ours = cli.run(
        "sign", "EMinioPathUnicode", "dir/文件 ü.txt", "--content-type", content_type, "--at", AT
    ).stdout.decode().splitlines()[0]
    client = boto3.client(
        "s3",
        endpoint_url="http://minio.example.test:9000",
        aws_access_key_id=AK,
        aws_secret_access_key=SK,
        region_name="us-east-1",
        config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=FROZEN):
        theirs = client.generate_presigned_url(
            "get_object",
            Params={"Bucket": "media", "Key": "dir/文件 ü.txt", "ResponseContentType": content_type},
            ExpiresIn=300,
        )
    assert parts(ours) == parts(theirs), f"\nours:   {ours}\ntheirs: {theirs}"
