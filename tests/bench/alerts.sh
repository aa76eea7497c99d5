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

source tests/bench/lib.sh
publish_core
dotnet build tests/bench/SentinelX.LoadGen -c Release -nologo -v quiet -o artifacts/loadgen >/dev/null

start_core
trap stop_core EXIT
echo "Core pid $CORE on port $PORT, $NODES nodes, $SECONDS_RUN s per CPU window (2 cores shared with the load generator)"
status=0
dotnet artifacts/loadgen/SentinelX.LoadGen.dll alerts "$BASE" "$KEY" "$TOKEN" "$CORE" "$NODES" "$SECONDS_RUN" || status=$?
echo "alert events stored       $(curl -fs -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/alerts/events?limit=1000" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' || echo '?')"
grep -E "fail|error|crit" -i "$DATA/core.log" | head -5 || true
exit $status
