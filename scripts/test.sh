#!/usr/bin/env bash
# The project's test command (named in README.md and run by .ci/run):
#   1. every Rust test of the workspace (unit, integration, doc tests);
#   2. the interop suite: the official Python SDKs (oss2, alibabacloud-oss-v2, from PyPI)
#      against the local OSS server, checking the server and our signatures from the outside.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

echo "== cargo test --workspace"
cargo test --workspace

if [ -f tests/interop/requirements.txt ]; then
  echo "== interop: official Python SDKs against the local OSS server"
  venv="$repo/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  cargo build --quiet -p jitstore-oss-server --bin jitstore-oss-server
  target_dir="$(cargo metadata --format-version 1 --no-deps | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  export JITSTORE_OSS_SERVER_BIN="$target_dir/debug/jitstore-oss-server"
  "$venv/bin/python" -m pytest tests/interop -q -p no:cacheprovider
else
  echo "interop suite not present (tests/interop/requirements.txt missing)" >&2
  exit 1
fi
