#!/usr/bin/env bash
# Forwarding throughput and CPU on loopback, one run, every proxy side by side: iperf3 straight to
# the server, through haproxy (tcp mode, 2 threads), socat, and the published SentinelX Core + two
# Nodes: a plain rule (splice zero-copy), the same with a bandwidth limit set far above the link
# (pooled-buffer userspace copy), and two-Node relay chains over tcp, tls and ws. For each, iperf3
# -P 1 and -P 8; prints Gbit/s and the CPU seconds the proxy processes used (utime+stime from /proc,
# children included), CPU seconds per Gbit moved, and the ratios the targets are about:
#   splice vs haproxy: throughput >= 1.0 and CPU per Gbit < 1.0
#   tls / ws chain vs the raw userspace chain: throughput >= 0.85. The raw chain crosses the same
#   two Nodes over a plain tcp hop, both copying in userspace (a limit set far above the link), so
#   the ratio is what encryption or framing costs. On one small machine every process shares the
#   same cores, so a two-Node chain against a one-Node rule measures the second Node's copy, not the
#   transport; that ratio is printed too, for reference. So is the same pair for haproxy (a raw
#   chain and a TLS chain through two haproxy frontends each, OpenSSL on the socket), to show what
#   TLS costs a native proxy on the same machine.
# usage: tests/bench/forward.sh [SECONDS=8]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-8}

for tool in iperf3 haproxy socat curl python3 openssl; do
  command -v $tool >/dev/null || { echo "$tool is missing (apt-get install iperf3 haproxy socat curl python3 openssl)"; exit 1; }
done
source tests/bench/lib.sh
publish_core
[ -x artifacts/node/linux-x64/sentinelx-node ] || bash packaging/build-node.sh >/dev/null

DATA=$(mktemp -d /tmp/sentinelx-forward-bench-XXXX)
BASE=$((21000 + RANDOM % 20000))
CORE_PORT=$BASE IPERF=$((BASE + 1)) SOCAT=$((BASE + 2)) HAPROXY=$((BASE + 3))
HAP_RAW=$((BASE + 4)) HAP_RAW_EXIT=$((BASE + 5)) HAP_TLS=$((BASE + 6)) HAP_TLS_EXIT=$((BASE + 7))
SPLICE=$((BASE + 10)) USERSPACE=$((BASE + 11)) TLS=$((BASE + 12)) WS=$((BASE + 13)) TCPCHAIN=$((BASE + 14)) RAWCHAIN=$((BASE + 15))
TLS_HOP=$((BASE + 22)) WS_HOP=$((BASE + 23)) TCP_HOP=$((BASE + 24)) RAW_HOP=$((BASE + 25))
URL="http://127.0.0.1:$CORE_PORT"
PIDS=()
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [ -f "$DATA/haproxy.pid" ] && kill "$(cat "$DATA/haproxy.pid")" 2>/dev/null
  rm -rf "$DATA"
}
trap cleanup EXIT

# --- peers ----------------------------------------------------------------------------------
iperf3 -s -B 127.0.0.1 -p "$IPERF" >"$DATA/iperf.log" 2>&1 &
PIDS+=($!)
socat -lf /dev/null TCP-LISTEN:$SOCAT,bind=127.0.0.1,fork,reuseaddr TCP:127.0.0.1:$IPERF &
SOCAT_PID=$!
PIDS+=($SOCAT_PID)
cat >"$DATA/haproxy.cfg" <<EOF
global
  maxconn 1000
  nbthread 2
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$HAPROXY
  default_backend be
backend be
  server s1 127.0.0.1:$IPERF
EOF
# The same two-hop shape for haproxy: entry frontend -> exit frontend -> iperf3, plain and over TLS.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=bench \
  -keyout "$DATA/hop.key" -out "$DATA/hop.crt" 2>/dev/null
cat "$DATA/hop.crt" "$DATA/hop.key" >"$DATA/hop.pem"
cat >>"$DATA/haproxy.cfg" <<CFG
frontend raw_entry
  bind 127.0.0.1:$HAP_RAW
  default_backend raw_hop
backend raw_hop
  server s1 127.0.0.1:$HAP_RAW_EXIT
frontend raw_exit
  bind 127.0.0.1:$HAP_RAW_EXIT
  default_backend be
frontend tls_entry
  bind 127.0.0.1:$HAP_TLS
  default_backend tls_hop
backend tls_hop
  server s1 127.0.0.1:$HAP_TLS_EXIT ssl verify none
frontend tls_exit
  bind 127.0.0.1:$HAP_TLS_EXIT ssl crt $DATA/hop.pem
  default_backend be
