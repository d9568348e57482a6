#!/bin/bash
# The container tier (`pnpm test:e2e`): builds the gitpaas images from this workspace on a base
# made without any image registry, then runs the reference deployments for real against a git
# daemon on 127.0.0.1: (a) Docker Compose, (b) the Kubernetes manifests (rendered, validated,
# then run by `podman kube play`: one pod, then three replicas converging through
# --trigger-fanout), (c) a real API server, (d) teardown. Needs root on Debian bookworm; never creates a
# bridge network (dockerd without bridge, host networking everywhere). Prints "N passed, M failed"
# and writes $GITPAAS_REPORT_DIR/e2e.json when that is set; exits 1 on any failure.
# Recipe and pitfalls: /work/shared/notes/containers.md.
# shellcheck disable=SC2317 # the checks are functions called through check/setup
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DEPLOY=$(dirname "$HERE")
ROOT=$(dirname "$DEPLOY")
WORK=$(mktemp -d /tmp/gitpaas-e2e.XXXXXX)
LOGS=$WORK/logs
mkdir -p "$LOGS"
export CONTAINERS_CONF=$WORK/containers.conf # podman settings for this run only
export DOCKER_CLI_HINTS=false

BASE_IMAGE=gitpaas-base:local
GITSYNC_IMAGE=localhost/gitpaas/git-sync:local
APP_IMAGE=localhost/gitpaas/app:local
PROJECT=gitpaas-e2e
GIT_PORT=19418 # fixed: the podman-ci overlay names it
GIT_HTTP_PORT=19419
GIT_USER=gitpaas-e2e
COMPOSE_APP_PORT=19080
COMPOSE_SYNC_PORT=19081
COMPOSE_STATUS_PORT=19091
DOTNET_APP_PORT=19280
DOTNET_SYNC_PORT=19281
DOTNET_STATUS_PORT=19291
DOTNET_PROJECT=gitpaas-e2e-dotnet
APP_DOTNET_IMAGE=localhost/gitpaas/app-dotnet:local
# the .NET variant runs where this machine has a .NET SDK to copy into the image
DOTNET_SDK=
if command -v dotnet >/dev/null; then DOTNET_SDK=$(dirname "$(readlink -f "$(command -v dotnet)")"); fi
POD_APP_PORT=19180 # fixed in deploy/k8s/overlays/podman-ci
POD_SYNC_PORT=19181
POD_STATUS_PORT=19190
POD=gitpaas-ci # the Pod of overlays/podman-ci; podman names its containers <pod>-<container>
# three replicas of that Pod on one host network: a port of each kind per replica (replicas-ci.mjs)
REPLICA_SYNC_PORTS=19291,19292,19293
REPLICA_APP_PORTS=19281,19282,19283
REPLICA_STATUS_PORTS=19271,19272,19273
REPO_URL=git://127.0.0.1:$GIT_PORT/app.git
HTTP_REPO_URL=http://127.0.0.1:$GIT_HTTP_PORT/app.git # basic auth: $GIT_USER + secrets/git-password

PASSED=0
FAILED=0
DOCKERD_PID=
GITD_PID=
GITHTTP_PID=
COMPOSE_FILE_CI=
DOTNET_FILE_CI=
K8S_CI=
K8S_REPLICAS=
FINISHED=
T_ALL=$(date +%s)

say() { echo "e2e: $*"; }

# check NAME CMD... : one counted check; the command's output is shown only when it fails
check() {
  local name=$1 t0 rc
  shift
  t0=$(date +%s)
  "$@" >"$LOGS/check.out" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    PASSED=$((PASSED + 1))
    echo "PASS $name ($(($(date +%s) - t0))s)"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $name ($(($(date +%s) - t0))s)"
    tail -n 60 "$LOGS/check.out" | sed 's/^/     /'
  fi
  return "$rc"
}

# setup NAME CMD... : a step everything after it needs; a failure counts once and ends the run
setup() {
  local name=$1 t0
  shift
  t0=$(date +%s)
  if "$@" >"$LOGS/setup.out" 2>&1; then
    echo "TIMING $name $(($(date +%s) - t0))s"
    grep '^SHOW ' "$LOGS/setup.out" | sed 's/^SHOW /     /'
  else
    FAILED=$((FAILED + 1))
    echo "FAIL setup: $name ($(($(date +%s) - t0))s)"
    tail -n 60 "$LOGS/setup.out" | sed 's/^/     /'
    finish
  fi
}

# wait_until SECONDS CMD... : polls CMD every 0.5 s until it succeeds or the deadline passes
wait_until() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# ---------------------------------------------------------------- machine setup

install_packages() {
  local missing=() pkg
  # catatonit by name: podman only Recommends it and docker.io's tini satisfies that, but
  # podman 4.3 needs catatonit for its pause image
  for pkg in docker.io docker-compose debootstrap podman catatonit git curl etcd-server; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=300 update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}"
}

