#!/usr/bin/env bash
# Builds the Node agent as one trimmed, self-contained file.
#   packaging/build-node.sh [--rid linux-x64|linux-arm64] [--out DIR]
# Fails when the publish prints any warning (trimming IL2xxx / AOT IL3xxx included): the Node must
# stay trim- and AOT-clean so a NativeAOT build is one switch where the ILCompiler pack exists.
set -euo pipefail

rid=linux-x64
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rid) rid="$2"; shift 2 ;;
    --rid=*) rid="${1#*=}"; shift ;;
    --out|-o) out="$2"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "build-node.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${out:-$root/artifacts/node/$rid}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

cd "$root"
dotnet publish SentinelX.Node -c Release -r "$rid" --self-contained \
  -p:PublishSingleFile=true -p:PublishTrimmed=true \
  -o "$out" 2>&1 | tee "$log"

# Count distinct warnings (MSBuild repeats each one in its summary).
warnings="$(grep -E 'warning [A-Z]+[0-9]+' "$log" | sed -E 's/ \[[^]]*\]$//' | sort -u || true)"
count="$(printf '%s' "$warnings" | grep -c . || true)"
if [[ "$count" -ne 0 ]]; then
  echo "build-node.sh: $count warning(s):" >&2
  printf '%s\n' "$warnings" >&2
  exit 1
fi

binary="$out/sentinelx-node"
echo "build-node.sh: 0 warnings; $binary $(stat -c %s "$binary") bytes ($rid)"
