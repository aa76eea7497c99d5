#!/usr/bin/env bash
# Alerts benchmark, one run against the real Core with SQLite: Core CPU with NODES simulated Nodes
# (real WebSockets, real protocol, 1 sample/s each) and no rules, then with 20 rules covering every
# Node; sample-to-webhook latency on 20 Nodes whose CPU crosses a threshold every 3 s; /status
# requests/s while ingest runs. Ends with a summary (figures, targets, PASS/FAIL); exits 1 on a FAIL.
# usage: tests/bench/alerts.sh [NODES=2000] [SECONDS=60]
set -euo pipefail
cd "$(dirname "$0")/../.."
NODES=${1:-2000}
SECONDS_RUN=${2:-60}
ulimit -n 20000 2>/dev/null || true

[ -x artifacts/core/sentinelx ] || dotnet publish SentinelX.App -c Release -nologo -v quiet -o artifacts/core
dotnet build tests/bench/SentinelX.LoadGen -c Release -nologo -v quiet -o artifacts/loadgen >/dev/null

DATA=$(mktemp -d /tmp/sentinelx-bench-XXXX)
PORT=$((20000 + RANDOM % 20000))
artifacts/core/sentinelx serve --data "$DATA" --urls "http://127.0.0.1:$PORT" >"$DATA/core.log" 2>&1 &
CORE=$!
trap 'kill $CORE 2>/dev/null; wait $CORE 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.2; done

KEY=$(artifacts/core/sentinelx key show --data "$DATA" 2>/dev/null)
TOKEN=$(artifacts/core/sentinelx token create --name bench --role admin --data "$DATA" 2>/dev/null)
echo "Core pid $CORE on port $PORT, $NODES nodes, $SECONDS_RUN s per CPU window (2 cores shared with the load generator)"
status=0
dotnet artifacts/loadgen/SentinelX.LoadGen.dll alerts "http://127.0.0.1:$PORT" "$KEY" "$TOKEN" "$CORE" "$NODES" "$SECONDS_RUN" || status=$?
echo "alert events stored       $(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/alerts/events?limit=1000" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' || echo '?')"
grep -E "fail|error|crit" -i "$DATA/core.log" | head -5 || true
exit $status