ports_free() {
  local port busy=0
  for port in "$GIT_PORT" "$GIT_HTTP_PORT" "$COMPOSE_APP_PORT" "$COMPOSE_SYNC_PORT" "$COMPOSE_STATUS_PORT" \
    "$DOTNET_APP_PORT" "$DOTNET_SYNC_PORT" "$DOTNET_STATUS_PORT" \
    "$POD_APP_PORT" "$POD_SYNC_PORT" "$POD_STATUS_PORT" "$KUBE_ETCD_PORT" "$((KUBE_ETCD_PORT + 1))" "$KUBE_API_PORT" \
    ${REPLICA_SYNC_PORTS//,/ } ${REPLICA_APP_PORTS//,/ } ${REPLICA_STATUS_PORTS//,/ }; do
    if [ -n "$(ss -Hltn "sport = :$port")" ]; then
      echo "port $port is in use on this machine; stop what listens there (ss -ltnp 'sport = :$port')"
      busy=1
    fi
  done
  return "$busy"
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then
    echo "a Docker engine is already running; the e2e uses it and leaves it running"
    return 0
  fi
  # no bridge and no iptables: every container and build uses the host network
  /usr/sbin/dockerd --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
    >"$LOGS/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  wait_until 60 docker info || {
    tail -20 "$LOGS/dockerd.log"
    return 1
  }
}

stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill "$DOCKERD_PID" 2>/dev/null
  wait "$DOCKERD_PID" 2>/dev/null
  DOCKERD_PID=
  # dockerd 20.10 leaves this nsfs mount behind
  if mountpoint -q /run/docker/netns/default 2>/dev/null; then umount /run/docker/netns/default; fi
}

build_base() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    echo "SHOW $BASE_IMAGE exists, not rebuilt"
    return 0
  fi
  bash "$DEPLOY/images/base/build-base.sh" "$BASE_IMAGE"
}

build_images() {
  local line
  bash "$DEPLOY/images/build.sh" --base "$BASE_IMAGE" --prefix localhost/gitpaas/ --tag local \
    ${DOTNET_SDK:+--dotnet "$DOTNET_SDK"} >"$LOGS/images.txt" || return 1
  while read -r image bytes; do
    line="image size: $image $((bytes / 1000000)) MB (base $BASE_IMAGE: $(($(docker image inspect -f '{{.Size}}' "$BASE_IMAGE") / 1000000)) MB)"
    echo "SHOW $line"
  done <"$LOGS/images.txt"
}

# ---------------------------------------------------------------- the test repository

git_in() { git -C "$WORK/src" -c user.name=gitpaas-e2e -c user.email=e2e@localhost "$@"; }

make_repo() {
  mkdir -p "$WORK/repos"
  git init -q --bare -b main "$WORK/repos/app.git" &&
    git init -q -b main "$WORK/src" &&
    cp -r "$ROOT/examples/hello/." "$WORK/src/" &&
    git_in add -A && git_in commit -q -m "hello" &&
    git_in remote add origin "$WORK/repos/app.git" &&
    git_in push -q origin main || return 1
  [ -n "$DOTNET_SDK" ] || return 0
  git init -q --bare -b main "$WORK/repos/app-dotnet.git" &&
    git init -q -b main "$WORK/dotnet" &&
    cp -r "$ROOT/examples/aspnet/." "$WORK/dotnet/" &&
    dotnet_in add -A && dotnet_in commit -q -m "aspnet" &&
    dotnet_in remote add origin "$WORK/repos/app-dotnet.git" &&
    dotnet_in push -q origin main
}

dotnet_in() { git -C "$WORK/dotnet" -c user.name=gitpaas-e2e -c user.email=e2e@localhost "$@"; }

# the same repository two ways: git:// for the pod, HTTP with basic auth for Compose
start_git_servers() {
  git daemon --listen=127.0.0.1 --port="$GIT_PORT" --reuseaddr --export-all \
    --base-path="$WORK/repos" "$WORK/repos" >"$LOGS/git-daemon.log" 2>&1 &
  GITD_PID=$!
  mkdir -p "$WORK/secrets"
  openssl rand -hex 20 >"$WORK/secrets/git-password"
  openssl rand -hex 32 >"$WORK/secrets/trigger-secret"
  # the containers run as uid 1000 and read the secrets through bind mounts
  chmod 0644 "$WORK/secrets/"*
  node "$HERE/git-http-server.mjs" "$WORK/repos" "$GIT_HTTP_PORT" "$GIT_USER" "$WORK/secrets/git-password" \
    >"$LOGS/git-http.log" 2>&1 &
  GITHTTP_PID=$!
  wait_until 30 git ls-remote "$REPO_URL" &&
    wait_until 30 git ls-remote "http://$GIT_USER:$(cat "$WORK/secrets/git-password")@127.0.0.1:$GIT_HTTP_PORT/app.git"
}

