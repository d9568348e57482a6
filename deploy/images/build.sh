#!/bin/bash
# Builds the two gitpaas images from this workspace's packages (not from the npm registry):
#   localhost/gitpaas/git-sync:TAG   the sidecar
#   localhost/gitpaas/app:TAG        the reloader, running the app from the shared volume
# Usage: deploy/images/build.sh [--base IMAGE] [--tag TAG] [--prefix NAME/]
#   --base    base image with Node 24 (default node:24-bookworm-slim; CI: gitpaas-base:local)
#   --tag     image tag (default local)
#   --prefix  image name prefix (default localhost/gitpaas/)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASE=node:24-bookworm-slim
TAG=local
PREFIX=localhost/gitpaas/
while [ "$#" -gt 0 ]; do
  case "$1" in
    --base) BASE=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    *) echo "build.sh: unknown argument $1 (use --base, --tag, --prefix)" >&2; exit 2 ;;
  esac
done
PNPM=(flock /tmp/gitpaas-pnpm.lock npx -y pnpm@10)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

cd "$ROOT"
"${PNPM[@]}" --filter @gitpaas/git-sync --filter @gitpaas/reloader build >"$STAGE/build.log" 2>&1 || {
  tail -40 "$STAGE/build.log" >&2
  exit 1
}
# stage: image dir = <name> (Dockerfile + extras) + pkg/ (the package with its production
# dependencies, workspace packages copied in); source maps and type declarations are dropped
for spec in git-sync:@gitpaas/git-sync app:@gitpaas/reloader; do
  name=${spec%%:*}
  pkg=${spec#*:}
  cp -r "$HERE/$name" "$STAGE/$name"
  "${PNPM[@]}" --filter "$pkg" deploy --legacy --prod "$STAGE/$name/pkg" >"$STAGE/deploy-$name.log" 2>&1 || {
    tail -40 "$STAGE/deploy-$name.log" >&2
    exit 1
  }
  find "$STAGE/$name/pkg" \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) \
    -type f -delete 2>/dev/null || true
  docker build -q --network host --build-arg "BASE=$BASE" -t "$PREFIX$name:$TAG" "$STAGE/$name" \
    >/dev/null 2>"$STAGE/docker-$name.log" || {
    cat "$STAGE/docker-$name.log" >&2
    exit 1
  }
  echo "$PREFIX$name:$TAG $(docker image inspect -f '{{.Size}}' "$PREFIX$name:$TAG")"
done
