#!/usr/bin/env bash
# Runs every SentinelX test on a fresh Debian machine with the .NET 10 SDK:
# installs what the tests need, builds, publishes the real binaries, runs all test projects,
# and ends with one line "N passed, N failed" counted from the test result files.
# --fast runs only tests/SentinelX.Tests (unit, component and API tiers) and publishes nothing.
set -uo pipefail
fast=false
case "${1:-}" in
  --fast) fast=true ;;
  "") ;;
  *) echo "usage: tests/run.sh [--fast]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RESULTS="$ROOT/tests/artifacts/results"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { echo "[run.sh] $*" >&2; }

# --- system packages -------------------------------------------------------------------------
have_postgres() {
  command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
missing=()
have_postgres || missing+=(postgresql)
command -v ps >/dev/null 2>&1 || missing+=(procps)
command -v su >/dev/null 2>&1 || missing+=(login)
# The UI tests drive Debian's Chromium; CJK and emoji fonts make the Chinese screenshots readable.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-color-emoji)
# The Docker tests start their own dockerd and import a busybox image offline.
[ -x /usr/sbin/dockerd ] && [ -x /bin/busybox ] || missing+=(docker.io busybox-static)
# Forwarding tests push real bytes with iperf3, check PROXY protocol against haproxy, and run
# kernel-mode rules with nftables and iptables inside network namespaces.
command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
# Service probes: DNS checks ask a real dnsmasq (the bare binary; the dnsmasq package would also start a
# system service), and ICMP checks are compared with iputils' ping across tc netem links.
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
# The Node is built NativeAOT (the ILCompiler links with clang), for this machine and, cross-compiled,
# for arm64, which NodeBinaryTests runs under qemu-user. The install tests run on a Debian that also has
# the musl package, which must not make install.sh pick the musl build.
command -v clang >/dev/null 2>&1 || command -v clang-14 >/dev/null 2>&1 || missing+=(clang-14)
if [ "$(uname -m)" = x86_64 ]; then
  [ -e /usr/aarch64-linux-gnu/lib/libc.so ] || missing+=(libc6-dev-arm64-cross libgcc-12-dev-arm64-cross libstdc++-12-dev-arm64-cross)
  command -v aarch64-linux-gnu-objcopy >/dev/null 2>&1 || missing+=(binutils-aarch64-linux-gnu)
  [ -x /usr/bin/qemu-aarch64-static ] || missing+=(qemu-user-static)
fi
ls /lib/ld-musl-*.so.1 >/dev/null 2>&1 || missing+=(musl)
# Alert e-mail is sent to a real SMTP server (aiosmtpd, run with Debian's /usr/bin/python3).
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing packages: ${missing[*]} (run as root, or install them, to run every test)"
  else
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || log "apt-get install failed; tests that need ${missing[*]} will fail"
  fi
fi

# --- build and publish -----------------------------------------------------------------------
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
fail_build() { log "$1"; echo "0 passed, 0 failed"; exit 1; }

log "building"
dotnet build SentinelX.sln -c Release -nologo -v quiet -clp:ErrorsOnly || fail_build "build failed"
projects=(tests/SentinelX.Tests)
if [ "$fast" = false ]; then
  projects+=(tests/SentinelX.E2E)
  case "$(uname -m)" in aarch64 | arm64) rid=linux-arm64; node_rids=(--rid linux-arm64) ;; *) rid=linux-x64; node_rids=(--rid linux-x64 --rid linux-arm64) ;; esac
  # The Core (ReadyToRun: it starts in two thirds of the time and CPU, and the end-to-end tests start
  # it, and its CLI, many times) and the NativeAOT Nodes are published while SentinelX.Tests, which
  # needs neither, runs; the end-to-end tests wait for them. RID-specific publishes build under their
  # own bin/obj folders, so they do not touch what the running tests load. They run at the lowest
  # priority: the tests keep the CPU they need (some measure rates), the publishes take what is left.
  publish_log="$RESULTS/publish.log"
  log "publishing the Core and the Node (${node_rids[*]}) in the background; log: $publish_log"
  (
    set -e
    renice -n 19 -p "$BASHPID" >/dev/null || true
    rm -rf "$ROOT/artifacts/core"
    dotnet publish SentinelX.App -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true \
      -nologo -v quiet -clp:ErrorsOnly -o "$ROOT/artifacts/core"
    echo "published the Core to artifacts/core"
    bash packaging/build-node.sh "${node_rids[@]}"
  ) >"$publish_log" 2>&1 &
  publishing=$!
  export SENTINELX_CORE_BIN="$ROOT/artifacts/core/sentinelx"
  export SENTINELX_NODE_BIN="$ROOT/artifacts/node/${node_rids[1]}/sentinelx-node"
fi

# --- tests -----------------------------------------------------------------------------------
status=0
not_run=()
for project in "${projects[@]}"; do
  name=$(basename "$project")
  if [ "$name" = SentinelX.E2E ]; then
    log "waiting for the Core and Node publishes"
    if ! wait "$publishing"; then
      cat "$publish_log" >&2
      log "publishing failed; $name is not run"
      not_run+=("$name (publishing the Core or the Node failed)")
      continue
    fi
    cat "$publish_log" >&2
  fi
  log "testing $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$RESULTS" --blame-hang-timeout 8m || status=1
done

# Count from the TRX files, not from console output.
passed=0; failed=0
count() { grep -o "<Counters [^>]*" "$1" | grep -o " $2=\"[0-9]*\"" | grep -o "[0-9]*" || echo 0; }
for trx in $(find "$RESULTS" -name '*.trx'); do
  passed=$((passed + $(count "$trx" passed)))
  for field in failed error timeout aborted; do failed=$((failed + $(count "$trx" $field))); done
done
# A test project that could not run counts as one failure, so the last line cannot read green.
failed=$((failed + ${#not_run[@]}))
if [ "${failed:-0}" -gt 0 ]; then
  status=1
  # Name the failures next to the count: a log read from its tail should still say what broke.
  for trx in $(find "$RESULTS" -name '*.trx'); do
    grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"' "$trx" \
      | sed -n 's/.* testName="\([^"]*\)".*/failed: \1/p'
  done
  for project in "${not_run[@]}"; do echo "failed: $project"; done
fi
echo "${passed:-0} passed, ${failed:-0} failed"
exit $status
