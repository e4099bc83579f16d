"""Objects the jitstore CLI writes on each S3-family Type are read back by boto3, and objects
boto3 writes are read, listed, described and deleted by the CLI, bytes compared. The presigned
URLs of `jitstore sign` are fetched with plain curl."""

import os
import subprocess

import pytest


def payload(size: int) -> bytes:
    return os.urandom(size)


def body_of(s3, bucket, key) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.mark.parametrize(
    "name,size",
    [("small.bin", 1), ("unicode 文件 ü.txt", 4096), ("odd+=&;@ key.bin", 70_000)],
)
def test_put_is_read_by_boto3(cli, moto, element, prefix, tmp_path, name, size):
    elem, bucket = element
    data = payload(size)
    local = tmp_path / "in.bin"
    local.write_bytes(data)
    key = prefix + name
    cli.run("put", elem, str(local), key)
    assert body_of(moto.client(), bucket, key) == data


def test_put_from_stdin_is_read_by_boto3(cli, moto, element, prefix):
    elem, bucket = element
    data = payload(300_000)
    cli.run("put", elem, "-", prefix + "stdin.bin", input=data)
    assert body_of(moto.client(), bucket, prefix + "stdin.bin") == data


def test_a_multipart_put_is_read_by_boto3(cli, moto, prefix, tmp_path):
    # Above the 16 MiB default multipart threshold: the parts must join to the same bytes.
    data = payload(17 * 1024 * 1024 + 123)
    local = tmp_path / "big.bin"
    local.write_bytes(data)
    cli.run("put", "MyMinio", str(local), prefix + "big.bin")
    assert body_of(moto.client(), "interop-minio", prefix + "big.bin") == data


def test_boto3_objects_are_read_by_get(cli, moto, element, prefix, tmp_path):
    elem, bucket = element
    data = payload(200_001)
    key = prefix + "from boto3/ü+=&.bin"
    moto.client().put_object(Bucket=bucket, Key=key, Body=data)
    out = tmp_path / "out.bin"
    cli.run("get", elem, key, str(out))
    assert out.read_bytes() == data
    assert cli.run("get", elem, key, "-").stdout == data


def test_stat_describes_a_boto3_object(cli, moto, element, prefix):
    elem, bucket = element
    data = payload(1234)
    key = prefix + "stat.txt"
    put = moto.client().put_object(Bucket=bucket, Key=key, Body=data, ContentType="text/plain")
    info = cli.json("stat", elem, key)
    assert info["key"] == key
    assert info["size"] == len(data)
    assert info["etag"].strip('"') == put["ETag"].strip('"')
    assert info["content_type"] == "text/plain"


def test_stat_of_a_missing_object_is_not_found(cli, element, prefix):
    elem, _ = element
    proc = cli.run("--json", "stat", elem, prefix + "missing", check=False)
    assert proc.returncode != 0
    assert b'"not_found"' in proc.stderr, proc.stderr


def test_ls_lists_what_boto3_wrote(cli, moto, element, prefix):
    elem, bucket = element
    s3 = moto.client()
    keys = [prefix + k for k in ["a.txt", "b/c.txt", "b/d é.txt", "z+=&.txt"]]
    for i, key in enumerate(keys):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x" * (i + 1))
    s3.put_object(Bucket=bucket, Key="elsewhere-" + prefix, Body=b"not listed")
    listed = cli.json("ls", elem, prefix)
    assert [o["key"] for o in listed] == sorted(keys)
    assert [o["size"] for o in listed] == [keys.index(k) + 1 for k in sorted(keys)]


def test_rm_deletes_what_boto3_wrote(cli, moto, element, prefix):
    elem, bucket = element
    s3 = moto.client()
    key = prefix + "gone soon.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"bye")
    cli.run("rm", elem, key)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    assert listed.get("KeyCount", 0) == 0


def test_sign_urls_are_fetched_by_curl(cli, moto, element, prefix):
    elem, bucket = element
    data = payload(5000)
    key = prefix + "signed ü+=&.bin"
    moto.client().put_object(Bucket=bucket, Key=key, Body=data)
    url = cli.run("sign", elem, key, "--expires", "120").stdout.decode().splitlines()[0]
    assert url.startswith(moto.endpoint + "/"), url
    fetched = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", "--globoff", url],
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    assert fetched == data


def test_a_signed_put_url_uploads_with_curl(cli, moto, element, prefix, tmp_path):
    elem, bucket = element
    data = payload(3000)
    local = tmp_path / "up.bin"
    local.write_bytes(data)
    key = prefix + "put via url.bin"
    url = cli.run("sign", elem, key, "--method", "PUT").stdout.decode().splitlines()[0]
    subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", "--globoff", "-T", str(local), url],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert body_of(moto.client(), bucket, key) == data


def test_upload_lays_out_keys_by_mode_and_boto3_reads_them(cli, moto, prefix, tmp_path):
    # The Dify plugin's key layout on a MinioType element: a date-folder directory mode, then
    # the timestamp filename mode; boto3 reads the bytes back under exactly those keys.
    data = payload(300_000)
    local = tmp_path / "Q3 Report.PDF"
    local.write_bytes(data)
    at = ["--at", "2025-09-22T14:30:15.123Z", "--time-zone", "+08:00"]
    directory = prefix + "reports"

    hier = cli.json(
        "upload", "MyMinio", str(local), "--directory", directory,
        "--directory-mode", "yyyy_mm_dd_hierarchy", *at,
    )
    key = directory + "/2025/09/22/Q3 Report.pdf"
    assert hier["object_key"] == key
    assert hier["size"] == len(data)
    assert hier["content_type"] == "application/pdf"
    assert hier["url"].startswith(moto.endpoint + "/interop-minio/"), hier["url"]
    assert hier["url_signed"] is False
    s3 = moto.client()
    assert body_of(s3, "interop-minio", key) == data
    head = s3.head_object(Bucket="interop-minio", Key=key)
    assert head["ETag"].strip('"') == hier["etag"].strip('"')
    assert head["ContentType"] == "application/pdf"

    stamped = cli.json(
        "upload", "MyMinio", str(local), "--directory", directory,
        "--filename-mode", "filename_timestamp", *at,
    )
    key = directory + "/Q3 Report_20250922223015123.pdf"
    assert stamped["object_key"] == key
    assert body_of(s3, "interop-minio", key) == data


def test_upload_many_on_minio_is_read_by_boto3(cli, moto, prefix, tmp_path):
    files = {"a.txt": payload(10), "b é.bin": payload(70_000), "c.json": b'{"c": 1}'}
    paths = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    report = cli.json(
        "upload-many", "MyMinio", *paths, "--directory", prefix + "batch",
        "--directory-mode", "yyyy_mm_dd_combined", "--at", "2025-09-22T23:59:59Z",
    )
    assert report["status"] == "completed", report
    assert report["success_count"] == 3
    s3 = moto.client()
    for outcome, (name, data) in zip(report["files"], files.items()):
        key = f"{prefix}batch/20250922/{name}"
        assert outcome["result"]["object_key"] == key
        assert outcome["result"]["size"] == len(data)
        assert body_of(s3, "interop-minio", key) == data
