#!/usr/bin/env bash
# Node footprint, one run: a real Core (fresh data directory) with the native sentinelx-node
# connected at 1 s sampling, every capability allowed by the Node and switched on in the Core, and
# prometheus-node-exporter beside it, scraped once a second as Prometheus would at 1 s. Both idle
# for SECONDS after WARMUP; prints each one's RSS (average and peak), CPU % of one core over the
# window (utime+stime from /proc/PID/stat) and binary size, and the Node/exporter ratios.
# Targets: Node RSS <= 20 MB and below node_exporter's, CPU <= 0.3 % of one core, binary <= 12 MB.
# usage: tests/bench/node-footprint.sh [SECONDS=60] [WARMUP=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/bench/lib.sh
SECONDS_RUN=${1:-60}
WARMUP=${2:-10}
NODE_BIN=artifacts/node/linux-x64/sentinelx-node
command -v prometheus-node-exporter >/dev/null || { apt-get update -qq && apt-get install -y -qq prometheus-node-exporter >/dev/null; }
publish_core
[ -x $NODE_BIN ] || bash packaging/build-node.sh --rid linux-x64 >/dev/null
EXPORTER_BIN=$(command -v prometheus-node-exporter)

WORK=$(mktemp -d /tmp/sentinelx-footprint-XXXX)
PORT=$((20000 + RANDOM % 20000)); NE_PORT=$((PORT + 1))
CORE=""; NODE=""; EXPORTER=""; SCRAPER=""
trap 'kill $SCRAPER $CORE $NODE $EXPORTER 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
artifacts/core/sentinelx serve --data "$WORK/core" --urls "http://127.0.0.1:$PORT" >"$WORK/core.log" 2>&1 &
CORE=$!
for _ in $(seq 150); do curl -fs "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.2; done
KEY=$(artifacts/core/sentinelx key show --data "$WORK/core" 2>/dev/null)
TOKEN=$(artifacts/core/sentinelx token create --name footprint --role admin --data "$WORK/core" 2>/dev/null)
API="http://127.0.0.1:$PORT/api/v1"
AUTH="Authorization: Bearer $TOKEN"

$NODE_BIN run --core "http://127.0.0.1:$PORT" --key "$KEY" --name footprint --data "$WORK/node" \
  --interval-ms 1000 --allow exec,shell,files,docker,forward >"$WORK/node.log" 2>&1 &
NODE=$!
ID=$(online_node_id "$API" "$AUTH" "$WORK/node.log")
curl -fs -X PUT -H "$AUTH" -H "Content-Type: application/json" \
  -d '{"exec":true,"shell":true,"files":true,"docker":true,"forward":true}' "$API/nodes/$ID/capabilities" >/dev/null

"$EXPORTER_BIN" --web.listen-address="127.0.0.1:$NE_PORT" >"$WORK/exporter.log" 2>&1 &
EXPORTER=$!
( while kill -0 $EXPORTER 2>/dev/null; do curl -fs "http://127.0.0.1:$NE_PORT/metrics" >/dev/null || true; sleep 1; done ) &
SCRAPER=$!
sleep "$WARMUP"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)
n0=$(ticks $NODE); e0=$(ticks $EXPORTER)
nsum=0; esum=0; npeak=0; epeak=0
for _ in $(seq "$SECONDS_RUN"); do
  sleep 1
  n=$(rss $NODE); e=$(rss $EXPORTER)
  nsum=$((nsum + n)); esum=$((esum + e))
  [ "$n" -gt "$npeak" ] && npeak=$n; [ "$e" -gt "$epeak" ] && epeak=$e
done
n1=$(ticks $NODE); e1=$(ticks $EXPORTER)
# Where each one's RSS lies (at the end of the window): its own binary's pages (on this kernel the whole
# file is mapped in once read), shared libraries (OpenSSL is loaded only for a wss:// Core or a TLS hop: the
# Node's own WebSocket client hashes and masks without it, so over http it should read 0), and anonymous
# memory (heap, stacks, NativeAOT's rehydrated data).
breakdown() { # pid binary
  awk -v bin="$(readlink -f "$2")" '/^[0-9a-f]+-[0-9a-f]+ / { path = $6 } /^Rss:/ {
      if (path == bin) b += $2; else if (path ~ /^\//) { l += $2; if (path ~ /lib(ssl|crypto)/) o += $2 } else a += $2 }
    END { printf "binary %.1f MB, libraries %.1f MB (OpenSSL %.1f), anonymous %.1f MB", b/1024, l/1024, o/1024, a/1024 }' "/proc/$1/smaps"
}
NODE_PARTS=$(breakdown $NODE $NODE_BIN); EXPORTER_PARTS=$(breakdown $EXPORTER "$EXPORTER_BIN")
ONLINE=$(curl -fs -H "$AUTH" "$API/nodes/$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("online"))' || true)
[ "$ONLINE" = True ] || { echo "the Node is not online at the end of the window"; cat "$WORK/node.log"; exit 1; }

report() { # name ticks_used rss_sum rss_peak binary
  awk -v name="$1" -v t="$2" -v s="$3" -v p="$4" -v size="$(stat -L -c %s "$5")" -v secs="$SECONDS_RUN" -v hz="$HZ" \
    'BEGIN { printf "  %-26s RSS avg %5.1f MB, peak %5.1f MB; CPU %.2f%% of one core (%.2f s); binary %5.1f MB\n", name, s/secs/1024, p/1024, 100*t/hz/secs, t/hz, size/1048576 }'
}
echo "Footprint over $SECONDS_RUN s after $WARMUP s of warm-up, 1 s sampling, every capability on:"
report "sentinelx-node (native)" $((n1 - n0)) $nsum $npeak $NODE_BIN
report "prometheus-node-exporter" $((e1 - e0)) $esum $epeak "$EXPORTER_BIN"
echo "  RSS by kind: node: $NODE_PARTS"
echo "               exporter: $EXPORTER_PARTS"
awk -v ns="$nsum" -v es="$esum" -v nt=$((n1 - n0)) -v et=$((e1 - e0)) \
    -v nb="$(stat -L -c %s $NODE_BIN)" -v eb="$(stat -L -c %s "$EXPORTER_BIN")" \
  'BEGIN { printf "  node / exporter: RSS %.2f, CPU %s, binary %.2f\n", ns/es, (et > 0 ? sprintf("%.2f", nt/et) : "n/a"), nb/eb }'
for rid in linux-x64 linux-arm64 linux-musl-x64 linux-musl-arm64; do
  f=artifacts/node/$rid/sentinelx-node
  [ -f $f ] && awk -v r=$rid -v s="$(stat -c %s $f)" 'BEGIN { printf "  built %-17s %5.1f MB\n", r, s/1048576 }'
done
