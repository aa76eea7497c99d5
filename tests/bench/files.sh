#!/usr/bin/env bash
# File transfer throughput through the Core on loopback: a real Core and Node, a SIZE_MB file
# (default 1024) downloaded and uploaded with curl and an API token, beside direct baselines on the
# same disk in the same run (cat to /dev/null for reading, cp for a read+write copy).
# usage: tests/bench/files.sh [SIZE_MB=1024]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/bench/lib.sh
SIZE_MB=${1:-1024}
publish_core
[ -x artifacts/node/linux-x64/sentinelx-node ] || bash packaging/build-node.sh >/dev/null

WORK=$(mktemp -d /tmp/sentinelx-files-bench-XXXX)
mkdir -p "$WORK/root"
PORT=$((20000 + RANDOM % 20000))
CORE=""; NODE=""
trap 'kill $CORE $NODE 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
artifacts/core/sentinelx serve --data "$WORK/core" --urls "http://127.0.0.1:$PORT" >"$WORK/core.log" 2>&1 &
CORE=$!
for _ in $(seq 150); do curl -fs "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.2; done
KEY=$(artifacts/core/sentinelx key show --data "$WORK/core" 2>/dev/null)
TOKEN=$(artifacts/core/sentinelx token create --name bench --role admin --data "$WORK/core" 2>/dev/null)
echo "{\"fileRoots\":[\"$WORK/root\"],\"allow\":[\"files\"]}" >"$WORK/node.json"
artifacts/node/linux-x64/sentinelx-node run --core "http://127.0.0.1:$PORT" --key "$KEY" --name bench --data "$WORK/node" --config "$WORK/node.json" >"$WORK/node.log" 2>&1 &
NODE=$!
API="http://127.0.0.1:$PORT/api/v1"
AUTH="Authorization: Bearer $TOKEN"
ID=$(online_node_id "$API" "$AUTH" "$WORK/node.log")
curl -fs -X PUT -H "$AUTH" -H "Content-Type: application/json" -d '{"files":true}' "$API/nodes/$ID/capabilities" >/dev/null

head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$WORK/root/source.bin"
BYTES=$((SIZE_MB * 1024 * 1024))
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }
timed() { local t0 t1; t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'; }

cat "$WORK/root/source.bin" >/dev/null # warm the page cache for every reader alike
CAT=$(timed sh -c "cat '$WORK/root/source.bin' >/dev/null")
CP=$(timed sh -c "cp '$WORK/root/source.bin' '$WORK/copy.bin' && sync '$WORK/copy.bin'")
rm -f "$WORK/copy.bin"
P="path=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))' "$WORK/root/source.bin")"
DOWN=$(curl -fsS -H "$AUTH" -o /dev/null -w '%{speed_download}' "$API/nodes/$ID/files/content?$P")
P2="path=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))' "$WORK/root/uploaded.bin")"
UP=$(curl -fsS -H "$AUTH" -o "$WORK/up.json" -w '%{speed_upload}' -T "$WORK/root/source.bin" "$API/nodes/$ID/files/content?$P2")
[ "$(stat -c %s "$WORK/root/uploaded.bin")" = "$BYTES" ] || { echo "upload size mismatch: $(cat "$WORK/up.json")"; exit 1; }
cmp -s "$WORK/root/source.bin" "$WORK/root/uploaded.bin" || { echo "uploaded bytes differ"; exit 1; }

echo "File transfer, $SIZE_MB MiB on loopback (one run; target >= 200 MB/s through the Core):"
printf "  %-40s %6s MB/s\n" "baseline: cat (page cache) to /dev/null" "$(mbps $BYTES "$CAT")"
printf "  %-40s %6s MB/s\n" "baseline: cp + sync on the same disk" "$(mbps $BYTES "$CP")"
printf "  %-40s %6s MB/s\n" "download through the Core (curl)" "$(awk -v s="$DOWN" 'BEGIN { printf "%.0f", s / 1048576 }')"
printf "  %-40s %6s MB/s\n" "upload through the Core (curl -T)" "$(awk -v s="$UP" 'BEGIN { printf "%.0f", s / 1048576 }')"
