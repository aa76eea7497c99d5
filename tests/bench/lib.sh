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
