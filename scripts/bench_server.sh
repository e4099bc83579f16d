#!/usr/bin/env bash
# Benchmark of the local OSS server (crates/oss-server), release build, V4-signed requests.
#
#   1. 4 KiB PUT+GET operations per second with 32 concurrent clients;
#   2. one big PUT and GET (default 1 GiB) in MB/s, next to curl on presigned URLs against
#      the same server;
#   3. the server's peak RSS (VmHWM) while 16 clients each upload 256 MiB.
#
# Sizes can be lowered on a busy machine: BIG_SIZE=256M MANY_SIZE=64M SMALL_SECONDS=5.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
BIG_SIZE="${BIG_SIZE:-1G}"
MANY_SIZE="${MANY_SIZE:-256M}"
MANY_CLIENTS="${MANY_CLIENTS:-16}"
SMALL_CLIENTS="${SMALL_CLIENTS:-32}"
SMALL_SECONDS="${SMALL_SECONDS:-10}"
AK=bench-ak
SK=bench-sk-secret
BUCKET=bench

cd "$REPO"
cargo build --release -q -p jitstore-oss-server --bin jitstore-oss-server --example oss_load
SERVER="$TARGET/release/jitstore-oss-server"
LOAD="$TARGET/release/examples/oss_load"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/jitstore-bench.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

start_server() {
    rm -rf "$WORK/data"
    "$SERVER" --data "$WORK/data" --addr 127.0.0.1:0 --bucket "$BUCKET" \
        --access-key-id "$AK" --access-key-secret "$SK" > "$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        ENDPOINT="$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$WORK/server.log" | head -n1)"
        [ -n "$ENDPOINT" ] && return 0
        sleep 0.1
    done
    echo "server did not start"; cat "$WORK/server.log"; exit 1
}

stop_server() {
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

peak_rss_mib() {
    awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"
}

echo "== machine: $(nproc) cores, $(uname -sr); shared, results are indicative"

start_server
echo "== 1. ${SMALL_CLIENTS} clients, 4 KiB PUT+GET for ${SMALL_SECONDS} s (target >= 3000 ops/s)"
"$LOAD" small "$ENDPOINT" "$BUCKET" "$AK" "$SK" "$SMALL_CLIENTS" 4096 "$SMALL_SECONDS"
stop_server

start_server
echo "== 2. one ${BIG_SIZE} object: our client vs curl (presigned V4 URLs), same server"
head -c "$(numfmt --from=iec "$BIG_SIZE")" /dev/urandom > "$WORK/big.bin"
"$LOAD" put "$ENDPOINT" "$BUCKET" "$AK" "$SK" big/ours "$WORK/big.bin"
"$LOAD" get "$ENDPOINT" "$BUCKET" "$AK" "$SK" big/ours
PUT_URL="$("$LOAD" presign "$ENDPOINT" "$BUCKET" "$AK" "$SK" PUT big/curl)"
GET_URL="$("$LOAD" presign "$ENDPOINT" "$BUCKET" "$AK" "$SK" GET big/curl)"
curl -sS -f -o /dev/null -T "$WORK/big.bin" -H 'Content-Type:' -w 'curl put: %{size_upload} B in %{time_total} s = %{speed_upload} B/s\n' "$PUT_URL"
curl -sS -f -o /dev/null -w 'curl get: %{size_download} B in %{time_total} s = %{speed_download} B/s\n' "$GET_URL"
rm -f "$WORK/big.bin"
echo "   server peak RSS so far: $(peak_rss_mib) MiB"
stop_server

start_server
echo "== 3. ${MANY_CLIENTS} clients each uploading ${MANY_SIZE} (target peak RSS < 128 MiB)"
echo "   server RSS before: $(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status") MiB"
"$LOAD" many "$ENDPOINT" "$BUCKET" "$AK" "$SK" "$MANY_CLIENTS" "$MANY_SIZE"
echo "   server peak RSS (VmHWM): $(peak_rss_mib) MiB"
stop_server
