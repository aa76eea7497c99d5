#!/usr/bin/env bash
# Public status page benchmark: the published Core ingesting NODES simulated Nodes (real WebSockets,
# one sample a second each), a status page at /status showing SHOWN of them, and curl fetching
# /status signed out over CONNECTIONS keep-alive connections for SECONDS. Prints requests/s, checks
# every answer was a 200, and PASS/FAIL against the target of 1,000 requests/s. Core, load
# generator and curl share the machine's cores.
# usage: tests/bench/status-page.sh [NODES=200] [SECONDS=20] [CONNECTIONS=32] [SHOWN=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/bench/lib.sh
NODES=${1:-200}
SECONDS_RUN=${2:-20}
CONNECTIONS=${3:-32}
SHOWN=${4:-20}
TARGET=1000
ulimit -n 20000 2>/dev/null || true

publish_core
dotnet build tests/bench/SentinelX.LoadGen -c Release -nologo -v quiet -o artifacts/loadgen >/dev/null

LOADGEN=
cleanup() {
  set +e
  if [ -n "$LOADGEN" ]; then kill "$LOADGEN" 2>/dev/null; wait "$LOADGEN" 2>/dev/null; fi
  stop_core
}
start_core
trap cleanup EXIT
AUTH="Authorization: Bearer $TOKEN"
echo "Core pid $CORE on port $PORT: $NODES simulated nodes ingesting, $SHOWN on the page, $CONNECTIONS connections for $SECONDS_RUN s"
dotnet artifacts/loadgen/SentinelX.LoadGen.dll "$BASE" "$KEY" "$TOKEN" "$CORE" "$NODES" $((SECONDS_RUN + 600)) >"$DATA/loadgen.log" 2>&1 &
LOADGEN=$!

# Wait until every simulated Node is online, then put SHOWN of them on the default page.
for _ in $(seq 300); do
  online=$(curl -fs -H "$AUTH" "$BASE/api/v1/summary" | python3 -c 'import json, sys; print(json.load(sys.stdin)["online"])' || echo 0)
  [ "$online" -ge "$NODES" ] && break
  sleep 0.5
done
[ "$online" -ge "$NODES" ] || { echo "only $online of $NODES nodes came online" >&2; cat "$DATA/loadgen.log" >&2; exit 1; }
PAGE=$(curl -fs -H "$AUTH" "$BASE/api/v1/nodes" | SHOWN=$SHOWN python3 -c 'import json, os, sys
ids = [n["id"] for n in json.load(sys.stdin)][: int(os.environ["SHOWN"])]
print(json.dumps({"title": "Benchmark", "nodeIds": ids, "public": True}))')
curl -fs -X PUT -H "$AUTH" -H "Content-Type: application/json" -d "$PAGE" "$BASE/api/v1/status-pages/default" >/dev/null
echo "page: $(curl -fs -H "Accept: text/html" "$BASE/status" | wc -c) bytes, $(curl -fs -H "Accept: text/html" -H "Accept-Encoding: br" "$BASE/status" | wc -c) with Brotli"

# curl keeps CONNECTIONS connections busy (HTTP/1.1 keep-alive) over a long URL list and is
# stopped after SECONDS; each answer writes its status to a codes file. Two rounds: as a browser
# asks (Brotli/gzip, --compressed), then plain HTML.
measure() { # usage: measure NAME [CURL OPTION...]; sets RATE and FAILED
  local name=$1 codes="$DATA/codes-$1" start end total ok
  shift
  start=$(date +%s.%N)
  timeout "$SECONDS_RUN" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$CONNECTIONS" -H "Accept: text/html" "$@" \
    -w '%{stderr}%{http_code}\n' "$BASE/status?n=[1-100000000]" >/dev/null 2>"$codes" || true
  end=$(date +%s.%N)
  total=$(grep -cE '^[0-9]{3}$' "$codes" || true)
  ok=$(grep -c '^200$' "$codes" || true)
  RATE=$(python3 -c "print(round($total / ($end - $start)))")
  FAILED=$((FAILED + total - ok))
  printf '%-25s %s requests/s (%s in %.1f s, %s answered 200; others: %s)\n' "$name" "$RATE" "$total" "$(python3 -c "print($end - $start)")" "$ok" \
    "$(grep -E '^[0-9]{3}$' "$codes" | grep -v '^200$' | sort | uniq -c | tr '\n' ' ')"
}
FAILED=0
measure compressed --compressed
COMPRESSED=$RATE
measure plain
PLAIN=$RATE
echo "target                    > $TARGET requests/s"
grep -E "^[0-9-]+ [0-9:]+ (fail|crit):" "$DATA/core.log" | head -5 || true
tail -3 "$DATA/loadgen.log" | sed 's/^/loadgen: /'
if [ "$FAILED" -gt 0 ]; then echo "FAIL: $FAILED answers were not 200"; exit 1; fi
if [ "$COMPRESSED" -gt "$TARGET" ] && [ "$PLAIN" -gt "$TARGET" ]; then echo "PASS"; else echo "FAIL"; exit 1; fi
