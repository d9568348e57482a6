#!/bin/bash
# Prints the path of a kube-apiserver binary built from Debian's `kubernetes` source package,
# building it once (≈ 7 min on 2 cores) and caching it outside the clone, keyed by the source
# version, so later runs on the same machine reuse it. Needs root on Debian bookworm.
# Recipe: build with bookworm's Go from the vendored source, no network but the Debian mirror.
set -euo pipefail
CACHE=${GITPAAS_KUBE_CACHE:-/var/cache/gitpaas}
LOG=${GITPAAS_KUBE_LOG:-/dev/stderr}

# one build at a time: CI starts it early in the background, the container tier then waits here
mkdir -p "$CACHE"
exec 9>"$CACHE/kube-apiserver.lock"
flock 9

apt_quiet() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@" >>"$LOG" 2>&1; }

# a deb-src line for bookworm, in its own file, from the mirror apt already uses
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 | awk '{print $2}')
  mirror=${mirror:-http://deb.debian.org/debian}
  printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" >/etc/apt/sources.list.d/gitpaas-src.sources
  apt_quiet update -qq
fi
version=$(apt-cache showsrc kubernetes 2>/dev/null | awk '/^Version:/ {print $2; exit}')
[ -n "$version" ] || { apt_quiet update -qq; version=$(apt-cache showsrc kubernetes | awk '/^Version:/ {print $2; exit}'); }
[ -n "$version" ] || { echo "kube-apiserver.sh: no kubernetes source package in the apt sources" >&2; exit 1; }
bin=$CACHE/kube-apiserver-$version/kube-apiserver
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

missing=()
for pkg in golang-go rsync jq dpkg-dev; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
[ ${#missing[@]} -eq 0 ] || apt_quiet install -y -qq "${missing[@]}"
work=$(mktemp -d /tmp/gitpaas-kube-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -qq --download-only kubernetes >>"$LOG" 2>&1)
orig=$(find "$work" -maxdepth 1 -name "kubernetes_*.orig.tar.*" | head -1)
mkdir -p "$work/src"
tar -xf "$orig" -C "$work/src" --strip-components=1
(cd "$work/src" && GOPROXY=off GOFLAGS=-mod=vendor GOCACHE="$work/gocache" make WHAT=cmd/kube-apiserver >>"$LOG" 2>&1)
mkdir -p "$(dirname "$bin")"
install -m 0755 "$work/src/_output/bin/kube-apiserver" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$bin"
