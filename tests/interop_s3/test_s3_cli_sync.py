"""`jitstore sync-up`/`sync-down` on each S3-family Type against moto: a directory the CLI
uploads is read by boto3 file by file, a prefix boto3 wrote is downloaded by the CLI, bytes
compared; a hostile key written by boto3 never lands outside the target directory."""

import json
import os


def tree(root):
    return {
        os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
        for d, _, files in os.walk(root)
        for f in files
    }


def test_sync_up_directory_is_read_by_boto3(cli, moto, element, prefix, tmp_path):
    elem, bucket = element
    src = tmp_path / "src"
    files = {
        "a.txt": b"alpha",
        "sub/b.bin": os.urandom(150_000),
        "sub/deep/ü c+=&.txt": b"unicode and +=&",
    }
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    report = cli.json("sync-up", elem, str(src), prefix)
    assert report["status"] == "completed", report
    assert report["success_count"] == len(files)
    assert report["bytes"] == sum(len(d) for d in files.values())
    s3 = moto.client()
    for rel, data in files.items():
        assert s3.get_object(Bucket=bucket, Key=prefix + rel)["Body"].read() == data, rel


def test_sync_up_one_file_to_a_key(cli, moto, element, prefix, tmp_path):
    elem, bucket = element
    local = tmp_path / "one.bin"
    data = os.urandom(70_000)
    local.write_bytes(data)
    cli.run("sync-up", elem, str(local), prefix + "named.bin")
    assert moto.client().get_object(Bucket=bucket, Key=prefix + "named.bin")["Body"].read() == data


def test_sync_down_prefix_written_by_boto3(cli, moto, element, prefix, tmp_path):
    elem, bucket = element
    s3 = moto.client()
    files = {"x.txt": b"x", "d/y.bin": os.urandom(200_000), "d/e/ü z+=&.txt": b"z"}
    for rel, data in files.items():
        s3.put_object(Bucket=bucket, Key=prefix + rel, Body=data)
    out = tmp_path / "out"
    report = cli.json("sync-down", elem, prefix, str(out))
    assert report["status"] == "completed", report
    assert tree(out) == set(files)
    for rel, data in files.items():
        assert (out / rel).read_bytes() == data, rel


def test_sync_down_one_object_to_stdout(cli, moto, element, prefix):
    elem, bucket = element
    data = os.urandom(90_000)
    moto.client().put_object(Bucket=bucket, Key=prefix + "o.bin", Body=data)
    assert cli.run("sync-down", elem, prefix + "o.bin", "-").stdout == data


def test_sync_down_of_a_listing_with_a_hostile_key_writes_nothing_outside(
    cli, moto, prefix, tmp_path
):
    # A key with a `..` segment must never become a path outside the target directory. (Today
    # the S3 family's listing fails as a whole on such a key, naming it; OssType and DiskType
    # refuse just that key and download the rest.)
    s3 = moto.client()
    s3.put_object(Bucket="interop-minio", Key=prefix + "ok.txt", Body=b"fine")
    s3.put_object(Bucket="interop-minio", Key=prefix + "../escape.txt", Body=b"evil")
    out = tmp_path / "nest" / "out"
    proc = cli.run("sync-down", "MyMinio", prefix, str(out), check=False)
    assert proc.returncode != 0
    assert (prefix + "../escape.txt").encode() in proc.stdout + proc.stderr, proc.stderr
    assert not (tmp_path / "nest" / "escape.txt").exists()
    assert all(p.startswith("nest/out/") for p in tree(tmp_path)), tree(tmp_path)
    s3.delete_object(Bucket="interop-minio", Key=prefix + "../escape.txt")