# commit_message TEXT : a new revision with a new message.txt (and a healthy server.js); prints its hash
commit_message() {
  cp "$ROOT/examples/hello/server.js" "$WORK/src/server.js"
  echo "$1" >"$WORK/src/message.txt"
  git_in commit -q -am "$1" && git_in push -q origin main && git_in rev-parse HEAD
}

# commit_broken : a revision whose server crashes at start-up; prints its hash
commit_broken() {
  {
    echo "throw new Error('broken on purpose by the gitpaas e2e');"
    cat "$ROOT/examples/hello/server.js"
  } >"$WORK/src/server.js"
  git_in commit -q -am "broken" && git_in push -q origin main && git_in rev-parse HEAD
}

# revision_at PORT : the revision the app on 127.0.0.1:PORT says it runs
revision_at() {
  curl -fsS --max-time 5 "http://127.0.0.1:$1/version" |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).revision))'
}

serves() { [ "$(revision_at "$1")" = "$2" ]; }

# json_at URL EXPR : evaluates EXPR (a JS expression over `j`, the parsed JSON) and prints it
json_at() {
  curl -fsS --max-time 5 "$1" | node -e "let s='';process.stdin.on('data',(d)=>(s+=d)).on('end',()=>{const j=JSON.parse(s);console.log($2)})"
}

# published_is PORT HASH : git-sync's status says HASH is published
published_is() { [ "$(json_at "http://127.0.0.1:$1/status" 'j.publishedHash')" = "$2" ]; }

# release_failed PORT HASH : the reloader's ledger has a failed release of HASH
release_failed() {
  [ "$(json_at "http://127.0.0.1:$1/status" "(j.releases||[]).some((r)=>r.revision&&'$2'.startsWith(r.revision)&&r.outcome==='failed')")" = true ]
}

# keeps_serving PORT HASH SECONDS COND... : HASH answers on every probe while waiting for COND
keeps_serving() {
  local port=$1 hash=$2 deadline=$(($(date +%s) + $3)) got probes=0
  shift 3
  until "$@" >/dev/null 2>&1; do
    got=$(revision_at "$port" 2>&1) || got="no answer: $got"
    probes=$((probes + 1))
    [ "$got" = "$hash" ] || {
      echo "probe $probes: expected $hash, got $got"
      return 1
    }
    [ "$(date +%s)" -lt "$deadline" ] || {
      echo "still serving $hash after $probes probes, but the condition never held: $*"
      return 1
    }
    sleep 0.5
  done
  echo "served $hash on all $probes probes until: $*"
}

# ---------------------------------------------------------------- (a) Docker Compose

compose() { docker-compose -p "$PROJECT" -f "$COMPOSE_FILE_CI" "$@"; }

compose_render() {
  COMPOSE_FILE_CI=$WORK/compose.ci.rendered.yaml
  (
    cd "$DEPLOY/compose" &&
      GITPAAS_REPO=$HTTP_REPO_URL GITPAAS_REF=main GITPAAS_PERIOD=2s GITPAAS_USERNAME=$GIT_USER \
        GITPAAS_PASSWORD_SECRET=$WORK/secrets/git-password GITPAAS_PASSWORD_FILE=/run/secrets/git-password \
        GITPAAS_TRIGGER_SECRET=$WORK/secrets/trigger-secret GITPAAS_TRIGGER_SECRET_FILE=/run/secrets/trigger-secret \
        CI_APP_PORT=$COMPOSE_APP_PORT CI_GITSYNC_PORT=$COMPOSE_SYNC_PORT CI_RELOADER_STATUS_PORT=$COMPOSE_STATUS_PORT \
        docker-compose -f compose.yaml -f compose.ci.yaml config
  ) | node "$HERE/compose-ci.mjs" >"$COMPOSE_FILE_CI"
}

healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q "$1")")" = healthy ]; }

compose_up() {
  compose up -d || return 1
  wait_until 180 healthy app || {
    compose ps
    compose logs --tail=40
    return 1
  }
  serves "$COMPOSE_APP_PORT" "$H1" || {
    echo "expected revision $H1, got $(revision_at "$COMPOSE_APP_PORT")"
    return 1
  }
}

compose_hardened() {
  local svc id user ro bridges
  for svc in git-sync app; do
    id=$(compose ps -q "$svc")
    user=$(docker inspect -f '{{.Config.User}}' "$id")
    ro=$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$id")
    echo "$svc: user $user, read-only root $ro"
    [ "$user" = 1000:1000 ] && [ "$ro" = true ] || return 1
  done
  bridges=$(docker network ls -q --filter driver=bridge)
  [ -z "$bridges" ] || {
    echo "a bridge network exists: $bridges"
    return 1
  }
}

