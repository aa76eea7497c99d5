#!/usr/bin/env bash
# Node footprint: the published sentinelx-node (1 s sampling, connected to a real Core) beside
# prometheus-node-exporter, both measured over the same SECONDS: RSS (average and peak) and CPU.
# The first WARMUP seconds (default 60) are left out: the runtime compiles and recompiles hot code
# then (tiered JIT), which a NativeAOT build would not do.
# usage: tests/bench/node-footprint.sh [SECONDS=60] [WARMUP=60]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_RUN=${1:-60}
WARMUP=${2:-60}
command -v prometheus-node-exporter >/dev/null || { apt-get update -qq && apt-get install -y -qq prometheus-node-exporter >/dev/null; }
[ -x artifacts/core/sentinelx ] || dotnet publish SentinelX.App -c Release -nologo -v quiet -o artifacts/core
[ -x artifacts/node/linux-x64/sentinelx-node ] || bash packaging/build-node.sh >/dev/null

WORK=$(mktemp -d /tmp/sentinelx-footprint-XXXX)
PORT=$((20000 + RANDOM % 20000)); NE_PORT=$((PORT + 1))
artifacts/core/sentinelx serve --data "$WORK/core" --urls "http://127.0.0.1:$PORT" >"$WORK/core.log" 2>&1 &
CORE=$!
trap 'kill $CORE $NODE $EXPORTER 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.2; done
KEY=$(artifacts/core/sentinelx key show --data "$WORK/core" 2>/dev/null)

artifacts/node/linux-x64/sentinelx-node run --core "http://127.0.0.1:$PORT" --key "$KEY" --data "$WORK/node" --interval-ms 1000 >"$WORK/node.log" 2>&1 &
NODE=$!
prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT" >"$WORK/exporter.log" 2>&1 &
EXPORTER=$!
# node_exporter only works when scraped: scrape it once a second, as Prometheus would at 1 s.
( while kill -0 $EXPORTER 2>/dev/null; do curl -fs "http://127.0.0.1:$NE_PORT/metrics" >/dev/null || true; sleep 1; done ) &
sleep "$WARMUP" # warm-up: enrollment, JIT tiering, first samples

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
report() { # name ticks_used rss_sum rss_peak
  awk -v name="$1" -v t="$2" -v s="$3" -v p="$4" -v secs="$SECONDS_RUN" -v hz="$HZ" \
    'BEGIN { printf "%-26s RSS avg %5.1f MB, peak %5.1f MB; CPU %.2f%% of one core (%.2f s over %d s)\n", name, s/secs/1024, p/1024, 100*t/hz/secs, t/hz, secs }'
}
echo "Footprint over $SECONDS_RUN s after $WARMUP s of warm-up, at 1 s sampling (binary $(du -h artifacts/node/linux-x64/sentinelx-node | cut -f1)):"
report "sentinelx-node" $((n1 - n0)) $nsum $npeak
report "prometheus-node-exporter" $((e1 - e0)) $esum $epeak
SAMPLES=$(curl -fs -H "Authorization: Bearer $(artifacts/core/sentinelx token create --name fp --role viewer --data "$WORK/core" 2>/dev/null)" "http://127.0.0.1:$PORT/api/v1/summary" || true)
echo "core summary: $SAMPLES"
