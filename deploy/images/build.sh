#!/bin/bash
# Builds the two gitpaas images from this workspace's packages (not from the npm registry):
#   PREFIXgit-sync:TAG   the sidecar (@gitpaas/git-sync)
#   PREFIXapp:TAG        the reloader (@gitpaas/reloader), running the app from the shared volume
#   PREFIXapp-dotnet:TAG with --dotnet: the app image on a base with a .NET SDK beside Node
# Usage: deploy/images/build.sh [--base IMAGE] [--tag TAG] [--prefix NAME/] [--dotnet [DIR]]
#   --base    base image with Node 24 (default node:24-bookworm-slim; CI: gitpaas-base:local)
#   --tag     image tag (default: the package's version, as deploy/compose and deploy/k8s expect)
#   --prefix  image name prefix (default ghcr.io/gitpaas/, the intended published names; e.g. registry.example.com/team/)
#   --dotnet  also build app-dotnet, with the .NET SDK installed in DIR (default: this machine's)
# Needs docker and Node; on a fresh clone it installs the workspace (pnpm install) first.
# Prints "IMAGE SIZE_BYTES" per image.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASE=node:24-bookworm-slim
TAG=
PREFIX=ghcr.io/gitpaas/
DOTNET=
while [ "$#" -gt 0 ]; do
  case "$1" in
    --base) BASE=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --dotnet)
      if [ -n "${2:-}" ] && [ "${2#-}" = "$2" ]; then DOTNET=$2; shift 2; else DOTNET=auto; shift; fi ;;
    *) echo "build.sh: unknown argument $1 (use --base, --tag, --prefix, --dotnet)" >&2; exit 2 ;;
  esac
done
if [ "$DOTNET" = auto ]; then
  command -v dotnet >/dev/null || {
    echo "build.sh: --dotnet: no dotnet on PATH; pass the SDK's directory: --dotnet /usr/share/dotnet" >&2
    exit 2
  }
  DOTNET=$(dirname "$(readlink -f "$(command -v dotnet)")")
fi
if [ -n "$DOTNET" ] && [ ! -x "$DOTNET/dotnet" ]; then
  echo "build.sh: --dotnet $DOTNET: no dotnet executable there" >&2
  exit 2
fi
PNPM=(npx -y pnpm@10)
# serialise with other pnpm runs when several jobs share one checkout
if command -v flock >/dev/null; then PNPM=(flock /tmp/gitpaas-pnpm.lock "${PNPM[@]}"); fi
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

cd "$ROOT"
# a fresh clone has no node_modules yet: install the workspace first (turbo, tsup, pnpm deploy need it)
if [ ! -x node_modules/.bin/turbo ]; then
  "${PNPM[@]}" install --frozen-lockfile >"$STAGE/install.log" 2>&1 || {
    tail -40 "$STAGE/install.log" >&2
    exit 1
  }
fi
# turbo builds their workspace dependencies (@gitpaas/core) first and reuses its cache when the
# sources have not changed since the last build (e.g. the test run before the container tier)
TURBO_TELEMETRY_DISABLED=1 "${PNPM[@]}" exec turbo run build --filter=@gitpaas/git-sync --filter=@gitpaas/reloader \
  --output-logs=errors-only >"$STAGE/build.log" 2>&1 || {
  tail -40 "$STAGE/build.log" >&2
  exit 1
}
# stage: image dir = <name> (Dockerfile + extras) + pkg/ (the package with its production
# dependencies, workspace packages copied in); source maps and type declarations are dropped
for spec in git-sync:@gitpaas/git-sync app:@gitpaas/reloader; do
  name=${spec%%:*}
  pkg=${spec#*:}
  tag=${TAG:-$(node -p "require('./packages/${pkg#@gitpaas/}/package.json').version")}
  cp -r "$HERE/$name" "$STAGE/$name"
  "${PNPM[@]}" --filter "$pkg" deploy --legacy --prod "$STAGE/$name/pkg" >"$STAGE/deploy-$name.log" 2>&1 || {
    tail -40 "$STAGE/deploy-$name.log" >&2
    exit 1
  }
  find "$STAGE/$name/pkg" \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) \
    -type f -delete 2>/dev/null || true
  docker build -q --network host --build-arg "BASE=$BASE" -t "$PREFIX$name:$tag" "$STAGE/$name" \
    >/dev/null 2>"$STAGE/docker-$name.log" || {
    cat "$STAGE/docker-$name.log" >&2
    exit 1
  }
  echo "$PREFIX$name:$tag $(docker image inspect -f '{{.Size}}' "$PREFIX$name:$tag")"
done
# the .NET variant: a base with the SDK (copied from $DOTNET; its templates are not needed), then
# the app image staged above built FROM it
if [ -n "$DOTNET" ]; then
  tag=${TAG:-$(node -p "require('./packages/reloader/package.json').version")}
  cp -r "$HERE/dotnet" "$STAGE/dotnet"
  mkdir -p "$STAGE/dotnet/dotnet"
  (cd "$DOTNET" && tar -c --exclude=./templates .) | tar -x -C "$STAGE/dotnet/dotnet"
  docker build -q --network host --build-arg "BASE=$BASE" -t "${PREFIX}dotnet-base:$tag" "$STAGE/dotnet" \
    >/dev/null 2>"$STAGE/docker-dotnet.log" || {
    cat "$STAGE/docker-dotnet.log" >&2
    exit 1
  }
  docker build -q --network host --build-arg "BASE=${PREFIX}dotnet-base:$tag" -t "${PREFIX}app-dotnet:$tag" \
    "$STAGE/app" >/dev/null 2>"$STAGE/docker-app-dotnet.log" || {
    cat "$STAGE/docker-app-dotnet.log" >&2
    exit 1
  }
  echo "${PREFIX}app-dotnet:$tag $(docker image inspect -f '{{.Size}}' "${PREFIX}app-dotnet:$tag")"
fi
