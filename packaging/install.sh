#!/usr/bin/env bash
# Installs, upgrades or removes the SentinelX Node (sentinelx-node) on a Linux server.
#   The Core's "Add server" dialog gives the line to run: it downloads this script, checks its
#   SHA-256 and runs it with the enrollment key in SENTINELX_KEY (the environment, not ps).
#   SENTINELX_KEY=sxk_... install.sh [--core URL] [--name NAME] [--allow LIST | --monitor-only] [--prefix DIR] [--no-start]
#   install.sh --uninstall [--prefix DIR]
# --prefix DIR installs under DIR (no systemd unit); --no-start installs without starting.
# Re-running upgrades the binary in place; the Node keeps its identity (in its data directory).
if [ -z "${BASH_VERSION:-}" ]; then
  echo "install.sh: error: run this script with bash (sudo --preserve-env=SENTINELX_KEY bash install.sh ...)" >&2
  exit 1
fi
set -euo pipefail

# The Core writes its own URL here when it serves this script, so --core can be left out.
default_core='__SENTINELX_CORE_URL__'
# ...and the SHA-256 of every Node binary it serves ("rid=hex" words). The line that ran this
# script checked the script's own SHA-256, so these pins come from the Core, not from the network.
pinned_sha256='__SENTINELX_NODE_SHA256__'

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }
usage() {
  cat <<'USAGE'
usage: SENTINELX_KEY=KEY install.sh [--core URL] [--name NAME] [--allow LIST | --monitor-only] [--prefix DIR] [--no-start]
       install.sh --uninstall [--prefix DIR]
  SENTINELX_KEY the enrollment key (sentinelx key show), from the environment; not needed
                to upgrade. It waits in DATA/enrollment.key (mode 0600), never in the config,
                and the Node deletes it once it has its own secret.
  --core URL    the SentinelX Core (filled in when the Core serves this script)
  --key KEY     the enrollment key as an argument (visible to every local user in ps while
                this runs: prefer SENTINELX_KEY)
  --name NAME   the name shown in the Core (default: the host name)
  --allow LIST  what the Core may ever do here besides monitoring, e.g. exec,files
                (of exec, shell, files, docker, forward; each still off until an admin
                turns it on in the Core). Default for a new install: none (monitor only);
                an upgrade keeps the list the config has.
  --monitor-only  allow none of them: this server only reports metrics
  --prefix DIR  install under DIR instead of /, without a systemd unit
  --no-start    install, but do not start the Node
  --uninstall   stop the Node and remove its binary, config, unit and data
The config is /etc/sentinelx/node.toml; an upgrade converts an older node.json into it, keeping
every setting (node.json stays as node.json.bak). sentinelx-node --help lists every setting.
USAGE
}

workdir=""
cleanup() { if [ -n "$workdir" ]; then rm -rf "$workdir"; fi; }
trap cleanup EXIT

# Paths, set by resolve_paths.
prefix="" bin="" config="" legacy_config="" datadir="" unit=""

resolve_paths() {
  if [ -n "$prefix" ]; then
    case "$prefix" in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac
    prefix="${prefix%/}"
  fi
  bin="$prefix/usr/local/bin/sentinelx-node"
  config="$prefix/etc/sentinelx/node.toml"
  # Installs before node.toml wrote this; an upgrade converts it.
  legacy_config="$prefix/etc/sentinelx/node.json"
  datadir="$prefix/var/lib/sentinelx-node"
  unit="/etc/systemd/system/sentinelx-node.service"
}

