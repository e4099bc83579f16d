#!/usr/bin/env bash
# Transfer benchmark: jitstore vs curl vs oss2 against the local OSS server, one run.
#
#   scripts/bench_transfer.sh [SIZE_MIB]      (default 1024)
#
# Starts the local OSS server (release build of benches/transfer.rs, `serve`), writes a
# SIZE_MIB file of random bytes, then uploads and downloads it with:
#   jitstore  single PUT (streamed), multipart with default settings, parallel ranged GET
#   curl      PUT / GET of a V4 presigned URL (the practical limit of one HTTP stream)
#   oss2      put_object_from_file, resumable_upload (4 threads), get_object_to_file
# Each client runs as its own process under /usr/bin/time -v: the table gives MB/s
# (10^6 bytes/s, wall time of the client process) and the client's peak RSS.
# Needs: curl, /usr/bin/time, python3 with oss2 (VENV, default /work/main/.venv).
set -euo pipefail

SIZE_MIB="${1:-1024}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/jitstore-bench.XXXXXX")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill -INT "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! "$PY" -c 'import oss2' 2>/dev/null; then
  echo "oss2 not found in $VENV: python3 -m venv $VENV && $VENV/bin/pip install oss2" >&2
  exit 1
fi

echo "building the bench driver (release)..." >&2
BIN="$(cd "$ROOT" && cargo bench --bench transfer --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -1)"
[[ -x "$BIN" || -x "$ROOT/$BIN" ]] || { echo "bench binary not found" >&2; exit 1; }
[[ -x "$BIN" ]] || BIN="$ROOT/$BIN"

"$BIN" serve "$WORK/data" "$WORK/endpoint" &
SERVER_PID=$!
for _ in $(seq 100); do [[ -s "$WORK/endpoint" ]] && break; sleep 0.1; done
EP="$(cat "$WORK/endpoint")"
echo "server at $EP, data in $WORK/data" >&2

SRC="$WORK/source.bin"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$SRC"
BYTES=$(stat -c %s "$SRC")
sync

ROWS=()
# run NAME CMD...: runs the client under /usr/bin/time -v, records MB/s and peak RSS.
run() {
  local name="$1"; shift
  sync
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2>&1 || { echo "$name failed:" >&2; cat "$WORK/out.txt" >&2; exit 1; }
  end=$(date +%s.%N)
  local rss_kb secs mbps
  rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
  secs=$(echo "$end - $start" | bc -l)
  mbps=$(echo "$BYTES / $secs / 1000000" | bc -l)
  ROWS+=("$(printf '| %s | %.1f | %.2f | %.1f |' "$name" "$mbps" "$secs" "$(echo "$rss_kb / 1024" | bc -l)")")
  echo "${ROWS[-1]}" >&2
}

check() { cmp -s "$SRC" "$1" || { echo "downloaded file differs: $1" >&2; exit 1; }; rm -f "$1"; }

run "jitstore single PUT" "$BIN" put-single "$EP" "$SRC" obj/jit-single
run "jitstore multipart (6 MiB parts, 4 in flight)" "$BIN" put-multipart "$EP" "$SRC" obj/jit-multi
run "jitstore GET (parallel ranges)" "$BIN" get "$EP" obj/jit-single "$WORK/dl-jit"
check "$WORK/dl-jit"

PUT_URL="$("$BIN" presign "$EP" PUT obj/curl)"
run "curl PUT (presigned)" curl -sS -f -X PUT -H 'Content-Type:' -T "$SRC" "$PUT_URL"
GET_URL="$("$BIN" presign "$EP" GET obj/curl)"
run "curl GET (presigned)" curl -sS -f -o "$WORK/dl-curl" "$GET_URL"
check "$WORK/dl-curl"

cat > "$WORK/oss2_bench.py" <<'PY'
import sys, oss2
mode, ep, key, path = sys.argv[1:5]
auth = oss2.AuthV4("bench-ak", "bench-secret")
bucket = oss2.Bucket(auth, ep, "bench", region="cn-hangzhou", is_cname=False)
if mode == "put":
    bucket.put_object_from_file(key, path)
elif mode == "resumable":
    oss2.resumable_upload(bucket, key, path, num_threads=4,
                          store=oss2.ResumableStore(root=sys.argv[5]))
elif mode == "get":
    bucket.get_object_to_file(key, path)
PY
# oss2 addresses buckets virtual-host style; the local server also accepts path style, which
# oss2 uses for IP endpoints.
run "oss2 put_object_from_file" "$PY" "$WORK/oss2_bench.py" put "$EP" obj/oss2 "$SRC"
run "oss2 resumable_upload (4 threads)" "$PY" "$WORK/oss2_bench.py" resumable "$EP" obj/oss2-multi "$SRC" "$WORK/oss2-store"
run "oss2 get_object_to_file" "$PY" "$WORK/oss2_bench.py" get "$EP" obj/oss2 "$WORK/dl-oss2"
check "$WORK/dl-oss2"

echo
echo "File: $SIZE_MIB MiB ($BYTES bytes), local server on $EP, $(nproc) cores."
echo
echo "| client | MB/s | seconds | peak RSS (MiB) |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
