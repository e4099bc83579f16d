#!/usr/bin/env bash
# The project's test command (named in README.md and run by .ci/run):
#   1. a Python venv (.venv) with the interop packages from PyPI: the official OSS SDKs, and
#      moto's S3 server plus boto3 for the S3-family Types. It comes first because the Rust
#      tests of the S3 family start `moto_server` (found through JITSTORE_MOTO_SERVER);
#   2. every Rust test of the workspace (unit, integration, doc tests);
#   3. the OSS interop suite: the official Python SDKs (oss2, alibabacloud-oss-v2) against the
#      local OSS server, checking the server and our signatures from the outside;
#   4. the S3 interop suite: the `jitstore` CLI on the five S3-family Types against moto,
#      checked with boto3/botocore and curl.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

for requirements in tests/interop/requirements.txt tests/interop_s3/requirements.txt; do
  if [ ! -f "$requirements" ]; then
    echo "interop suite not present ($requirements missing)" >&2
    exit 1
  fi
done

echo "== python venv: interop packages from PyPI"
venv="$repo/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r tests/interop/requirements.txt -r tests/interop_s3/requirements.txt
export JITSTORE_MOTO_SERVER="$venv/bin/moto_server"
if [ ! -x "$JITSTORE_MOTO_SERVER" ]; then
  echo "moto_server not found at $JITSTORE_MOTO_SERVER after installing moto[server]" >&2
  exit 1
fi

echo "== cargo test --workspace"
cargo test --workspace

target_dir="$(cargo metadata --format-version 1 --no-deps | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

echo "== interop: official Python SDKs against the local OSS server"
cargo build --quiet -p jitstore-oss-server --bin jitstore-oss-server
export JITSTORE_OSS_SERVER_BIN="$target_dir/debug/jitstore-oss-server"
"$venv/bin/python" -m pytest tests/interop -q -p no:cacheprovider

echo "== interop: jitstore CLI on the S3-family Types against moto, checked with boto3"
cargo build --quiet --bin jitstore
export JITSTORE_BIN="$target_dir/debug/jitstore"
"$venv/bin/python" -m pytest tests/interop_s3 -q -p no:cacheprovider
