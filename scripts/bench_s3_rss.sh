#!/usr/bin/env bash
# S3-family memory benchmark: a SIZE_MIB put and get of a storages.MinioType element against
# moto, with the client's peak RSS; boto3 (upload_file/download_file) is the peer in the same run.
#
#   scripts/bench_s3_rss.sh [SIZE_MIB] [ROUNDS]      (defaults 256 and 3)
#
# Starts moto_server on a free 127.0.0.1 port, writes an app with one MinioType element and a
# SIZE_MIB file of random bytes, then for each round runs, alternating:
#   jitstore put, boto3 put, jitstore get, boto3 get
# each as its own process under /usr/bin/time -v, checks the downloaded bytes (cmp), and prints
# per-round figures and the medians: peak RSS (MiB) and wall time (s). Target: jitstore's peak
# RSS <= 64 MiB for put and get. moto is slow, so the times are not a throughput figure.
# Needs: /usr/bin/time, python3 with moto[server] and boto3 (VENV, default ./.venv; scripts/test.sh
# installs them). PROFILE=debug uses the debug build (default: release); JITSTORE_BIN=path uses
# that binary as built.
set -euo pipefail

SIZE_MIB="${1:-256}"
ROUNDS="${2:-3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
MOTO="${JITSTORE_MOTO_SERVER:-$VENV/bin/moto_server}"
PROFILE="${PROFILE:-release}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/jitstore-s3-rss.XXXXXX")"
MOTO_PID=""
cleanup() {
  if [[ -n "$MOTO_PID" ]]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

[[ -x "$MOTO" ]] || { echo "moto_server not found at $MOTO (pip install -r tests/interop_s3/requirements.txt)" >&2; exit 1; }
"$PY" -c 'import boto3' 2>/dev/null || { echo "boto3 not found in $VENV" >&2; exit 1; }

if [[ -n "${JITSTORE_BIN:-}" ]]; then
  BIN="$JITSTORE_BIN"
  PROFILE="given ($BIN)"
else
  echo "building jitstore ($PROFILE)..." >&2
  if [[ "$PROFILE" == release ]]; then
    (cd "$ROOT" && cargo build --quiet --release --bin jitstore)
  else
    (cd "$ROOT" && cargo build --quiet --bin jitstore)
  fi
  TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  BIN="$TARGET_DIR/$PROFILE/jitstore"
fi

PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$MOTO" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
ENDPOINT="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=bench-ak AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1
"$PY" - "$ENDPOINT" <<'PY'
import sys, time, boto3
endpoint = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=endpoint)
for _ in range(300):
    try:
        s3.create_bucket(Bucket="bench")
        break
    except Exception:
        time.sleep(0.1)
else:
    sys.exit("moto did not start")
PY

mkdir -p "$WORK/app/storages/Bench"
echo '{"title": "Bench", "type": "storages.MinioType", "backendBundleEntry": "."}' >"$WORK/app/storages/Bench/e.json"
printf '{"accessKeyId": "bench-ak", "accessKeySecret": "bench-secret", "endPoint": "127.0.0.1:%s", "bucketName": "bench"}\n' "$PORT" >"$WORK/app/storages/Bench/Bench.json"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/src.bin"

cat >"$WORK/boto3_client.py" <<'PY'
import sys, boto3
from boto3.s3.transfer import TransferConfig
op, endpoint, key, path = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint)
config = TransferConfig()  # boto3's defaults: 8 MiB parts, 10 threads
if op == "put":
    s3.upload_file(path, "bench", key, Config=config)
else:
    s3.download_file("bench", key, path, Config=config)
PY

# measure LABEL COMMAND...: appends "LABEL rss_kib seconds" to results.
measure() {
  local label="$1"; shift
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" || {
    echo "$label failed:" >&2; cat "$WORK/stderr.txt" "$WORK/time.txt" >&2; exit 1; }
  local rss wall
  rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")"
  wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')"
  echo "$label $rss $wall" >>"$WORK/results"
  printf '%-14s rss %7.1f MiB  %6.1f s\n' "$label" "$(echo "$rss/1024" | bc -l)" "$wall" >&2
}

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  measure jitstore-put "$BIN" --app "$WORK/app" -q put Bench "$WORK/src.bin" "big-$round.bin"
  measure boto3-put "$PY" "$WORK/boto3_client.py" put "$ENDPOINT" "boto-$round.bin" "$WORK/src.bin"
  rm -f "$WORK/out.bin"
  measure jitstore-get "$BIN" --app "$WORK/app" -q get Bench "big-$round.bin" "$WORK/out.bin"
  cmp "$WORK/src.bin" "$WORK/out.bin" || { echo "jitstore get: bytes differ" >&2; exit 1; }
  rm -f "$WORK/out.bin"
  measure boto3-get "$PY" "$WORK/boto3_client.py" get "$ENDPOINT" "boto-$round.bin" "$WORK/out.bin"
  cmp "$WORK/src.bin" "$WORK/out.bin" || { echo "boto3 get: bytes differ" >&2; exit 1; }
  rm -f "$WORK/out.bin"
done

echo
echo "$SIZE_MIB MiB, $ROUNDS rounds, moto on 127.0.0.1, jitstore $PROFILE build; medians:"
"$PY" - "$WORK/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, rss, wall = line.split()
    rows.setdefault(label, []).append((int(rss) / 1024, float(wall)))
print(f"{'client':<14} {'peak RSS MiB':>13} {'wall s':>8}")
for label in ["jitstore-put", "boto3-put", "jitstore-get", "boto3-get"]:
    got = rows.get(label, [])
    rss = statistics.median(r for r, _ in got)
    wall = statistics.median(w for _, w in got)
    print(f"{label:<14} {rss:>13.1f} {wall:>8.1f}")
PY
