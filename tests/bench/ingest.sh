#!/usr/bin/env bash
# Ingest benchmark: NODES simulated Nodes (real WebSockets, real protocol) against the real Core
# with SQLite, one sample per second each, for SECONDS. Prints stored samples/s, send-to-stored
# latency, API latency under load, Core CPU and RSS.
# usage: tests/bench/ingest.sh [NODES=2000] [SECONDS=60]
set -euo pipefail
cd "$(dirname "$0")/../.."
NODES=${1:-2000}
SECONDS_RUN=${2:-60}
ulimit -n 20000 2>/dev/null || true

source tests/bench/lib.sh
publish_core
dotnet build tests/bench/SentinelX.LoadGen -c Release -nologo -v quiet -o artifacts/loadgen >/dev/null

DATA=$(mktemp -d /tmp/sentinelx-bench-XXXX)
PORT=$((20000 + RANDOM % 20000))
artifacts/core/sentinelx serve --data "$DATA" --urls "http://127.0.0.1:$PORT" >"$DATA/core.log" 2>&1 &
CORE=$!
trap 'kill $CORE 2>/dev/null; wait $CORE 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.2; done

KEY=$(artifacts/core/sentinelx key show --data "$DATA" 2>/dev/null)
TOKEN=$(artifacts/core/sentinelx token create --name bench --role viewer --data "$DATA" 2>/dev/null)
echo "Core pid $CORE on port $PORT, $NODES nodes for $SECONDS_RUN s (2 cores shared with the load generator)"
status=0
dotnet artifacts/loadgen/SentinelX.LoadGen.dll "http://127.0.0.1:$PORT" "$KEY" "$TOKEN" "$CORE" "$NODES" "$SECONDS_RUN" || status=$?
echo "database size             $(du -sh "$DATA" | cut -f1) ($(ls "$DATA"))"
grep -E "fail|error|crit" -i "$DATA/core.log" | head -5 || true
exit $status