compose_push_live() {
  H2=$(commit_message "second revision") || return 1
  wait_until 90 serves "$COMPOSE_APP_PORT" "$H2" || {
    echo "expected revision $H2, got $(revision_at "$COMPOSE_APP_PORT")"
    compose logs --tail=40
    return 1
  }
}

compose_broken_push() {
  H3=$(commit_broken) || return 1
  keeps_serving "$COMPOSE_APP_PORT" "$H2" 120 published_is "$COMPOSE_SYNC_PORT" "$H3" || return 1
  keeps_serving "$COMPOSE_APP_PORT" "$H2" 120 release_failed "$COMPOSE_STATUS_PORT" "$H3" || {
    compose logs --tail=40 app
    return 1
  }
}

# post_push PORT SECRET : a GitHub-style signed push notification to git-sync's POST /sync;
# prints "<http status> <outcome>"
post_push() {
  local body='{"ref":"refs/heads/main"}' sig
  sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$2" | sed 's/^.* //')
  curl -sS -o "$WORK/trigger.json" -w '%{http_code}' --max-time 5 -X POST -H 'content-type: application/json' \
    -H 'x-github-event: push' -H "x-hub-signature-256: sha256=$sig" --data "$body" "http://127.0.0.1:$1/sync"
  printf ' %s\n' "$(node -e 'try{console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).outcome)}catch{console.log("-")}' "$WORK/trigger.json")"
}

# the trigger secret comes from a Compose secret: a wrong signature is refused even from loopback
compose_webhook() {
  local bad good
  bad=$(post_push "$COMPOSE_SYNC_PORT" not-the-secret)
  good=$(post_push "$COMPOSE_SYNC_PORT" "$(cat "$WORK/secrets/trigger-secret")")
  echo "POST /sync: wrong signature -> $bad, right signature -> $good"
  [ "$bad" = "401 unauthorized" ] && [ "$good" = "202 accepted" ]
}

# request METHOD URL BODY [SECRET] : a request signed with SECRET (X-Gitpaas-Signature) when
# given; prints "<http status> <outcome>"
request() {
  local sig=()
  [ -z "${4:-}" ] || sig=(-H "x-gitpaas-signature: sha256=$(printf '%s' "$3" | openssl dgst -sha256 -hmac "$4" | sed 's/^.* //')")
  curl -sS -o "$WORK/answer.json" -w '%{http_code}' --max-time 120 -X "$1" "${sig[@]}" --data "$3" "$2"
  printf ' %s\n' "$(node -e 'try{console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).outcome)}catch{console.log("-")}' "$WORK/answer.json")"
}

# noops_past PORT N : git-sync has done more than N syncs that published nothing
noops_past() { [ "$(sync_count "$1" noop)" -gt "$2" ]; }

# the dashboard is on the reloader's status port; a rollback sent there is passed on to git-sync,
# which wants the trigger secret (the request reaches it from another container), publishes the
# first revision, and keeps it live across polls
compose_rollback() {
  local url=http://127.0.0.1:$COMPOSE_STATUS_PORT unsigned signed noops page logs
  # read whole, then matched: `curl | grep -q` fails under pipefail when grep stops reading early
  page=$(curl -fsS --max-time 5 -H 'accept: text/html' "$url/") || return 1
  [[ $page == *'<title>gitpaas</title>'* ]] || {
    echo "no dashboard at $url/"
    return 1
  }
  unsigned=$(request POST "$url/rollback" "{\"revision\":\"$H1\"}")
  signed=$(request POST "$url/rollback" "{\"revision\":\"$H1\"}" "$(cat "$WORK/secrets/trigger-secret")")
  echo "POST /rollback through the reloader: unsigned -> $unsigned, signed -> $signed"
  [ "$unsigned" = "401 unauthorized" ] && [ "$signed" = "200 rolled-back" ] || return 1
  wait_until 120 serves "$COMPOSE_APP_PORT" "$H1" || {
    echo "expected revision $H1, got $(revision_at "$COMPOSE_APP_PORT")"
    compose logs --tail=40
    return 1
  }
  noops=$(sync_count "$COMPOSE_SYNC_PORT" noop)
  keeps_serving "$COMPOSE_APP_PORT" "$H1" 60 noops_past "$COMPOSE_SYNC_PORT" $((noops + 2)) || return 1
  [ "$(json_at "$url/api/state" 'j.sync.pinned.hash')" = "$H1" ] || return 1
  logs=$(curl -fsS --max-time 5 "$url/logs") || return 1
  [[ $logs == *' out hello '* ]] || {
    echo "GET /logs shows no output of the app: $logs"
    return 1
  }
}