CFG
haproxy -f "$DATA/haproxy.cfg" -D -p "$DATA/haproxy.pid"

# --- SentinelX: Core and two Nodes ------------------------------------------------------------
CORE_BIN=artifacts/core/sentinelx
NODE_BIN=artifacts/node/linux-x64/sentinelx-node
$CORE_BIN serve --data "$DATA/core" --urls "$URL" >"$DATA/core.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do curl -fs "$URL/api/v1/health" >/dev/null && break; sleep 0.2; done
TOKEN=$($CORE_BIN token create --name bench --role admin --data "$DATA/core" 2>/dev/null)
KEY=$($CORE_BIN key show --data "$DATA/core" 2>/dev/null)
api() { curl -fsS -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" "$@"; }

start_node() { # name -> pid
  mkdir -p "$DATA/$1"
  SENTINELX_NODE_MACHINE_ID=$(tr -d - </proc/sys/kernel/random/uuid) \
    $NODE_BIN run --core "$URL" --key "$KEY" --name "$1" --allow forward --forward-targets-allow 127.0.0.0/8 --data "$DATA/$1" >"$DATA/$1.log" 2>&1 &
  echo $!
}
ENTRY_PID=$(start_node bench-entry)
EXIT_PID=$(start_node bench-exit)
PIDS+=($ENTRY_PID $EXIT_PID)

node_id() {
  for _ in $(seq 150); do
    local id
    id=$(api "$URL/api/v1/nodes" | python3 -c "import json,sys; print(next((n['id'] for n in json.load(sys.stdin) if n['name']=='$1' and n['online']), ''))" || true)
    [ -n "$id" ] && { echo "$id"; return; }
    sleep 0.2
  done
  echo "node $1 did not come online" >&2; cat "$DATA/$1.log" >&2; exit 1
}
ENTRY=$(node_id bench-entry)
EXIT=$(node_id bench-exit)
sleep 1 # the allow lists arrive with hello
for id in $ENTRY $EXIT; do api -X PUT -d '{"forward":true}' "$URL/api/v1/nodes/$id/capabilities" >/dev/null; done

create() { # json
  api -X POST -d "$1" "$URL/api/v1/forwards" >/dev/null
}
TARGET="\"targets\":[\"127.0.0.1:$IPERF\"]"
create "{\"name\":\"splice\",\"nodeId\":\"$ENTRY\",\"protocol\":\"tcp\",\"listenAddress\":\"127.0.0.1\",\"listenPort\":$SPLICE,$TARGET}"
create "{\"name\":\"userspace\",\"nodeId\":\"$ENTRY\",\"protocol\":\"tcp\",\"listenAddress\":\"127.0.0.1\",\"listenPort\":$USERSPACE,$TARGET,\"bandwidthMbps\":1000000}"
create "{\"name\":\"tls-chain\",\"protocol\":\"tcp\",\"listenAddress\":\"127.0.0.1\",\"listenPort\":$TLS,$TARGET,\"chain\":[{\"nodeId\":\"$ENTRY\"},{\"nodeId\":\"$EXIT\",\"transport\":\"tls\",\"host\":\"127.0.0.1\",\"port\":$TLS_HOP}]}"
create "{\"name\":\"ws-chain\",\"protocol\":\"tcp\",\"listenAddress\":\"127.0.0.1\",\"listenPort\":$WS,$TARGET,\"chain\":[{\"nodeId\":\"$ENTRY\"},{\"nodeId\":\"$EXIT\",\"transport\":\"ws\",\"host\":\"127.0.0.1\",\"port\":$WS_HOP,\"path\":\"/tunnel\"}]}"
create "{\"name\":\"tcp-chain\",\"protocol\":\"tcp\",\"listenAddress\":\"127.0.0.1\",\"listenPort\":$TCPCHAIN,$TARGET,\"chain\":[{\"nodeId\":\"$ENTRY\"},{\"nodeId\":\"$EXIT\",\"transport\":\"tcp\",\"host\":\"127.0.0.1\",\"port\":$TCP_HOP}]}"
create "{\"name\":\"raw-chain\",\"protocol\":\"tcp\",\"listenAddress\":\"127.0.0.1\",\"listenPort\":$RAWCHAIN,$TARGET,\"bandwidthMbps\":1000000,\"chain\":[{\"nodeId\":\"$ENTRY\"},{\"nodeId\":\"$EXIT\",\"transport\":\"tcp\",\"host\":\"127.0.0.1\",\"port\":$RAW_HOP}]}"
for _ in $(seq 100); do
  active=$(api "$URL/api/v1/forwards" | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["status"]=="active"))')
  [ "$active" = 6 ] && break
  sleep 0.2
