#!/usr/bin/env bash
# Streaming reader benchmark: StorageHandle::read (whole object streamed to a sink) vs curl GET
# of a presigned URL, on the same local OSS server, alternating rounds; then a ranged read of the
# last 1 MiB (request count and peak RSS).
#
#   scripts/bench_stream_read.sh [SIZE_MIB] [ROUNDS]      (default 1024, 5)
#
# Server data lives in /dev/shm (RAM), so the disk is out of the picture. Each reader runs as
# its own process under /usr/bin/time -v. Prints every round and the medians.
set -euo pipefail

SIZE_MIB="${1:-1024}"
ROUNDS="${2:-5}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /dev/shm/jitstore-stream-bench.XXXXXX)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill -INT "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "building the bench driver (release)..." >&2
BIN="$(cd "$ROOT" && cargo bench --bench stream_read --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -1)"
[[ -x "$BIN" ]] || BIN="$ROOT/$BIN"
[[ -x "$BIN" ]] || { echo "bench binary not found" >&2; exit 1; }

"$BIN" serve "$WORK/data" "$WORK/endpoint" &
SERVER_PID=$!
for _ in $(seq 100); do [[ -s "$WORK/endpoint" ]] && break; sleep 0.1; done
EP="$(cat "$WORK/endpoint")"
KEY="stream/object.bin"
"$BIN" put "$EP" "$KEY" "$SIZE_MIB" >&2
URL="$("$BIN" presign "$EP" "$KEY")"
BYTES=$((SIZE_MIB * 1024 * 1024))

# timed NAME CMD...: wall seconds of one run (peak RSS KiB in $WORK/rss)
timed() {
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2>&1 || { cat "$WORK/out.txt" >&2; exit 1; }
  end=$(date +%s.%N)
  sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt" > "$WORK/rss"
  echo "$end - $start" | bc -l
}

JIT=(); CURL=()
for round in $(seq "$ROUNDS"); do
  j=$(timed "$BIN" read "$EP" "$KEY"); jr=$(cat "$WORK/rss")
  grep -q "read $BYTES bytes" "$WORK/out.txt" || { echo "jitstore read a wrong size: $(cat "$WORK/out.txt")" >&2; exit 1; }
  c=$(timed curl -sS -f -o /dev/null "$URL"); cr=$(cat "$WORK/rss")
  JIT+=("$j"); CURL+=("$c")
  printf 'round %d: jitstore read %.3f s (%.0f MB/s, RSS %d KiB) | curl %.3f s (%.0f MB/s, RSS %d KiB)\n' \
    "$round" "$j" "$(echo "$BYTES / $j / 1000000" | bc -l)" "$jr" "$c" "$(echo "$BYTES / $c / 1000000" | bc -l)" "$cr"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mj=$(median "${JIT[@]}"); mc=$(median "${CURL[@]}")
printf 'median: jitstore %.3f s = %.0f MB/s; curl %.3f s = %.0f MB/s; ratio %.2fx curl\n' \
  "$mj" "$(echo "$BYTES / $mj / 1000000" | bc -l)" "$mc" "$(echo "$BYTES / $mc / 1000000" | bc -l)" "$(echo "$mc / $mj" | bc -l)"

t=$(timed "$BIN" read-last "$EP" "$KEY" 1048576)
printf 'ranged read of the last 1 MiB: %s; %.3f s; peak RSS %d KiB\n' "$(cat "$WORK/out.txt")" "$t" "$(cat "$WORK/rss")"