# the password reached git (authenticated fetches) but none of what the deployment shows
compose_no_leak() {
  local password shown
  password=$(cat "$WORK/secrets/git-password")
  grep -q " $GIT_USER\$" "$LOGS/git-http.log" || {
    echo "the git server saw no authenticated request"
    return 1
  }
  shown="$(compose logs --no-color 2>&1)
$(curl -fsS --max-time 5 "http://127.0.0.1:$COMPOSE_SYNC_PORT/status")
$(curl -fsS --max-time 5 "http://127.0.0.1:$COMPOSE_SYNC_PORT/metrics")
$(curl -fsS --max-time 5 "http://127.0.0.1:$COMPOSE_STATUS_PORT/status")
$(curl -fsS --max-time 5 "http://127.0.0.1:$COMPOSE_STATUS_PORT/metrics")"
  echo "searched $(printf '%s' "$shown" | wc -l) lines of logs, status and metrics"
  if printf '%s' "$shown" | grep -qF "$password"; then
    echo "the git password shows up"
    return 1
  fi
}

compose_down() {
  compose down -v || return 1
  local left
  left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
  left+=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
  [ -z "$left" ] || {
    echo "left behind: $left"
    return 1
  }
}

# ---------------------------------------------------------------- (a2) Compose, the .NET variant

dcompose() { docker-compose -p "$DOTNET_PROJECT" -f "$DOTNET_FILE_CI" "$@"; }

dotnet_render() {
  DOTNET_FILE_CI=$WORK/compose.dotnet.rendered.yaml
  (
    cd "$DEPLOY/compose" &&
      GITPAAS_REPO=http://127.0.0.1:$GIT_HTTP_PORT/app-dotnet.git GITPAAS_REF=main GITPAAS_PERIOD=2s \
        GITPAAS_USERNAME=$GIT_USER \
        GITPAAS_PASSWORD_SECRET=$WORK/secrets/git-password GITPAAS_PASSWORD_FILE=/run/secrets/git-password \
        CI_APP_IMAGE=$APP_DOTNET_IMAGE \
        CI_APP_PORT=$DOTNET_APP_PORT CI_GITSYNC_PORT=$DOTNET_SYNC_PORT CI_RELOADER_STATUS_PORT=$DOTNET_STATUS_PORT \
        docker-compose -f compose.yaml -f compose.dotnet.yaml -f compose.ci.yaml config
  ) | node "$HERE/compose-ci.mjs" >"$DOTNET_FILE_CI"
}

# dotnet_field PORT FIELD : a field of what the ASP.NET Core app on 127.0.0.1:PORT answers on /
dotnet_field() {
  curl -fsS --max-time 5 "http://127.0.0.1:$1/" |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$2"
}
dotnet_message() { dotnet_field "$1" message; }
dotnet_serves() { [ "$(dotnet_field "$1" revision)" = "$2" ]; }

dotnet_up() {
  local first
  first=$(dotnet_in rev-parse HEAD)
  grep -q "$APP_DOTNET_IMAGE" "$DOTNET_FILE_CI" || {
    echo "the rendered file does not run $APP_DOTNET_IMAGE"
    return 1
  }
  dcompose up -d || return 1
  # the first revision: restore + publish inside the container (tens of seconds on 2 cores)
  wait_until 300 dotnet_serves "$DOTNET_APP_PORT" "$first" || {
    dcompose ps
    dcompose logs --tail=60 app
    return 1
  }
  echo "serves $first: $(dotnet_message "$DOTNET_APP_PORT")"
}

dotnet_push_live() {
  local hash
  sed -i 's/Hello from ASP.NET Core/Hello again from ASP.NET Core/' "$WORK/dotnet/Program.cs"
  dotnet_in commit -q -am "change the greeting" && dotnet_in push -q origin main || return 1
  hash=$(dotnet_in rev-parse HEAD)
  wait_until 300 dotnet_serves "$DOTNET_APP_PORT" "$hash" || {
    dcompose logs --tail=60 app
    return 1
  }
  echo "serves $hash: $(dotnet_message "$DOTNET_APP_PORT")"
  [ "$(json_at "http://127.0.0.1:$DOTNET_STATUS_PORT/status" "j.current.setup.cache")" = hit ] || {
    echo "the code-only push restored again: $(json_at "http://127.0.0.1:$DOTNET_STATUS_PORT/status" "JSON.stringify(j.current.setup)")"
    return 1
  }
}

dotnet_down() {
  dcompose down -v || return 1
  local left
  left=$(docker ps -aq --filter "label=com.docker.compose.project=$DOTNET_PROJECT")
  [ -z "$left" ] || {
    echo "left behind: $left"
    return 1
  }
}

# ---------------------------------------------------------------- (b) Kubernetes

k8s_valid() { kubectl kustomize "$DEPLOY/$1" | node "$DEPLOY/lib/validate-k8s.mjs"; }

podman_prepare() {
  # root here lacks CAP_SYS_RESOURCE: podman's default rlimits would fail ("error setting rlimit")
  cat >"$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
netns = "host"
CONF
  K8S_CI=$WORK/k8s-ci.yaml
  kubectl kustomize "$DEPLOY/k8s/overlays/podman-ci" >"$K8S_CI" &&
    docker save "$GITSYNC_IMAGE" "$APP_IMAGE" | podman load -q
}

