#!/usr/bin/env bash
# Benchmark of the local OSS server (crates/oss-server), release build, V4-signed requests.
#
#   1. 4 KiB PUT+GET operations per second with 32 concurrent clients;
#   2. one big PUT and GET (default 1 GiB) in MB/s, next to curl on presigned URLs against
#      the same server;
#   3. the server's peak RSS (VmHWM) while 16 clients each upload 256 MiB.
#
# Sizes can be lowered on a busy machine: BIG_SIZE=256M MANY_SIZE=64M SMALL_SECONDS=5.
#
# `scripts/bench_server.sh ingest` runs only the ingest comparison instead: one INGEST_SIZE file
# (default 1 GiB) uploaded by a single PUT and by a multipart upload with 4 parts in flight,
# each round alternating with `md5sum` of the same file (the floor real OSS pays for an ETag),
# with the server's data directory on tmpfs (/dev/shm) and on disk; ROUNDS rounds (default 3),
# medians and ratios printed. Then the 4 KiB PUT+GET figure (SMALL_SECONDS).
# The server binary is jitstore-oss-server: the same serve code (`cli::run_serve`) as
# `jitstore serve`. With BASE_SERVER=/path/to/an/older/jitstore-oss-server, the 4 KiB rounds
# alternate between that binary and this one (same run, medians of ROUNDS).
set -euo pipefail
MODE="${1:-all}"

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
    DATA="${1:-$WORK/data}"
    rm -rf "$DATA"
    "${2:-$SERVER}" --data "$DATA" --addr 127.0.0.1:0 --bucket "$BUCKET" \
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

echo "== machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg); shared, results are indicative"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f", b / 1e6 / s}'; }

if [ "$MODE" = "ingest" ]; then
    INGEST_SIZE="${INGEST_SIZE:-1G}"
    ROUNDS="${ROUNDS:-3}"
    PART_SIZE="${PART_SIZE:-64M}"
    SRC="/dev/shm/jitstore-bench-src.$$"
    SHM_DATA="/dev/shm/jitstore-bench-data.$$"
    trap 'rm -rf "$SRC" "$SHM_DATA"; cleanup' EXIT
    BYTES="$(numfmt --from=iec "$INGEST_SIZE")"
    head -c "$BYTES" /dev/urandom > "$SRC"
    echo "== ingest of one ${INGEST_SIZE} file (source on tmpfs), ${ROUNDS} alternating rounds: md5sum | single PUT | multipart (${PART_SIZE} parts, 4 in flight)"
    for where in tmpfs disk; do
        if [ "$where" = tmpfs ]; then data="$SHM_DATA"; else data="$WORK/data"; fi
        : > "$WORK/md5.txt"; : > "$WORK/put.txt"; : > "$WORK/mp.txt"
        start_server "$data"
        for round in $(seq 1 "$ROUNDS"); do
            t0=$(now); md5sum "$SRC" > /dev/null; t1=$(now)
            md5=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
            t0=$(now); "$LOAD" put "$ENDPOINT" "$BUCKET" "$AK" "$SK" ingest/single "$SRC" > /dev/null; t1=$(now)
            put=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
            t0=$(now); "$LOAD" putmp "$ENDPOINT" "$BUCKET" "$AK" "$SK" ingest/multi "$SRC" 4 "$PART_SIZE" > /dev/null; t1=$(now)
            mp=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
            echo "   $where round $round: md5sum $(rate "$BYTES" "$md5") MB/s, PUT $(rate "$BYTES" "$put") MB/s, multipart $(rate "$BYTES" "$mp") MB/s"
            rate "$BYTES" "$md5" >> "$WORK/md5.txt"; echo >> "$WORK/md5.txt"
            rate "$BYTES" "$put" >> "$WORK/put.txt"; echo >> "$WORK/put.txt"
            rate "$BYTES" "$mp" >> "$WORK/mp.txt"; echo >> "$WORK/mp.txt"
        done
        stop_server
        rm -rf "$data"
        m=$(grep . "$WORK/md5.txt" | median); p=$(grep . "$WORK/put.txt" | median); q=$(grep . "$WORK/mp.txt" | median)
        echo "   $where medians: md5sum $m MB/s | single PUT $p MB/s ($(awk -v a="$p" -v b="$m" 'BEGIN {printf "%.2f", a / b}')x md5sum, target >= 0.8x) | multipart x4 $q MB/s ($(awk -v a="$q" -v b="$p" 'BEGIN {printf "%.2f", a / b}')x single PUT, target >= 1.5x)"
    done
    rm -f "$SRC"
    echo "== ${SMALL_CLIENTS} clients, 4 KiB PUT+GET for ${SMALL_SECONDS} s, ${ROUNDS} rounds${BASE_SERVER:+, alternating with $BASE_SERVER}"
    : > "$WORK/small.txt"; : > "$WORK/small-base.txt"
    for round in $(seq 1 "$ROUNDS"); do
        for which in ours base; do
            if [ "$which" = base ]; then
                [ -n "${BASE_SERVER:-}" ] || continue
                start_server "$WORK/data" "$BASE_SERVER"; out="$WORK/small-base.txt"
            else
                start_server "$WORK/data"; out="$WORK/small.txt"
            fi
            line=$("$LOAD" small "$ENDPOINT" "$BUCKET" "$AK" "$SK" "$SMALL_CLIENTS" 4096 "$SMALL_SECONDS")
            stop_server
            echo "   $which round $round: $line"
            echo "$line" | sed -n 's/.*= \([0-9.]*\) ops\/s.*/\1/p' >> "$out"
        done
    done
    echo "   4 KiB medians: this server $(median < "$WORK/small.txt") ops/s${BASE_SERVER:+ | base $(median < "$WORK/small-base.txt") ops/s}"
    exit 0
fi

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
