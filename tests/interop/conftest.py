"""Starts the jitstore-oss-server binary for the interop suite.

The binary path comes from JITSTORE_OSS_SERVER_BIN (set by scripts/test.sh); when it is not set
the debug build under $CARGO_TARGET_DIR (or ./target) is used. The server gets a fresh data
directory, two buckets (one private, one public-read) and two credentials: a long-term key and
an STS key that must carry its security token.
"""

import json
import os
import re
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

import pytest

REGION = "cn-hangzhou"
AK = "interop-ak"
SK = "interop-sk-0123456789"
STS_AK = "STS.interop-ak"
STS_SK = "interop-sts-sk-9876543210"
STS_TOKEN = "interop-sts-token/with+special=chars"
BUCKET = "interop-bucket"
PUBLIC_BUCKET = "interop-public"


def _binary() -> str:
    explicit = os.environ.get("JITSTORE_OSS_SERVER_BIN")
    if explicit:
        return explicit
    repo = Path(__file__).resolve().parents[2]
    target = Path(os.environ.get("CARGO_TARGET_DIR", repo / "target"))
    return str(target / "debug" / "jitstore-oss-server")


class ServerInfo:
    def __init__(self, endpoint: str, data_dir: str):
        self.endpoint = endpoint
        self.host = endpoint.split("://", 1)[1]
        self.data_dir = data_dir
        self.region = REGION
        self.ak, self.sk = AK, SK
        self.sts_ak, self.sts_sk, self.sts_token = STS_AK, STS_SK, STS_TOKEN
        self.bucket = BUCKET
        self.public_bucket = PUBLIC_BUCKET


@pytest.fixture(scope="session")
def server():
    binary = _binary()
    if not os.path.exists(binary):
        raise RuntimeError(
            f"server binary {binary} not found: build it with "
            "`cargo build -p jitstore-oss-server --bin jitstore-oss-server` "
            "or set JITSTORE_OSS_SERVER_BIN"
        )
    with tempfile.TemporaryDirectory(prefix="jitstore-interop-") as tmp:
        config = {
            "data_dir": os.path.join(tmp, "data"),
            "addr": "127.0.0.1:0",
            "region": REGION,
            "buckets": [BUCKET],
            "public_read": [PUBLIC_BUCKET],
            "credentials": [
                {"access_key_id": AK, "access_key_secret": SK},
                {"access_key_id": STS_AK, "access_key_secret": STS_SK, "security_token": STS_TOKEN},
            ],
        }
        config_path = os.path.join(tmp, "server.json")
        with open(config_path, "w") as f:
            json.dump(config, f)
        proc = subprocess.Popen(
            [binary, "--config", config_path],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            endpoint = None
            first_lines = []
            for _ in range(20):
                line = proc.stdout.readline()
                if not line:
                    break
                first_lines.append(line)
                m = re.search(r"listening on (http://\S+)", line)
                if m:
                    endpoint = m.group(1)
                    break
            if endpoint is None:
                raise RuntimeError("server did not start:\n" + "".join(first_lines))
            # Keep draining output so the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            yield ServerInfo(endpoint, config["data_dir"])
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def prefix():
    """A unique key prefix per test, so tests sharing a bucket never see each other's keys."""
    return f"t-{uuid.uuid4().hex[:10]}/"
