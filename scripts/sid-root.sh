# shellcheck shell=bash
# Sourced by scripts/setup and scripts/test: a Debian sid root that brings Python >= 3.14.2 to a
# machine that has none (Home Assistant 2026.3 and later need it; Debian 12 and 13 ship older ones).
#
# The root is machine-wide (every checkout and CI clone reuses it). The checkout is bind-mounted
# at its own absolute path, so a venv made inside the root works with the same
# paths as on the host. All mounts are made in a private mount namespace (unshare --mount) that
# ends with the command: nothing stays mounted on the host, whether the command passes, fails or
# is interrupted (the kernel drops the namespace with its last process).
#
# The sourcing script provides say, fail and is_root, and apt_install where ensure_sid_root runs.

SID_ROOT=${WMBUS_SID_ROOT:-/opt/wmbus-sid}
SID_PACKAGES=(python3.14 python3.14-venv python3.14-dev gcc g++ make ca-certificates mosquitto
  mosquitto-clients)

# The mount table entries at or under a directory, deepest first.
mounts_under() {
  local dir=$1
  findmnt -rn -o TARGET 2>/dev/null | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r
}

# Debootstrap mounts /proc and /sys in its target; a killed run could leave them, and removing a
# root with a live /dev or /proc under it would reach the host's.
refuse_if_mounted() {
  local dir=$1 left
  left=$(mounts_under "$dir")
  [ -z "$left" ] || fail "refusing to remove $dir: still mounted: $(echo "$left" | tr '\n' ' ')"
}

sid_python_ok() {
  [ -x "$SID_ROOT/usr/bin/python3.14" ] || return 1
  chroot "$SID_ROOT" /usr/bin/python3.14 -c 'import sys, ssl, sqlite3, ctypes, lzma, bz2, zlib, venv
sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)' >/dev/null 2>&1
}

# Files the root takes from the host each time: name resolution and the CA bundle (pip and uv
# verify the registry against it; the host may trust more than sid's package does).
sid_sync_host_files() {
  local f
  for f in /etc/resolv.conf /etc/ssl/certs/ca-certificates.crt; do
    [ -f "$f" ] || continue
    mkdir -p "$SID_ROOT$(dirname "$f")"
    cmp -s "$f" "$SID_ROOT$f" 2>/dev/null || cp -L "$f" "$SID_ROOT$f"
  done
}

# Creates the root once per machine (about a minute and 0.7 GB); later calls only add packages
# that a newer checkout asks for.
ensure_sid_root() {
  exec 9>"$SID_ROOT.lock"
  flock 9
  if ! sid_python_ok; then
    is_root || fail "no Python >= 3.14.2: set PYTHON314=/path/to/python3.14 or run as root (a Debian sid root is made at $SID_ROOT)"
    command -v debootstrap >/dev/null || apt_install debootstrap
    command -v unshare >/dev/null || fail "unshare (util-linux) is needed to run the sid root"
    local uri partial="$SID_ROOT.partial"
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    say "making a Debian sid root at $SID_ROOT for Python 3.14 (once per machine)"
    refuse_if_mounted "$partial"
    rm -rf "$partial"
    local include
    include=$(IFS=,; echo "${SID_PACKAGES[*]}")
    # In its own mount namespace, so whatever debootstrap mounts cannot outlive it.
    unshare --mount --propagation private -- \
      debootstrap --variant=minbase --include="$include" sid "$partial" "$uri" \
      >"$SID_ROOT.debootstrap.log" 2>&1 \
      || { tail -20 "$SID_ROOT.debootstrap.log" >&2; fail "debootstrap failed (log: $SID_ROOT.debootstrap.log)"; }
    refuse_if_mounted "$partial"
    refuse_if_mounted "$SID_ROOT"
    rm -rf "$SID_ROOT"
    mv "$partial" "$SID_ROOT"
    sid_python_ok || fail "the sid root at $SID_ROOT has no working Python >= 3.14.2"
  fi
  sid_sync_host_files
  local missing=() p
  for p in "${SID_PACKAGES[@]}"; do
    chroot "$SID_ROOT" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    is_root || fail "the sid root lacks ${missing[*]} and only root can add them"
    say "adding ${missing[*]} to $SID_ROOT"
    sid_run / sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null' \
      sh "${missing[@]}" || fail "apt-get install ${missing[*]} in $SID_ROOT failed"
  fi
  flock -u 9
  exec 9>&-
}

# sid_run CHECKOUT CMD...: runs CMD inside the sid root, in the current directory, with CHECKOUT
# at its host path (everything the tests read is inside it). The exit status is CMD's.
sid_run() {
  local checkout=$1
  shift
  is_root || fail "running the sid root needs root (mounts and chroot)"
  unshare --mount --propagation private -- /bin/bash -c '
    set -e
    root=$1 checkout=$2 cwd=$3
    shift 3
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    if [ "$checkout" != / ]; then
      mkdir -p "$root$checkout"
      mount --bind "$checkout" "$root$checkout"
    fi
    [ -d "$root$cwd" ] || cwd=/
    exec chroot "$root" /usr/bin/env -C "$cwd" HOME=/root \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
  ' sid_run "$SID_ROOT" "$checkout" "$PWD" "$@"
}