done
[ "$active" = 6 ] || { echo "rules did not become active:"; api "$URL/api/v1/forwards"; exit 1; }

# --- runs -------------------------------------------------------------------------------------
cpu() { # pids... -> CPU seconds (utime+stime+cutime+cstime)
  python3 - "$@" <<'EOF'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
total = 0
for pid in sys.argv[1:]:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += sum(int(f) for f in fields[11:15])
    except FileNotFoundError:
        pass
print(total / tick)
EOF
}
RESULTS="$DATA/results.tsv"
run() { # name port parallel pids...
  local name=$1 port=$2 parallel=$3; shift 3
  local before after gbits
  before=$(cpu "$@")
  gbits=$(iperf3 -c 127.0.0.1 -p "$port" -t "$SECONDS_PER_RUN" -P "$parallel" -J \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)')
  sleep 0.5 # let socat's children exit and be counted
  after=$(cpu "$@")
  printf '%s\t%s\t%s\t%s\n' "$name" "$parallel" "$gbits" "$(python3 -c "print($after-$before)")" >>"$RESULTS"
}
HAPROXY_PID=$(cat "$DATA/haproxy.pid")
echo "loopback, ${SECONDS_PER_RUN} s per run, $(nproc) cores; Core pid ${PIDS[2]}, entry Node $ENTRY_PID, exit Node $EXIT_PID"
for p in 1 8; do
  run direct "$IPERF" $p
  run haproxy "$HAPROXY" $p "$HAPROXY_PID"
  run haproxy-raw-chain "$HAP_RAW" $p "$HAPROXY_PID"
  run haproxy-tls-chain "$HAP_TLS" $p "$HAPROXY_PID"
  run socat "$SOCAT" $p "$SOCAT_PID"
  run sentinelx-splice "$SPLICE" $p "$ENTRY_PID"
  run sentinelx-userspace "$USERSPACE" $p "$ENTRY_PID"
  run sentinelx-tcp-chain "$TCPCHAIN" $p "$ENTRY_PID" "$EXIT_PID"
  run sentinelx-raw-chain "$RAWCHAIN" $p "$ENTRY_PID" "$EXIT_PID"
  run sentinelx-tls-chain "$TLS" $p "$ENTRY_PID" "$EXIT_PID"
  run sentinelx-ws-chain "$WS" $p "$ENTRY_PID" "$EXIT_PID"
done

python3 - "$RESULTS" "$SECONDS_PER_RUN" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
seconds = float(sys.argv[2])
r = {(n, int(p)): (float(g), float(c)) for n, p, g, c in rows}
print(f"{'proxy':<24}{'streams':>8}{'Gbit/s':>9}{'CPU s':>8}{'CPU s/Gbit':>12}")
for (name, p), (gbits, cpu) in r.items():
    per = cpu / (gbits * seconds) if name != "direct" and gbits > 0 else float("nan")
    print(f"{name:<24}{'-P ' + str(p):>8}{gbits:>9.2f}{cpu:>8.2f}{per:>12.3f}")
def per_gbit(name, p):
    g, c = r[(name, p)]
    return c / (g * seconds)
print()
ok = True
for p in (1, 8):
    t = r[("sentinelx-splice", p)][0] / r[("haproxy", p)][0]
    c = per_gbit("sentinelx-splice", p) / per_gbit("haproxy", p)
    ok &= t >= 1.0 and c < 1.0
    print(f"-P {p}: splice/haproxy throughput {t:.2f} (target >= 1.00), CPU per Gbit {c:.2f} (target < 1.00)")
    for chain in ("tls", "ws"):
        g = r[(f"sentinelx-{chain}-chain", p)][0]
        x = g / r[("sentinelx-raw-chain", p)][0]
        ok &= x >= 0.85
        print(f"-P {p}: {chain} chain/raw userspace chain throughput {x:.2f} (target >= 0.85); "
              f"against a one-Node userspace rule {g / r[('sentinelx-userspace', p)][0]:.2f}, "
              f"against the tcp chain (exit splices) {g / r[('sentinelx-tcp-chain', p)][0]:.2f}")
    print(f"-P {p}: for reference, haproxy tls chain/haproxy raw chain throughput "
          f"{r[('haproxy-tls-chain', p)][0] / r[('haproxy-raw-chain', p)][0]:.2f}")
print("PASS" if ok else "FAIL")
EOF