# sync_count PORT STATUS : git-sync's git_sync_count_total{status="STATUS"} (0 when it has none)
sync_count() {
  curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" |
    awk -v want="git_sync_count_total{status=\"$2\"}" '$1 == want { n = $2 } END { print n + 0 }'
}

pod_up() {
  local published
  H4=$(commit_message "fixed revision") || return 1
  podman kube play --network host "$K8S_CI" || return 1
  wait_until 120 serves "$POD_APP_PORT" "$H4" || {
    echo "expected revision $H4, got $(revision_at "$POD_APP_PORT")"
    podman pod ps
    podman ps -a
    for c in git-sync app; do podman logs --tail=30 "$POD-$c"; done
    return 1
  }
  # the init container (git-sync --one-time) published H4 before the sidecar started, so the
  # sidecar finds it published: its syncs are no-ops until the next push
  wait_until 60 sidecar_found_published || {
    echo "the sidecar's metrics show no sync that found the revision already published"
    return 1
  }
  published=$(sync_count "$POD_SYNC_PORT" success) || return 1
  echo "sidecar syncs before the next push: $published published, $(sync_count "$POD_SYNC_PORT" noop) no-op"
  if [ "$published" -ne 0 ]; then
    echo "the sidecar published the first revision itself: did the init container run?"
    return 1
  fi
}

sidecar_found_published() { [ "$(sync_count "$POD_SYNC_PORT" noop)" -ge 1 ]; }

pod_push_live() {
  H5=$(commit_message "fifth revision") || return 1
  wait_until 90 serves "$POD_APP_PORT" "$H5" || {
    echo "expected revision $H5, got $(revision_at "$POD_APP_PORT")"
    for c in git-sync app; do podman logs --tail=30 "$POD-$c"; done
    return 1
  }
}

pod_broken_push() {
  H6=$(commit_broken) || return 1
  keeps_serving "$POD_APP_PORT" "$H5" 120 published_is "$POD_SYNC_PORT" "$H6" || return 1
  keeps_serving "$POD_APP_PORT" "$H5" 120 release_failed "$POD_STATUS_PORT" "$H6" || {
    podman logs --tail=30 "$POD-app"
    return 1
  }
}

