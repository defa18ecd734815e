#!/usr/bin/env bash
# Runs a command inside a brand-new Debian 12 root made from this repository's committed HEAD, so that an install
# step that only works because the host already has a package fails here, as it would on a user's new machine.
#   scripts/fresh_root.sh [COMMAND]      default: the README's two commands, "scripts/setup.sh && scripts/test.sh"
# How: debootstrap (minbase) once into $FRESH_BASE (default /var/tmp/fresh-bookworm, about 2 minutes), then for
# every run a copy of that untouched base, `git clone` of HEAD into it (uncommitted changes are not seen, as in CI),
# and a chroot with its own proc, a read-only sysfs and a private /dev/shm. Nothing of the host's file systems is
# bind-mounted in. Needs root (debootstrap, chroot, mount) and network access to a Debian mirror.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CMD=${1:-"scripts/setup.sh && scripts/test.sh"}
BASE=${FRESH_BASE:-/var/tmp/fresh-bookworm}  # the same recipe and place as ../shared/tools/fresh-check.sh: one cache
[ "$(id -u)" -eq 0 ] || { echo "fresh_root.sh: needs root (debootstrap, chroot)" >&2; exit 1; }

# The host's own Debian mirror, else the public one.
MIRROR=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1 || true)
MIRROR=${MIRROR:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

t0=$(date +%s)
if [ ! -x "$BASE/usr/bin/apt-get" ] || [ ! -x "$BASE/usr/bin/gpgv" ]; then
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  echo "fresh_root: making the base Debian 12 root in $BASE (once)" >&2
  rm -rf "$BASE.tmp" "$BASE"
  debootstrap --variant=minbase --include=gpgv,ca-certificates bookworm "$BASE.tmp" "$MIRROR" >/dev/null
  mv "$BASE.tmp" "$BASE"
fi

RUN=$(mktemp -d /var/tmp/qdqrt-fresh-run.XXXXXX)
R=$RUN/root
cleanup() {
  for m in dev/shm sys proc; do umount "$R/$m" 2>/dev/null || umount -l "$R/$m" 2>/dev/null || true; done
  if grep -q " $RUN/" /proc/mounts; then
    echo "fresh_root: something is still mounted under $RUN; left it in place" >&2
  else
    rm -rf "$RUN"
  fi
}
trap cleanup EXIT
cp -a "$BASE" "$R"
git clone -q "$REPO" "$R/root/project"
cp /etc/resolv.conf "$R/etc/resolv.conf"
# The network's trust, not a package: certificate authorities this host added locally (a TLS-intercepting egress
# proxy's, say) go into the root too, or npm could not reach its registry there. Nothing else of the host is copied.
extra_ca=()
for c in /usr/local/share/ca-certificates/*.crt; do [ -f "$c" ] && extra_ca+=("$c"); done
if [ ${#extra_ca[@]} -gt 0 ]; then
  mkdir -p "$R/usr/local/share/ca-certificates"
  cp "${extra_ca[@]}" "$R/usr/local/share/ca-certificates/"
  chroot "$R" update-ca-certificates >/dev/null 2>&1 || echo "fresh_root: update-ca-certificates failed in the root" >&2
  echo "fresh_root: added the host's ${#extra_ca[@]} local CA certificate(s) to the root's trust store" >&2
fi
mount -t proc proc "$R/proc"
mount -t sysfs -o ro sysfs "$R/sys"
mkdir -p "$R/dev/shm" && mount -t tmpfs tmpfs "$R/dev/shm"
echo "fresh_root: brand-new Debian 12 root ready after $(($(date +%s) - t0)) s; packages installed there: $(chroot "$R" dpkg-query -W -f='.' | wc -c)" >&2
echo "fresh_root: running: $CMD" >&2
chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
  NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt ${FRESH_ENV:-} \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c "cd /root/project && ( $CMD )"
echo "fresh_root: done in $(($(date +%s) - t0)) s" >&2
