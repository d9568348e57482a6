# shellcheck shell=bash
# A real Kubernetes API server on 127.0.0.1 for the container tier (sourced by run.sh): etcd from
# Debian and kube-apiserver built from Debian's kubernetes source package (kube-apiserver.sh,
# cached outside the clone). Nothing runs the pods (no scheduler or kubelet): it checks what
# `kubectl apply -k` means to a real API server — schema, unknown fields, names, admission.
# Recipe: /work/shared/notes/containers.md, section 7.

KUBE_ETCD_PORT=${KUBE_ETCD_PORT:-19379}
KUBE_API_PORT=${KUBE_API_PORT:-19443}
KUBE_DIR=
ETCD_PID=
APISERVER_PID=

# kube_bin : the cached kube-apiserver binary (building it the first time, ≈ 7–12 min on 2 cores)
kube_bin() {
  GITPAAS_KUBE_LOG="$LOGS/kube-apiserver-build.log" bash "$HERE/kube-apiserver.sh"
}

kube_start() {
  local bin
  bin=$(kube_bin) || {
    tail -30 "$LOGS/kube-apiserver-build.log"
    return 1
  }
  echo "SHOW kube-apiserver: $bin"
  KUBE_DIR=$WORK/kube
  mkdir -p "$KUBE_DIR/certs"
  etcd --name gitpaas-ci --data-dir "$KUBE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((KUBE_ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((KUBE_ETCD_PORT + 1))" \
    --initial-cluster "gitpaas-ci=http://127.0.0.1:$((KUBE_ETCD_PORT + 1))" >"$LOGS/etcd.log" 2>&1 &
  ETCD_PID=$!
  local token
  token=$(openssl rand -hex 16)
  echo "$token,admin,admin,system:masters" >"$KUBE_DIR/tokens.csv"
  openssl genrsa -out "$KUBE_DIR/sa.key" 2048 2>/dev/null &&
    openssl rsa -in "$KUBE_DIR/sa.key" -pubout -out "$KUBE_DIR/sa.pub" 2>/dev/null || return 1
  # 198.18.0.0/24 (benchmarking range) keeps the service CIDR, bookkeeping only, out of the private ranges
  "$bin" --etcd-servers="http://127.0.0.1:$KUBE_ETCD_PORT" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$KUBE_API_PORT" --cert-dir="$KUBE_DIR/certs" --token-auth-file="$KUBE_DIR/tokens.csv" \
    --service-account-key-file="$KUBE_DIR/sa.pub" --service-account-signing-key-file="$KUBE_DIR/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range=198.18.0.0/24 \
    --authorization-mode=AlwaysAllow --enable-priority-and-fairness=false >"$LOGS/kube-apiserver.log" 2>&1 &
  APISERVER_PID=$!
  export KUBECONFIG=$KUBE_DIR/kubeconfig
  cat >"$KUBECONFIG" <<CONF
apiVersion: v1
kind: Config
clusters:
  - name: ci
    cluster: { server: "https://127.0.0.1:$KUBE_API_PORT", insecure-skip-tls-verify: true }
users:
  - name: admin
    user: { token: "$token" }
contexts:
  - name: ci
    context: { cluster: ci, user: admin }
current-context: ci
CONF
  wait_until 120 kubectl get --raw /readyz || {
    tail -20 "$LOGS/kube-apiserver.log"
    return 1
  }
  echo "SHOW API server $(kubectl version -o json 2>/dev/null | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).serverVersion.gitVersion))') on 127.0.0.1:$KUBE_API_PORT"
}

kube_stop() {
  local pid
  for pid in "$APISERVER_PID" "$ETCD_PID"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  APISERVER_PID=
  ETCD_PID=
}

# kube_namespace_of DIR : the namespace a kustomization deploys into (empty: default)
kube_namespace_of() {
  kubectl kustomize "$DEPLOY/$1" | awk '$1 == "namespace:" { print $2; exit }'
}

# kube_apply DIR : a server-side dry run, a real apply, then an empty diff (nothing drifts)
kube_apply() {
  local ns
  ns=$(kube_namespace_of "$1")
  ns=${ns:-default}
  if ! kubectl get namespace "$ns" >/dev/null 2>&1; then
    kubectl create namespace "$ns" || return 1
  fi
  # a cluster's controller-manager creates each namespace's default service account, which a
  # bare Pod needs to be admitted; this API server runs without one
  if ! kubectl -n "$ns" get serviceaccount default >/dev/null 2>&1; then
    kubectl -n "$ns" create serviceaccount default || return 1
  fi
  kubectl apply --dry-run=server -k "$DEPLOY/$1" || return 1
  kubectl apply -k "$DEPLOY/$1" || return 1
  kubectl diff -k "$DEPLOY/$1"
}

# kube_rejects : the API server refuses what the offline validator cannot catch (an unknown field)
kube_rejects() {
  local out
  out=$(kubectl kustomize "$DEPLOY/k8s" | sed 's/volumeMounts:/volumeMountz:/' |
    kubectl apply --dry-run=server --validate=true -f - 2>&1) && {
    echo "a manifest with an unknown field was accepted: $out"
    return 1
  }
  echo "$out" | grep -q 'volumeMountz' || {
    echo "rejected, but not for the unknown field: $out"
    return 1
  }
  echo "rejected as expected: $(echo "$out" | grep -m1 volumeMountz)"
}
