# Helpers the benchmarks source (not a benchmark itself).

# Prints the id of the first online Node (or of the one named NAME) once the Core lists it, waiting
# up to 30 s; otherwise prints LOG to stderr and fails.
# usage: ID=$(online_node_id API_URL "Authorization: Bearer TOKEN" NODE_LOG [NAME])
online_node_id() {
  local api="$1" auth="$2" log="$3" name="${4:-}" id=""
  for _ in $(seq 150); do
    id=$(curl -fs -H "$auth" "$api/nodes" | NAME="$name" python3 -c 'import json, os, sys
n = [x for x in json.load(sys.stdin) if x.get("online") and os.environ["NAME"] in ("", x.get("name"))]
print(n[0]["id"] if n else "")' || true)
    if [ -n "$id" ]; then echo "$id"; return 0; fi
    sleep 0.2
  done
  echo "the Node did not come online" >&2
  cat "$log" >&2
  return 1
}

# Starts the published Core (artifacts/core) with a fresh data directory on a random port, waits until
# it answers and creates an admin token. Sets DATA, PORT, BASE, CORE, KEY and TOKEN; stop_core ends it.
# usage: start_core
start_core() {
  DATA=$(mktemp -d /tmp/sentinelx-bench-XXXX)
  PORT=$((20000 + RANDOM % 20000))
  BASE="http://127.0.0.1:$PORT"
  artifacts/core/sentinelx serve --data "$DATA" --urls "$BASE" >"$DATA/core.log" 2>&1 &
  CORE=$!
  for _ in $(seq 100); do curl -fs "$BASE/api/v1/health" >/dev/null && break; sleep 0.2; done
  KEY=$(artifacts/core/sentinelx key show --data "$DATA" 2>/dev/null)
  TOKEN=$(artifacts/core/sentinelx token create --name bench --role admin --data "$DATA" 2>/dev/null)
}

# Stops what start_core started and removes its data directory.
stop_core() {
  kill "$CORE" 2>/dev/null; wait "$CORE" 2>/dev/null
  rm -rf "$DATA"
}

# Publishes the Core to artifacts/core from the current sources (incremental, so quick when nothing
# changed): a stale copy would measure yesterday's code.
publish_core() {
  dotnet publish SentinelX.App -c Release -nologo -v quiet -o artifacts/core >/dev/null
}
