#!/usr/bin/env bash
# Peer benchmark: jitstore (library and CLI), OpenDAL's OSS service, curl on presigned URLs and
# the official Python SDK oss2, against one local `jitstore serve`, alternating rounds.
#
#   scripts/bench_peer.sh [peer-bench run flags]     e.g. --size-mib 1024 --rounds 9
#
# Builds the jitstore binary (release) and the standalone bench crate bench/peer (its own
# workspace: OpenDAL is never built by the root workspace's tests), makes a venv with oss2
# from PyPI in bench/peer/.venv on first use, then runs `peer-bench run`, which prints the
# Markdown table (flags: bench/peer/src/orchestrate.rs, or `peer-bench` without arguments).
# Defaults: 512 MiB file on /dev/shm, 5 rounds, 8 MiB parts x 4 — a few minutes on 2 cores.
# Needs: cargo, curl, python3 (with venv).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench/peer"
VENV="${VENV:-$BENCH/.venv}"

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import oss2' 2>/dev/null; then
  echo "creating $VENV with oss2 from PyPI..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet oss2
fi

echo "building jitstore (release)..." >&2
(cd "$ROOT" && cargo build --release --bin jitstore)
echo "building the peer bench (release, own workspace)..." >&2
(cd "$BENCH" && cargo build --release)

exec "$BENCH/target/release/jitstore-peer-bench" run \
  --jitstore "${CARGO_TARGET_DIR:-$ROOT/target}/release/jitstore" \
  --python "$VENV/bin/python" "$@"