# systemd manages the Node only for a system-wide install on a machine that runs systemd.
use_systemd() {
  [ -z "$prefix" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# The C library this system runs on, glibc or musl (Alpine), from what its own programs use and not
# from what happens to be installed: a Debian server with the musl package has /lib/ld-musl-*.so.1
# too, and still needs the glibc build. SENTINELX_LIBC_PROBE_ROOT probes another root (for tests).
detect_libc() {
  local root="${SENTINELX_LIBC_PROBE_ROOT:-}" interp version ldd=ldd
  # The ELF interpreter of /bin/sh: /lib/ld-musl-x86_64.so.1 or /lib64/ld-linux-x86-64.so.2 (the
  # .interp section lies in the first few hundred bytes; tr keeps only path characters).
  interp="$(head -c 4096 "$root/bin/sh" 2>/dev/null | tr -c 'A-Za-z0-9/._-' '\n' | grep -m 1 -E '^/[A-Za-z0-9/._-]*/ld-' || true)"
  case "$interp" in
    */ld-musl-*) echo musl; return ;;
    */ld-linux*) echo glibc; return ;;
  esac
  # A static /bin/sh (busybox-static) names none: ask ldd, which each C library ships
  # ("ldd (Debian GLIBC 2.36-9) 2.36", or "musl libc (x86_64)" on stderr).
  if [ -n "$root" ]; then ldd="$root/usr/bin/ldd"; fi
  version="$("$ldd" --version 2>&1 || true)"
  case "$version" in
    *musl*) echo musl; return ;;
    *GLIBC* | *"GNU libc"* | *"GNU C Library"*) echo glibc; return ;;
  esac
  # Last resort: a musl loader and no glibc loader at all.
  if ls "$root"/lib/ld-musl-*.so.1 >/dev/null 2>&1 && ! ls "$root"/lib*/ld-linux*.so.* "$root"/lib/*/ld-linux*.so.* >/dev/null 2>&1; then
    echo musl
  else
    echo glibc
  fi
}

detect_rid() {
  local machine libc=""
  machine="$(uname -m)"
  # The Node is published per C library: a glibc build does not start on musl (Alpine), nor the reverse.
  if [ "$(detect_libc)" = musl ]; then libc="musl-"; fi
  case "$machine" in
    x86_64 | amd64) echo "linux-${libc}x64" ;;
    aarch64 | arm64) echo "linux-${libc}arm64" ;;
    *) die "unsupported architecture $machine (the Node is built for x86_64 and aarch64)" ;;
  esac
}

# The "detail" of a ProblemDetails body, so a 404 from the Core says what is missing.
problem_detail() {
  local detail
  detail="$(sed -n 's/.*"detail"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$1" 2>/dev/null | head -n 1 || true)"
  if [ -n "$detail" ]; then printf ': %s' "$detail"; fi
}

fetch() { # URL FILE
  local url="$1" out="$2" code
  if command -v curl >/dev/null 2>&1; then
    code="$(curl -sSL --connect-timeout 15 --retry 2 -o "$out" -w '%{http_code}' "$url")" \
      || die "cannot download $url (can this server reach the Core?)"
    [ "$code" = 200 ] || die "$url answered HTTP $code$(problem_detail "$out")"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 15 -O "$out" "$url" || die "cannot download $url (can this server reach the Core, and has it built this Node?)"
  else
    die "neither curl nor wget is installed"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    die "sha256sum is not installed (coreutils), so the download cannot be verified"
  fi
}

# The SHA-256 the Core pinned for RID in this script, or nothing.
pinned_for() {
  local word
  for word in $pinned_sha256; do
    case "$word" in "$1="*) printf '%s' "${word#*=}"; return 0 ;; esac
  done
}

# Checks --allow before anything is downloaded: only the four capabilities, or none.
check_allow() {
  local item
  IFS=',' read -ra items <<<"$1"
  for item in "${items[@]}"; do
    case "$item" in exec | shell | files | docker | forward | none) ;; *) die "--allow: unknown capability \"$item\" (use exec, shell, files, docker, forward, or --monitor-only)" ;; esac
  done
}

# The Core URL the existing config names, for a re-run of a script that no Core filled in.
existing_core() {
  local file
  for file in "$config" "$legacy_config"; do
    if [ -f "$file" ]; then
      sed -n -E 's/^[[:space:]]*"?core"?[[:space:]]*[:=][[:space:]]*"([^"]*)".*$/\1/p' "$file" | head -n 1
      return 0
    fi
  done
}

# True when this server has nothing to enroll with: no identity, no waiting key, no key in a config.
needs_key() {
  [ ! -f "$datadir/identity.json" ] && [ ! -s "$datadir/enrollment.key" ] \
    && ! grep -qsE '^[[:space:]]*"?key"?[[:space:]]*[:=]' "$config" "$legacy_config"
}

# The config goes through the Node itself (config convert / get / set): the same parser and
# checks as `sentinelx-node run`, so every setting survives and a bad value is named, not mangled.
configure_node() { # CORE KEY NAME ALLOW
  local core="$1" key="$2" name="$3" allow="$4" current args=()
  mkdir -p "$(dirname "$config")"
  if [ -f "$legacy_config" ] && [ ! -f "$config" ]; then
    say "converting $legacy_config to $config, keeping every setting"
    "$bin" config convert --config "$legacy_config" | sed 's/^/install.sh: /' \
      || die "cannot convert $legacy_config (see above); it is unchanged and the Node still reads it"
  elif [ -f "$legacy_config" ]; then
    say "warning: $legacy_config is ignored: the Node reads $config (move node.json aside)"
  fi
  mkdir -p "$datadir"
  chmod 700 "$datadir"
  if [ -n "$key" ]; then
    # Root-only, written beside and renamed: the key is a secret. It never goes into the config.
    (umask 077 && printf '%s\n' "$key" >"$datadir/enrollment.key.tmp")
    mv -f "$datadir/enrollment.key.tmp" "$datadir/enrollment.key"
    say "the enrollment key waits in $datadir/enrollment.key (mode 0600) until the Node has its own secret"
  fi
  # name=value words: a value that starts with -- stays a value.
  args=("--core=$core" "--data=$datadir")
  if [ -n "$name" ]; then args+=("--name=$name"); fi
  # had_allow is install_node's local (bash scopes dynamically); it picks the message shown after.
  had_allow=0
  if [ -n "$allow" ]; then
    args+=("--allow=$allow")
  elif current="$("$bin" config get allow --config "$config" 2>/dev/null)"; then
    had_allow=1
    say "keeping the allow list in $config: $current"
  else
    # A new install, or a config from before the Node was closed by default: say it in the file.
    args+=(--allow none)
  fi
  say "writing $config (mode 0600)"
  "$bin" config set --config "$config" "${args[@]}" >/dev/null || die "cannot write $config (see above)"
}

write_unit() {
  cat >"$unit.tmp" <<EOF
[Unit]
Description=SentinelX Node
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=$bin run --config $config
Restart=always
RestartSec=5
# SIGTERM lets the Node flush its outbox before it exits.
KillSignal=SIGTERM
TimeoutStopSec=20

[Install]
WantedBy=multi-user.target
EOF
  mv -f "$unit.tmp" "$unit"
}

install_node() { # CORE KEY NAME START ALLOW
  local core="$1" key="$2" name="$3" start="$4" allow="$5" rid url expected actual version old=""
  [ -n "$core" ] || core="$(existing_core)"
  [ -n "$core" ] || die "--core URL is required (the address of the SentinelX Core, e.g. http://core.example:5080)"
  case "$core" in http://* | https://*) ;; *) die "--core \"$core\" must start with http:// or https://" ;; esac
  core="${core%/}"
  if [[ "$name" =~ [[:cntrl:]] ]]; then die "--name must not contain control characters"; fi
  if [ -n "$allow" ]; then check_allow "$allow"; fi
  if [ -z "$key" ] && needs_key; then
    die "the enrollment key is required for a first install: set SENTINELX_KEY (or --key); sentinelx key show on the Core prints it"
  fi

  rid="$(detect_rid)"
  url="$core/download/sentinelx-node-$rid"
  workdir="$(mktemp -d)"

  say "downloading $url"
  fetch "$url" "$workdir/sentinelx-node"

  expected="$(pinned_for "$rid")"
  if [ -n "$expected" ]; then
    say "verifying the SHA-256 checksum pinned in this script"
  else
    # A script not served by a Core (or by one that had no binary for this rid when it rendered
    # it): the checksum comes from the same place as the binary, so it catches corruption only.
    say "warning: this script pins no checksum for $rid; using $url.sha256 (detects corruption, not tampering)"
    fetch "$url.sha256" "$workdir/sentinelx-node.sha256"
    read -r expected _ <"$workdir/sentinelx-node.sha256" || true
  fi
  expected="$(printf '%s' "${expected:-}" | tr 'A-F' 'a-f')"
  [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "no valid SHA-256 checksum for $url; nothing was installed"
  actual="$(sha256_of "$workdir/sentinelx-node")"
  if [ "$actual" != "$expected" ]; then
    die "checksum mismatch for $url: expected $expected, got $actual; the download is corrupt or was altered on the way, so nothing was installed"
  fi
  chmod 755 "$workdir/sentinelx-node"
  version="$("$workdir/sentinelx-node" --version 2>&1)" \
    || die "the downloaded Node does not start on this system ($rid): $version"
  say "checksum OK; $version"

  if [ -x "$bin" ]; then old="$("$bin" --version 2>/dev/null || echo "an unknown version")"; fi
  if [ -n "$old" ]; then say "upgrading $bin ($old)"; else say "installing $bin"; fi
  mkdir -p "$(dirname "$bin")"
  # Copy beside, then rename: a running Node keeps its old file and the path is never half-written.
  cp "$workdir/sentinelx-node" "$bin.new"
  chmod 755 "$bin.new"
  mv -f "$bin.new" "$bin"

  local had_allow=0
  configure_node "$core" "$key" "$name" "$allow"
  case "$allow" in
    none) say "monitor only: the Core cannot run commands, open a terminal, touch files, use Docker or forward ports here" ;;
    "")
      if [ "$had_allow" = 0 ]; then
        if [ -f "$datadir/identity.json" ]; then
          say "this config had no allow list (which used to allow everything); it now says allow = [] (monitor only)"
        fi
        say "monitor only: the Core cannot run commands, open a terminal, touch files, use Docker or forward ports here"
        say "to allow more, run this script again with --allow, e.g. --allow exec,files (of exec, shell, files, docker, forward)"
      fi ;;
    *) say "the Core may use only: $allow (each still off until an admin turns it on)" ;;
  esac
  if [ -f "$datadir/identity.json" ]; then say "keeping the Node's identity in $datadir"; fi

  local run_cmd
  run_cmd="$(printf '%q run --config %q' "$bin" "$config")"
  if use_systemd; then
    say "installing the systemd unit $unit"
    write_unit
    systemctl daemon-reload
    if [ "$start" = 1 ]; then
      say "starting sentinelx-node.service"
      systemctl enable sentinelx-node.service >/dev/null 2>&1 || die "systemctl enable sentinelx-node.service failed"
      systemctl restart sentinelx-node.service || die "systemctl restart sentinelx-node.service failed; see journalctl -u sentinelx-node"
      say "done: the Node is running; logs: journalctl -u sentinelx-node -f"
    else
      say "done: start the Node with: systemctl enable --now sentinelx-node"
    fi
  else
    if [ -n "$old" ]; then say "done: restart the running Node to use the new binary"; else say "done"; fi
    say "run the Node with:"
    printf '  %s\n' "$run_cmd"
  fi
}

uninstall_node() {
  local removed=0 dir path
  if use_systemd && [ -f "$unit" ]; then
    say "stopping and disabling sentinelx-node.service"
    systemctl disable --now sentinelx-node.service >/dev/null 2>&1 || true
    rm -f "$unit"
    systemctl daemon-reload || true
    removed=1
  fi
  for path in "$bin" "$config" "$legacy_config" "$legacy_config.bak"; do
    if [ -e "$path" ]; then
      say "removing $path"
      rm -f "$path"
      removed=1
    fi
  done
  if [ -d "$datadir" ]; then
    say "removing $datadir (the Node's identity and unsent samples)"
    rm -rf "$datadir"
    removed=1
  fi
  # Directories this script created, if they are now empty; rmdir leaves anything else alone.
  rmdir "$prefix/etc/sentinelx" 2>/dev/null || true
  if [ -n "$prefix" ]; then
    for dir in usr/local/bin usr/local usr etc var/lib var; do rmdir "$prefix/$dir" 2>/dev/null || true; done
  fi
  if [ "$removed" = 1 ]; then say "done: the Node is removed"; else say "nothing to remove: no Node is installed under ${prefix:-/}"; fi
}

main() {
  local core="" key="${SENTINELX_KEY:-}" name="" start=1 uninstall=0 allow=""
  case "$default_core" in http://* | https://*) core="$default_core" ;; esac
  while [ $# -gt 0 ]; do
    case "$1" in
      --core | --key | --name | --prefix | --allow)
        if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi
        case "$1" in --core) core="$2" ;; --key) key="$2" ;; --name) name="$2" ;; --prefix) prefix="$2" ;; --allow) allow="$2" ;; esac
        shift 2 ;;
      --allow=*) allow="${1#*=}"; shift ;;
      --monitor-only) allow=none; shift ;;
      --core=*) core="${1#*=}"; shift ;;
      --key=*) key="${1#*=}"; shift ;;
      --name=*) name="${1#*=}"; shift ;;
      --prefix=*) prefix="${1#*=}"; shift ;;
      --no-start) start=0; shift ;;
      --uninstall) uninstall=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown argument $1 (see --help)" ;;
    esac
  done
  if [ "$prefix" = / ]; then prefix=""; fi
  resolve_paths
  if [ -z "$prefix" ] && [ "$(id -u)" != 0 ]; then
    die "run as root (sudo --preserve-env=SENTINELX_KEY bash install.sh ...), or install somewhere else with --prefix DIR"
  fi

  if [ "$uninstall" = 1 ]; then uninstall_node; else install_node "$core" "$key" "$name" "$start" "$allow"; fi
}

# Everything runs from here, once bash has read the whole script: a download cut short runs nothing.
main "$@"
