#!/usr/bin/env bash
# Builds the Node agent: one file per runtime identifier, DIR/<rid>/sentinelx-node, and nothing else
# there (debug symbols stay behind).
#   packaging/build-node.sh [--rid RID]... [--all] [--out DIR] [--fallback-single-file]
#   RID: linux-x64 (default), linux-arm64, linux-musl-x64, linux-musl-arm64; --all builds all four.
#   --out DIR: default artifacts/node (the layout the Core serves, see Downloads:NodeDirectory).
#   --fallback-single-file: where no C toolchain for NativeAOT is installed, build a trimmed single file
#   instead of failing (what dotnet run of the Core does, so a fresh clone still gets a Node).
# glibc RIDs are NativeAOT: native code, no runtime inside, ~10 MB. No NativeAOT pack exists for musl,
# so musl RIDs are trimmed self-contained single files. NativeAOT needs clang or gcc; linux-arm64 on
# an x86_64 machine cross-compiles with clang and Debian's cross packages:
#   apt-get install clang-14 libc6-dev-arm64-cross libgcc-12-dev-arm64-cross libstdc++-12-dev-arm64-cross binutils-aarch64-linux-gnu
# Fails when the publish prints any warning (trimming IL2xxx, AOT IL3xxx included).
set -euo pipefail

all_rids=(linux-x64 linux-arm64 linux-musl-x64 linux-musl-arm64)
rids=()
out=""
fallback=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rid) rids+=("$2"); shift 2 ;;
    --rid=*) rids+=("${1#*=}"); shift ;;
    --all) rids+=("${all_rids[@]}"); shift ;;
    --out|-o) out="$2"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    --fallback-single-file) fallback=1; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-node.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ ${#rids[@]} -gt 0 ]] || rids=(linux-x64)
for rid in "${rids[@]}"; do
  [[ " ${all_rids[*]} " == *" $rid "* ]] || { echo "build-node.sh: unknown rid $rid (use ${all_rids[*]})" >&2; exit 2; }
done

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${out:-$root/artifacts/node}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cd "$root"

say() { echo "build-node.sh: $*"; }
die() { echo "build-node.sh: $*" >&2; exit 1; }

case "$(uname -m)" in
  x86_64 | amd64) host_arch=x64 ;;
  aarch64 | arm64) host_arch=arm64 ;;
  *) host_arch="$(uname -m)" ;;
esac

# clang, or Debian's versioned clang-NN (the newest), or nothing.
find_clang() {
  command -v clang && return 0
  compgen -c clang- | grep -E '^clang-[0-9]+$' | sort -t- -k2 -n | tail -n 1
}

# Sets native_args to what NativeAOT needs for RID on this machine, or missing to why it cannot be built here.
native_args=() missing=""
native_toolchain() { # RID
  local arch="${1##*-}" deb triple clang
  native_args=() missing=""
  clang="$(find_clang || true)"
  if [[ "$arch" == "$host_arch" ]]; then
    # The ILCompiler links with clang, else gcc; Debian names its clang clang-14.
    if command -v clang >/dev/null || command -v gcc >/dev/null; then return 0; fi
    if [[ -n "$clang" ]]; then native_args=("-p:CppCompilerAndLinker=$clang"); return 0; fi
    missing="NativeAOT needs clang or gcc (apt-get install clang-14)"
    return 1
  fi
  case "$arch" in arm64) deb=arm64 triple=aarch64-linux-gnu ;; x64) deb=amd64 triple=x86_64-linux-gnu ;; esac
  if [[ -z "$clang" ]]; then
    missing="cross-compiling $1 needs clang (apt-get install clang-14)"
  elif ! command -v "$triple-objcopy" >/dev/null || [[ ! -e "/usr/$triple/lib/libc.so" ]]; then
    missing="cross-compiling $1 needs Debian's cross packages (apt-get install libc6-dev-$deb-cross libgcc-12-dev-$deb-cross libstdc++-12-dev-$deb-cross binutils-$triple)"
  fi
  [[ -z "$missing" ]] || return 1
  native_args=("-p:CppCompilerAndLinker=$clang" "-p:ObjCopyName=$triple-objcopy")
}

build() { # RID
  local rid="$1" kind args=() log dest
  if [[ "$rid" == *musl* ]]; then
    kind="single file"
  elif native_toolchain "$rid"; then
    kind=native
  elif [[ "$fallback" == 1 ]]; then
    say "$missing; building a trimmed single file for $rid instead"
    kind="single file"
  else
    die "$missing"
  fi
  if [[ "$kind" == native ]]; then
    args=(-p:PublishAot=true "${native_args[@]}")
  else
    args=(-p:PublishSingleFile=true -p:PublishTrimmed=true)
  fi

  log="$stage/$rid.log"
  say "building $rid ($kind)"
  dotnet publish SentinelX.Node -c Release -r "$rid" --self-contained -nologo "${args[@]}" \
    -o "$stage/$rid" >"$log" 2>&1 || { cat "$log" >&2; die "publishing $rid failed"; }

  # Count distinct warnings (MSBuild repeats each one in its summary).
  local warnings count
  warnings="$(grep -E 'warning [A-Z]+[0-9]+' "$log" | sed -E 's/ \[[^]]*\]$//' | sort -u || true)"
  count="$(printf '%s' "$warnings" | grep -c . || true)"
  if [[ "$count" -ne 0 ]]; then
    printf '%s\n' "$warnings" >&2
    die "$count warning(s) building $rid"
  fi

  # Only the binary ships: sentinelx-node.dbg and the .pdb files stay in the stage, which is deleted.
  dest="$out/$rid"
  mkdir -p "$dest"
  rm -f "$dest/sentinelx-node.dbg" "$dest"/*.pdb
  cp "$stage/$rid/sentinelx-node" "$dest/sentinelx-node.new"
  chmod 755 "$dest/sentinelx-node.new"
  mv -f "$dest/sentinelx-node.new" "$dest/sentinelx-node"
  say "0 warnings; $dest/sentinelx-node $(stat -c %s "$dest/sentinelx-node") bytes ($rid, $kind)"
}

for rid in "${rids[@]}"; do build "$rid"; done