# from the pod's own loopback (as kubectl port-forward arrives) no secret is needed: the
# previous revision, still kept, is published again and pinned while the broken one stays out
pod_rollback() {
  local answer
  answer=$(request POST "http://127.0.0.1:$POD_STATUS_PORT/rollback" '')
  echo "POST /rollback through the reloader -> $answer"
  [ "$answer" = "200 rolled-back" ] || return 1
  keeps_serving "$POD_APP_PORT" "$H5" 60 published_is "$POD_SYNC_PORT" "$H5" || return 1
  [ "$(json_at "http://127.0.0.1:$POD_SYNC_PORT/status" 'j.pinned.hash')" = "$H5" ]
}

pod_hardened() {
  local c got
  for c in git-sync app; do
    got=$(podman inspect -f '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}' "$POD-$c")
    echo "$c: user and read-only root: $got"
    [ "$got" = "1000:1000 true" ] || return 1
  done
  # the livenessProbes became podman healthchecks (curl in the container); no systemd runs them
  podman healthcheck run "$POD-app" && podman healthcheck run "$POD-git-sync"
}

# kube_down FILE : podman kube down, then nothing of podman's may be left
kube_down() {
  podman kube down "$1" || return 1
  local left
  left="$(podman ps -aq)$(podman pod ps -q)$(podman volume ls -q)"
  [ -z "$left" ] || {
    echo "left behind: $left"
    return 1
  }
}

# three replicas: podman 4.3 has no Service DNS and one host network, so replicas-ci.mjs makes
# three copies of the CI Pod with their own ports, each naming all three in --trigger-fanout
replicas_up() {
  local port
  mkdir -p "$WORK/trigger" && cp "$WORK/secrets/trigger-secret" "$WORK/trigger/secret" &&
    chmod 0755 "$WORK/trigger" && chmod 0644 "$WORK/trigger/secret" || return 1
  K8S_REPLICAS=$WORK/k8s-replicas.yaml
  kubectl kustomize "$DEPLOY/k8s/overlays/podman-ci" |
    node "$HERE/replicas-ci.mjs" "$WORK/trigger" "$REPLICA_SYNC_PORTS" "$REPLICA_APP_PORTS" "$REPLICA_STATUS_PORTS" \
      >"$K8S_REPLICAS" || return 1
  H7=$(commit_message "replicas") || return 1
  podman kube play --network host "$K8S_REPLICAS" || return 1
  for port in ${REPLICA_APP_PORTS//,/ }; do
    wait_until 120 serves "$port" "$H7" || {
      echo "expected revision $H7 on 127.0.0.1:$port, got $(revision_at "$port")"
      podman ps -a
      return 1
    }
  done
  echo "all three serve $H7"
}

# metric_of PORT SERIES : a series of git-sync's /metrics, e.g. 'gitpaas_trigger_fanout_total{result="ok"}'
metric_of() {
  curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v want="$2" '$1 == want { n = $2 } END { print n + 0 }'
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# field_of URL NAME : a string field of a JSON answer, without starting node (cheap to poll)
field_of() {
  curl -fsS --max-time 2 "$1" 2>/dev/null | tr -d '\n' | sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p"
}

# since_all T0 HASH PATH FIELD PORTS : polls every 0.1 s until FIELD at PATH is HASH on every port
# (30 s at most); prints the ms from T0 at which each port got there, in the order of PORTS
since_all() {
  local t0=$1 hash=$2 path=$3 field=$4 port left deadline=$(($(date +%s) + 30))
  declare -A at=()
  left=${5//,/ }
  while [ -n "$left" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    for port in $left; do
      [ "$(field_of "http://127.0.0.1:$port$path" "$field")" = "$hash" ] && at[$port]=$(($(now_ms) - t0))
    done
    left=$(for port in ${5//,/ }; do [ -n "${at[$port]:-}" ] || printf '%s ' "$port"; done)
    [ -z "$left" ] || sleep 0.1
  done
  for port in ${5//,/ }; do printf '%s ' "${at[$port]:-never}"; done
}

# the period is 1h: only the delivery to the second replica, re-sent by it, can move the others
replicas_fanout() {
  local t0 got port published served origin=${REPLICA_SYNC_PORTS#*,}
  origin=${origin%%,*}
  H8=$(commit_message "fanned out") || return 1
  t0=$(now_ms)
  got=$(post_push "$origin" "$(cat "$WORK/trigger/secret")")
  [ "$got" = "202 accepted" ] || {
    echo "POST /sync to 127.0.0.1:$origin answered $got"
    return 1
  }
  published=$(since_all "$t0" "$H8" /status publishedHash "$REPLICA_SYNC_PORTS")
  served=$(since_all "$t0" "$H8" /version revision "$REPLICA_APP_PORTS")
  echo "one delivery to the second replica: published after ${published% } ms, served after ${served% } ms (each replica)" |
    tee "$LOGS/fanout.txt"
  case "$published $served" in *never*) return 1 ;; esac
  got=$(metric_of "$origin" 'gitpaas_trigger_fanout_total{result="ok"}')
  [ "$got" -eq 2 ] || {
    echo "the replica on $origin counted $got fan-outs that reached a peer, expected 2"
    return 1
  }
  for port in ${REPLICA_SYNC_PORTS//,/ }; do
    [ "$port" = "$origin" ] && continue
    got=$(metric_of "$port" 'gitpaas_trigger_requests_total{outcome="accepted"}')
    [ "$got" -eq 1 ] || {
      echo "the replica on $port accepted $got deliveries, expected the one re-sent to it"
      return 1
    }
  done
}


# ---------------------------------------------------------------- (c) a real API server

# shellcheck source=SCRIPTDIR/kube-api.sh
. "$HERE/kube-api.sh"

# ---------------------------------------------------------------- (d) teardown

teardown_clean() {
  local left filter=()
  # on an engine this run did not start, only this run's objects are its business
  [ -n "$DOCKERD_PID" ] || filter=(--filter "label=com.docker.compose.project=$PROJECT")
  left="$(docker ps -aq "${filter[@]}")$(docker volume ls -q "${filter[@]}")"
  [ -z "$left" ] || {
    echo "docker containers or volumes left behind: $left"
    return 1
  }
  podman rmi -f "$GITSYNC_IMAGE" "$APP_IMAGE" >/dev/null 2>&1
  # images of earlier runs, replaced by this run's tags
  docker image prune -f >/dev/null
  if [ -n "$DOCKERD_PID" ]; then
    local pid=$DOCKERD_PID
    stop_dockerd
    if kill -0 "$pid" 2>/dev/null; then
      echo "dockerd $pid is still running"
      return 1
    fi
    if mountpoint -q /run/docker/netns/default 2>/dev/null; then
      echo "/run/docker/netns/default is still mounted"
      return 1
    fi
  fi
}

# best effort on any exit: nothing of this run may stay behind
cleanup() {
  set +e
  [ -n "$COMPOSE_FILE_CI" ] && [ -n "$(command -v docker-compose)" ] && compose down -v >/dev/null 2>&1
  [ -n "$DOTNET_FILE_CI" ] && [ -n "$(command -v docker-compose)" ] && dcompose down -v >/dev/null 2>&1
  [ -n "$K8S_CI" ] && podman kube down "$K8S_CI" >/dev/null 2>&1
  [ -n "$K8S_REPLICAS" ] && podman kube down "$K8S_REPLICAS" >/dev/null 2>&1
  local pid
  for pid in "$GITD_PID" "$GITHTTP_PID"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  stop_dockerd
  kube_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
  [ -n "$FINISHED" ] && exit 1
  FINISHED=1
  echo "TIMING total $(($(date +%s) - T_ALL))s"
  if [ -n "${GITPAAS_REPORT_DIR:-}" ]; then
    mkdir -p "$GITPAAS_REPORT_DIR"
    printf '{"passed":%d,"failed":%d}\n' "$PASSED" "$FAILED" >"$GITPAAS_REPORT_DIR/e2e.json"
  fi
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit
}

# ---------------------------------------------------------------- the run

[ "$(id -u)" -eq 0 ] || {
  echo "e2e: needs root (it installs packages and runs dockerd)" >&2
  FAILED=1
  finish
}

setup "apt packages" install_packages
setup "ports free" ports_free
setup "start dockerd" start_dockerd
setup "base image" build_base
setup "gitpaas images" build_images
setup "test repository" make_repo
setup "git servers" start_git_servers
H1=$(git_in rev-parse HEAD)
H2=''
H3=''
H4=''
H5=''
H6=''
H7=''
H8=''

say "(a) Docker Compose"
check "compose: CI file renders from compose.yaml + compose.ci.yaml, host network only" compose_render
check "compose: git-sync fetches with the password from a Compose secret, then the app serves the first revision" \
  compose_up
check "compose: both containers run as 1000:1000 on a read-only root, no bridge network" compose_hardened
check "compose: a pushed commit goes live" compose_push_live
check "compose: a broken push is published but never switched to; the old revision keeps answering" \
  compose_broken_push
check "compose: the dashboard's POST /rollback reaches git-sync signed; the first revision goes live and holds" \
  compose_rollback
check "compose: POST /sync checks signatures with the trigger secret from a Compose secret" compose_webhook
check "compose: the git password never shows in logs, status or metrics" compose_no_leak
check "compose: down -v removes the containers and the volume" compose_down

if [ -n "$DOTNET_SDK" ]; then
  say "(a2) Compose, the .NET variant (an ASP.NET Core app; SDK copied from $DOTNET_SDK)"
  check "compose (.NET): compose.yaml + compose.dotnet.yaml + compose.ci.yaml render, host network only" dotnet_render
  check "compose (.NET): the app image with the .NET SDK restores, publishes and serves the first revision" dotnet_up
  check "compose (.NET): a code-only push goes live without restoring again" dotnet_push_live
  check "compose (.NET): down -v removes the containers and the volumes" dotnet_down
else
  say "(a2) Compose, the .NET variant: skipped (no dotnet on this machine to copy into the image)"
fi

say "(b) Kubernetes"
check "k8s: deploy/k8s renders and validates (schema, unknown fields, non-root)" k8s_valid k8s
check "k8s: overlays/example renders and validates" k8s_valid k8s/overlays/example
check "k8s: overlays/podman-ci renders and validates" k8s_valid k8s/overlays/podman-ci
setup "podman: CI manifest + images" podman_prepare
check "podman: init container publishes the first revision, the app serves it" pod_up
check "podman: the sidecar's poll brings a pushed commit live" pod_push_live
check "podman: a broken push is published but never switched to; the old revision keeps answering" \
  pod_broken_push
check "podman: POST /rollback from the pod's loopback publishes the previous kept revision and pins it" \
  pod_rollback
check "podman: securityContext applied (1000:1000, read-only root), liveness checks pass" pod_hardened
check "podman: kube down removes the pod, its containers and emptyDir volumes" kube_down "$K8S_CI"
check "podman: three replicas (copies of the pod, a port each) come up serving the newest revision" replicas_up
check "podman: one signed delivery to one replica is re-sent to the others (--trigger-fanout): all three go live" \
  replicas_fanout
[ -f "$LOGS/fanout.txt" ] && sed 's/^/     /' "$LOGS/fanout.txt"
check "podman: kube down removes the replicas" kube_down "$K8S_REPLICAS"

say "(c) a real Kubernetes API server"
setup "API server: etcd + kube-apiserver on 127.0.0.1" kube_start
check "api server: deploy/k8s applies (server dry run, apply, empty diff)" kube_apply k8s
check "api server: overlays/example applies (server dry run, apply, empty diff)" kube_apply k8s/overlays/example
check "api server: overlays/podman-ci applies (server dry run, apply, empty diff)" kube_apply k8s/overlays/podman-ci
check "api server: a manifest with an unknown field is rejected" kube_rejects
kube_stop

say "(d) teardown"
check "teardown: no container or volume left, our dockerd stopped, its netns unmounted" teardown_clean
finish
