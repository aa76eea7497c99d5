#!/usr/bin/env bash
# Dashboard benchmark: the published Core with NODES simulated Nodes (real WebSockets, one sample a
# second each, stamped with the wall clock when sent) and Debian Chromium on the dashboard.
# Prints time to first render and the live delay of samples (p50/p95/max) with PASS/FAIL against
# the targets: first render < 1.5 s, live delay p95 < 1 s.
# usage: tests/bench/dashboard.sh [NODES=500] [SECONDS=30]
set -euo pipefail
cd "$(dirname "$0")/../.."
NODES=${1:-500}
SECONDS_RUN=${2:-30}
ulimit -n 20000 2>/dev/null || true

source tests/bench/lib.sh
publish_core
dotnet build tests/bench/SentinelX.LoadGen -c Release -nologo -v quiet -o artifacts/loadgen >/dev/null
dotnet build tests/bench/SentinelX.DashboardBench -c Release -nologo -v quiet -o artifacts/dashboard-bench >/dev/null

DATA=$(mktemp -d /tmp/sentinelx-dash-bench-XXXX)
PORT=$((20000 + RANDOM % 20000))
artifacts/core/sentinelx serve --data "$DATA" --urls "http://127.0.0.1:$PORT" >"$DATA/core.log" 2>&1 &
CORE=$!
LOADGEN=
cleanup() {
  set +e
  if [ -n "$LOADGEN" ]; then kill "$LOADGEN" 2>/dev/null; wait "$LOADGEN" 2>/dev/null; fi
  kill "$CORE" 2>/dev/null; wait "$CORE" 2>/dev/null
  rm -rf "$DATA"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.2; done

KEY=$(artifacts/core/sentinelx key show --data "$DATA" 2>/dev/null)
TOKEN=$(artifacts/core/sentinelx token create --name bench --role viewer --data "$DATA" 2>/dev/null)
echo "Core pid $CORE on port $PORT, $NODES simulated nodes, watching for $SECONDS_RUN s (2 cores shared by Core, load generator and Chromium)"
# The load generator runs well past the measurement and is stopped when the driver is done.
dotnet artifacts/loadgen/SentinelX.LoadGen.dll "http://127.0.0.1:$PORT" "$KEY" "$TOKEN" "$CORE" "$NODES" $((SECONDS_RUN + 600)) >"$DATA/loadgen.log" 2>&1 &
LOADGEN=$!
status=0
dotnet artifacts/dashboard-bench/SentinelX.DashboardBench.dll "http://127.0.0.1:$PORT" "$TOKEN" "$NODES" "$SECONDS_RUN" "$PWD/tests/artifacts/screenshots" || status=$?
grep -E "^[0-9-]+ [0-9:]+ (fail|crit):" "$DATA/core.log" | head -5 || true
exit $status
