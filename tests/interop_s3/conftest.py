"""Starts moto's S3 server and writes an app folder for the S3 interop suite.

moto_server comes from JITSTORE_MOTO_SERVER (set by scripts/test.sh) or the workspace venv
(.venv/bin/moto_server); the jitstore binary from JITSTORE_BIN or the debug build under
$CARGO_TARGET_DIR (or ./target). The server listens on a free 127.0.0.1 port; the app holds one
element of each S3-family Type, each pointed at moto with its own bucket.
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import botocore.config
import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
AK = "interop-s3-ak"
SK = "interop-s3-secret-0123456789"
REGION = "us-east-1"

# Element name -> (Type, bucket, extra config fields).
ELEMENTS = {
    "MyAwsS3": ("storages.AwsS3Type", "interop-awss3", {"region": REGION, "scheme": "http"}),
    "MyR2": ("storages.CloudflareR2Type", "interop-r2", {"region": "auto", "scheme": "http"}),
    "MyMinio": ("storages.MinioType", "interop-minio", {}),
    "MyEos": ("storages.EosType", "interop-eos", {"scheme": "http"}),
    "MyQiniu": ("storages.QiniuType", "interop-qiniu", {"scheme": "http"}),
}


def moto_binary() -> str:
    explicit = os.environ.get("JITSTORE_MOTO_SERVER")
    if explicit:
        return explicit
    return str(REPO / ".venv" / "bin" / "moto_server")


def jitstore_binary() -> str:
    explicit = os.environ.get("JITSTORE_BIN")
    if explicit:
        return explicit
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return str(target / "debug" / "jitstore")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    def __init__(self, port: int):
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"

    def client(self, token=None):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=AK,
            aws_secret_access_key=SK,
            aws_session_token=token,
            region_name=REGION,
            config=botocore.config.Config(s3={"addressing_style": "path"}),
        )


@pytest.fixture(scope="session")
def moto():
    binary = moto_binary()
    if not os.path.exists(binary):
        raise RuntimeError(
            f"moto_server not found at {binary}: install moto[server] from "
            "tests/interop_s3/requirements.txt into .venv or set JITSTORE_MOTO_SERVER"
        )
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{port}/", timeout=10)
                    break
                except requests.RequestException:  # not listening yet, or slow to answer
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError("moto_server did not start:\n" + log.read().decode())
                    time.sleep(0.1)
            server = Moto(port)
            s3 = server.client()
            for _, bucket, _ in ELEMENTS.values():
                s3.create_bucket(Bucket=bucket)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def write_element(root: Path, name: str, type_name: str, config: dict):
    folder = root / "storages" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "e.json").write_text(
        json.dumps({"title": name, "type": type_name, "backendBundleEntry": "."})
    )
    (folder / f"{name}.json").write_text(json.dumps(config))


@pytest.fixture(scope="session")
def app(moto):
    """An app folder with one element of each S3-family Type, all pointed at moto."""
    with tempfile.TemporaryDirectory(prefix="jitstore-interop-s3-") as tmp:
        root = Path(tmp)
        for name, (type_name, bucket, extra) in ELEMENTS.items():
            config = {
                "accessKeyId": AK,
                "accessKeySecret": SK,
                "endPoint": f"127.0.0.1:{moto.port}",
                "bucketName": bucket,
                **extra,
            }
            write_element(root, name, type_name, config)
        yield root


class Cli:
    """Runs the jitstore binary on one app folder."""

    def __init__(self, app: Path):
        self.app = app

    def run(self, *args, input=None, check=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
        env.pop("RUST_LOG", None)
        proc = subprocess.run(
            [jitstore_binary(), "--app", str(self.app), "-q", *args],
            input=input,
            capture_output=True,
            env=env,
            timeout=300,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"jitstore {' '.join(args)} exited {proc.returncode}:\n"
                + proc.stdout.decode(errors="replace")
                + proc.stderr.decode(errors="replace")
            )
        return proc

    def json(self, *args):
        return json.loads(self.run("--json", *args).stdout)


@pytest.fixture(scope="session")
def cli(app):
    return Cli(app)


@pytest.fixture(params=list(ELEMENTS), ids=list(ELEMENTS))
def element(request):
    """Each S3-family element in turn: (element name, its bucket)."""
    name = request.param
    return name, ELEMENTS[name][1]


@pytest.fixture
def prefix():
    """A unique key prefix per test."""
    return f"t-{uuid.uuid4().hex[:10]}/"
