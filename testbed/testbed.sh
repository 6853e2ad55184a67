#!/usr/bin/env bash
# The local Kubernetes test bed: upstream kube-apiserver, kube-controller-manager, kube-scheduler,
# etcd and kwok, built from source pinned in go.mod and run as local processes (no containers).
#
#   testbed/testbed.sh build   build the binaries into the cache (skipped when present)
#   testbed/testbed.sh up      build if needed, then start the cluster (idempotent)
#   testbed/testbed.sh down    stop the cluster and remove its state
#   testbed/testbed.sh status  exit 0 when the cluster answers
#   testbed/testbed.sh hpa-sync-period  the running cluster's HPA sync period (see below)
#   testbed/testbed.sh pod-net print the second octet of the pod network (127.<net>.0.0/16)
#   testbed/testbed.sh otelcol build the OpenTelemetry Collector of testbed/otelcol (OTLP receiver,
#                              file exporter) into the cache if needed; print its path
#   testbed/testbed.sh fakegcs build fake-gcs-server (testbed/fakegcs, the GCS emulator of the
#                              backup tests) into the cache if needed; print its path
#   testbed/testbed.sh azurite install Azurite and the Azure Storage SDK (testbed/azurite, npm ci
#                              of its lock file) into the cache if needed; print the directory
#
# Binaries are cached by the hash of go.mod and go.sum under $PGTRICKLE_CACHE (default
# ~/.cache/pg-trickle), so a second run builds nothing. The cluster's state, kubeconfig and the
# links to the binaries live in target/testbed/.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
testbed="$root/testbed"
work="${TESTBED_DIR:-$root/target/testbed}"
cluster="${TESTBED_CLUSTER:-pgtrickle}"
nodes="${TESTBED_NODES:-3}"
# Pod IPs are 127.<net>.<node>.<n>: loopback, so the pod player can bind them. The second octet
# comes from the test bed's directory, so test beds of two checkouts on one machine never hand
# out the same pod IP (their PostgreSQL processes would collide on it).
pod_net="${TESTBED_POD_NET:-$(( 16#$(printf %s "$work" | sha256sum | cut -c1-2) % 200 + 20 ))}"
# kube-apiserver's default (10.0.0.0/24) holds 254 Services: too few for the 200-cluster benchmark.
service_cidr="10.96.0.0/16"
cache_root="${PGTRICKLE_CACHE:-$HOME/.cache/pg-trickle}"
k8s_version="$(awk '$1=="k8s.io/kubernetes"{print $2}' "$testbed/go.mod")"
# Bump recipe when the way the binaries are built changes, so old caches are not reused.
recipe=2
key="$( (cat "$testbed/go.mod" "$testbed/go.sum"; echo "$recipe") | sha256sum | cut -c1-16)"
cache="$cache_root/testbed/$k8s_version-$key"
kubeconfig="$work/kubeconfig"
export KWOK_WORKDIR="$work/kwok"
# The HPA controller's sync period (kube-controller-manager --horizontal-pod-autoscaler-sync-period).
# Tests get 1s so a scaling step shows within seconds; TESTBED_HPA_SYNC_PERIOD=15s is Kubernetes'
# stock setting (make bench-hpa compares the two). A running cluster keeps the period it was started
# with (`testbed.sh hpa-sync-period` prints it); asking for another one explicitly is refused.
hpa_sync_period="${TESTBED_HPA_SYNC_PERIOD:-1s}"
# The aggregation layer's front proxy (kube-apiserver -> aggregated API servers such as the metrics
# adapter): its own CA and client certificate, as kubeadm sets it up. kwok's defaults would reuse
# the cluster CA and the admin certificate (CN kwok-admin, group system:masters) without any
# --requestheader-* flag, so an aggregated server could not tell the user a request is made for.
front_proxy="$work/front-proxy"

log() { echo "testbed: $*" >&2; }

ensure_go() {
  "$root/hack/install-deps.sh" go
  # install-deps puts a toolchain here when the machine's Go is missing or too old.
  export PATH="$cache_root/go/1.26.8/bin:$PATH"
}

build() {
  if [ -x "$cache/bin/kube-apiserver" ] && [ -x "$cache/bin/etcd" ] && [ -x "$cache/bin/kwokctl" ]; then
    return 0
  fi
  ensure_go
  local started=$SECONDS tmp="$cache.tmp.$$"
  log "building Kubernetes $k8s_version, etcd and kwok into $cache (cold: about 15 minutes on 2 cores)"
  mkdir -p "$tmp/bin"
  (
    cd "$testbed"
    # Built from the module proxy there is no git tree, so stamp the version the way
    # Kubernetes' hack/lib/version.sh does; clients (kubectl, fabric8) read it from /version.
    local minor="${k8s_version#v1.}"; minor="${minor%%.*}"
    local ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    go build -ldflags="$ldflags" -o "$tmp/bin/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubectl \
      sigs.k8s.io/kwok/cmd/kwok \
      sigs.k8s.io/kwok/cmd/kwokctl
    go build -ldflags="-s -w" -o "$tmp/bin/etcd" go.etcd.io/etcd/server/v3
  )
  rm -rf "$cache"
  mv "$tmp" "$cache"
  # Older recipes or pins are never used again; each holds about 500 MB.
  find "$cache_root/testbed" -mindepth 1 -maxdepth 1 ! -name "$(basename "$cache")" -exec rm -rf {} +
  log "built in $((SECONDS - started)) s"
}

# Holds an exclusive lock on the cache entry $1 until this script exits, so that builds of the
# same entry (make check's head start and a test's on-demand call) run one after the other: the
# second finds the first's result. One lock at a time (fd 9).
lock_cache() {
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.$1.lock"
  flock 9
}

# The OpenTelemetry Collector the OTLP tests send to (testbed/otelcol: the OTLP receiver and the
# file exporter of collector v0.165.0), built from the module proxy like the control plane, cached
# by the hash of its go.mod, go.sum and main.go. Prints the binary's path on stdout.
build_otelcol() {
  local okey odir
  lock_cache otelcol
  okey="$(cat "$testbed/otelcol/go.mod" "$testbed/otelcol/go.sum" "$testbed/otelcol/main.go" | sha256sum | cut -c1-16)"
  odir="$cache_root/otelcol/$okey"
  if [ ! -x "$odir/otelcol" ]; then
    ensure_go
    local started=$SECONDS tmp="$odir.tmp.$$"
    log "building the OpenTelemetry Collector into $odir (cold: about 5 minutes on 2 cores)"
    mkdir -p "$tmp"
    (cd "$testbed/otelcol" && go build -ldflags="-s -w" -o "$tmp/otelcol" .)
    rm -rf "$odir"
    mv "$tmp" "$odir"
    find "$cache_root/otelcol" -mindepth 1 -maxdepth 1 ! -name "$okey" -exec rm -rf {} +
    log "built in $((SECONDS - started)) s"
  fi
  echo "$odir/otelcol"
}

# fake-gcs-server, the GCS emulator the backup tests keep pgBackRest repositories in
# (testbed/fakegcs: github.com/fsouza/fake-gcs-server as a Go tool dependency), built from the
# module proxy like the control plane, cached by the hash of its go.mod and go.sum. Prints the
# binary's path on stdout.
build_fakegcs() {
  local gkey gdir
  lock_cache fakegcs
  gkey="$(cat "$testbed/fakegcs/go.mod" "$testbed/fakegcs/go.sum" | sha256sum | cut -c1-16)"
  gdir="$cache_root/fakegcs/$gkey"
  if [ ! -x "$gdir/fake-gcs-server" ]; then
    ensure_go
    local started=$SECONDS tmp="$gdir.tmp.$$"
    log "building fake-gcs-server into $gdir (cold: about 3 minutes on 2 cores)"
    mkdir -p "$tmp"
    (cd "$testbed/fakegcs" && go build -ldflags="-s -w" -o "$tmp/fake-gcs-server" github.com/fsouza/fake-gcs-server)
    rm -rf "$gdir"
    mv "$tmp" "$gdir"
    find "$cache_root/fakegcs" -mindepth 1 -maxdepth 1 ! -name "$gkey" -exec rm -rf {} +
    log "built in $((SECONDS - started)) s"
  fi
  echo "$gdir/fake-gcs-server"
}

# Azurite, the Azure Blob Storage emulator the backup tests keep pgBackRest repositories in, and
# @azure/storage-blob (pgBackRest does not create containers; testbed/azurite/container.js does):
# `npm ci` of testbed/azurite's lock file from the npm registry, cached by the hash of the lock
# file and the script. Prints the directory (node_modules/.bin/azurite-blob, container.js).
install_azurite() {
  local akey adir
  lock_cache azurite
  akey="$(cat "$testbed/azurite/package.json" "$testbed/azurite/package-lock.json" "$testbed/azurite/container.js" | sha256sum | cut -c1-16)"
  adir="$cache_root/azurite/$akey"
  if [ ! -x "$adir/node_modules/.bin/azurite-blob" ]; then
    "$root/hack/install-deps.sh" node
    local started=$SECONDS tmp="$adir.tmp.$$"
    log "installing Azurite into $adir (npm ci)"
    mkdir -p "$tmp"
    cp "$testbed/azurite/package.json" "$testbed/azurite/package-lock.json" "$testbed/azurite/container.js" "$tmp/"
    (cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error >&2)
    rm -rf "$adir"
    mv "$tmp" "$adir"
    find "$cache_root/azurite" -mindepth 1 -maxdepth 1 ! -name "$akey" -exec rm -rf {} +
    log "installed in $((SECONDS - started)) s"
  fi
  echo "$adir"
}

link_bin() {
  mkdir -p "$work/bin"
  for b in "$cache"/bin/*; do
    ln -sfn "$b" "$work/bin/$(basename "$b")"
  done
}

# The commands `kubectl exec` can run in a played pod: kwok resolves an exec's command on its own
# PATH, where these links to pod-exec.sh come first (see pod-exec.sh).
exec_bin_commands=(pgbackrest psql pg_controldata patronictl sh bash cat ls)
link_exec_bin() {
  mkdir -p "$work/exec-bin"
  for c in "${exec_bin_commands[@]}"; do
    ln -sfn "$testbed/pod-exec.sh" "$work/exec-bin/$c"
  done
}

# kwok's default stages, with changes: a ready pod reports its containers' resources in status,
# as a kubelet with in-place resize does (the API server refuses resizes otherwise); PostgreSQL
# member pods start not ready (PatroniPods decides their readiness from Patroni's /health).
write_stages() {
  local kwok_dir
  kwok_dir="$(cd "$testbed" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  local stages="$kwok_dir/kustomize/stage"
  {
    cat "$stages/node/fast/node-initialize.yaml"
    echo "---"
    cat "$stages/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"
    echo "---"
    local pod_ready
    pod_ready="$(sed '/^      containerStatuses:/,/^      initContainerStatuses:/ s/^\(      - image: {{ .image | Quote }}\)$/\1\n        resources: {{ if .resources }}{{ toJson .resources }}{{ else }}{}{{ end }}/' \
      "$stages/pod/fast/pod-ready.yaml")"
    # Every pod but PostgreSQL members: Ready at once (program pods are corrected by ProgramPods).
    sed "s/^\(    - key: '.metadata.deletionTimestamp'\)$/    - key: '.metadata.labels[\"app.kubernetes.io\/component\"]'\n      operator: 'NotIn'\n      values:\n      - 'database'\n\1/" <<<"$pod_ready"
    echo "---"
    # PostgreSQL members start Running but not Ready, as under a kubelet whose readiness probe
    # (Patroni's /health) has not passed yet: PatroniPods probes them and marks them Ready. Before
    # 2026-12-04 kwok marked them Ready at once, so a rollout restarted the next member about a
    # second after the previous one, before its Patroni even ran.
    sed -e "s/^  name: pod-ready$/  name: pod-ready-database/" \
      -e "s/^\(    - key: '.metadata.deletionTimestamp'\)$/    - key: '.metadata.labels[\"app.kubernetes.io\/component\"]'\n      operator: 'In'\n      values:\n      - 'database'\n\1/" \
      -e '/status: "True"/{N;s/status: "True"\(\n *type: \(Ready\|ContainersReady\)\)$/status: "False"\n        reason: ContainersNotReady\1/}' \
      -e '/^      containerStatuses:/,/^      initContainerStatuses:/ s/^        ready: true$/        ready: false/' \
      <<<"$pod_ready"
    echo "---"
    # Job pods with restartPolicy Never (the operator's backup Jobs) are played for real: their
    # phase comes from their program's exit (BackupJobPods), so the Job controller counts real
    # failures against backoffLimit. Other Job pods still complete at once.
    sed "s/^\(    - key: '.metadata.ownerReferences.\[\].kind'\)$/    - key: '.spec.restartPolicy'\n      operator: 'NotIn'\n      values:\n      - 'Never'\n\1/" \
      "$stages/pod/fast/pod-complete.yaml"
    echo "---"
    cat "$stages/pod/fast/pod-delete.yaml"
  } >"$work/kwok-stages.yaml"
  [ "$(grep -c 'reason: ContainersNotReady' "$work/kwok-stages.yaml")" = 2 ] \
    || { log "could not make kwok leave PostgreSQL member pods not ready"; exit 1; }
  grep -q "toJson .resources" "$work/kwok-stages.yaml" \
    || { log "could not add container resources to kwok's pod-ready stage"; exit 1; }
  grep -q "key: '.spec.restartPolicy'" "$work/kwok-stages.yaml" \
    || { log "could not exclude restartPolicy Never pods from kwok's pod-complete stage"; exit 1; }
}

# Fake nodes whose pod and node addresses are all loopback (127.0.0.0/8): a pod IP is then an
# address a test can bind a real process to (Patroni, PostgreSQL, a worker), and nothing the
# operator connects to in a test ever leaves the machine. kwok's own node template would use
# 10.0.N.0/24 for pods and 192.0.2.N for nodes.
add_nodes() {
  local kubectl="$cache/bin/kubectl --kubeconfig=$kubeconfig"
  for i in $(seq 0 $((nodes - 1))); do
    local name
    name="$(printf 'node-%06d' "$i")"
    $kubectl apply --server-side --field-manager=testbed -f - <<NODE
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: $name
    topology.kubernetes.io/zone: zone-$((i % 3))
    type: kwok
spec:
  podCIDR: 127.$pod_net.$i.0/24
  podCIDRs: [127.$pod_net.$i.0/24]
NODE
    $kubectl patch node "$name" --subresource=status --type=merge -p \
      "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.1.$((i + 1))\"},{\"type\":\"Hostname\",\"address\":\"$name\"}],\"capacity\":{\"cpu\":\"32\",\"memory\":\"256Gi\",\"pods\":\"110\"},\"allocatable\":{\"cpu\":\"32\",\"memory\":\"256Gi\",\"pods\":\"110\"}}}"
  done
  $kubectl wait --for=condition=Ready node --all --timeout=60s
}

# The front-proxy CA and the client certificate kube-apiserver presents to aggregated API servers
# (CN front-proxy-client, the only name in --requestheader-allowed-names). Made once per test bed
# directory with openssl (ca-certificates, which install-deps installs, depends on it).
front_proxy_pki() {
  [ -s "$front_proxy/client.crt" ] && [ -s "$front_proxy/ca.crt" ] && return 0
  mkdir -p "$front_proxy"
  (
    cd "$front_proxy"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=front-proxy-ca" \
      -keyout ca.key -out ca.crt \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=front-proxy-client" -keyout client.key -out client.csr 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out client.crt 2>/dev/null
    rm -f client.csr client.ext ca.srl
  )
  [ -s "$front_proxy/client.crt" ] || { log "could not create the front-proxy certificates"; exit 1; }
}

running_hpa_sync_period() {
  cat "$work/hpa-sync-period" 2>/dev/null || echo unknown
}

# Processes a pod player left on this test bed's pod network (127.<net>.0.0/16): pods run in PID
# namespaces of their own (testbed/pod-entry.sh), and since processes die with their pod player
# (parent-death signals, see PatroniPods), only a run before that guarantee, or a pod player
# killed in a way that left its pods running, leaves any. They would take the addresses of the
# next run's pods (same IPs, same ports) and wedge it. Kills every process of each PID namespace
# with a listener on the range, saying what it killed; refuses (exit 1) when a process outside any
# pod holds an address of the range, since that is not the test bed's to kill.
clean_leftovers() {
  local mode="${1:-refuse}" range="127.$pod_net.0.0/16" pids host_ns pid ns cmd
  command -v ss >/dev/null 2>&1 || "$root/hack/install-deps.sh" testbed
  pids="$(ss -Hltnp "src $range" 2>/dev/null | { grep -o 'pid=[0-9]*' || true; } | cut -d= -f2 | sort -un)"
  [ -z "$pids" ] && return 0
  host_ns="$(readlink /proc/$$/ns/pid)"
  local -a foreign=() namespaces=()
  for pid in $pids; do
    ns="$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" || continue
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-100)"
    if [ "$ns" = "$host_ns" ]; then
      foreign+=("pid $pid: $cmd")
    elif [[ " ${namespaces[*]} " != *" $ns "* ]]; then
      namespaces+=("$ns")
    fi
  done
  if [ "${#foreign[@]}" -gt 0 ]; then
    if [ "$mode" = refuse ]; then
      log "refusing to start: addresses of this test bed's pod network $range are held by"
      log "processes that are not test bed pods; stop them, or give this test bed another network"
      log "(another TESTBED_POD_NET):"
    else
      log "left running: processes outside the test bed's pods hold addresses of $range:"
    fi
    printf 'testbed:   %s\n' "${foreign[@]}" >&2
    [ "$mode" = refuse ] && exit 1
  fi
  [ "${#namespaces[@]}" -eq 0 ] && return 0
  local killed=() doomed=() p
  for ns in "${namespaces[@]}"; do
    for p in /proc/[0-9]*; do
      if [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ]; then
        doomed+=("${p#/proc/}")
        killed+=("${p#/proc/} ($(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-80))")
      fi
    done
  done
  kill -KILL "${doomed[@]}" 2>/dev/null || true
  log "killed ${#killed[@]} processes of ${#namespaces[@]} pod(s) an earlier run left on $range:"
  printf 'testbed:   %s\n' "${killed[@]}" >&2
  for _ in $(seq 1 50); do
    [ -z "$(ss -Hltn "src $range" 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  log "addresses of $range are still in use after killing the leftovers:"
  ss -Hltnp "src $range" >&2
  [ "$mode" = refuse ] && exit 1
  return 0
}

answers() {
  [ -f "$kubeconfig" ] && "$cache/bin/kubectl" --kubeconfig "$kubeconfig" --request-timeout=5s \
    get --raw /readyz >/dev/null 2>&1
}

up() {
  build
  link_bin
  if answers; then
    log "cluster $cluster already running"
    if [ -n "${TESTBED_HPA_SYNC_PERIOD:-}" ] && [ "$(running_hpa_sync_period)" != "$hpa_sync_period" ]; then
      log "it runs with HPA sync period $(running_hpa_sync_period), not TESTBED_HPA_SYNC_PERIOD=$hpa_sync_period: testbed.sh down first"
      exit 1
    fi
  else
    clean_leftovers
    local started=$SECONDS
    # A half-started cluster from an earlier run would make create fail; clear it first.
    "$cache/bin/kwokctl" delete cluster --name "$cluster" >/dev/null 2>&1 || true
    rm -f "$kubeconfig"
    mkdir -p "$work"
    ensure_go
    write_stages
    link_exec_bin
    front_proxy_pki
    # kwok serves `kubectl exec` (Exec objects, kubelet address = node InternalIP) and finds the
    # exec's command on its PATH: the links into played pods first.
    # Order of --extra-args: kwokctl 0.8 files a component's later arguments under the index of
    # its first one among all --extra-args, so the first kube-apiserver and the first
    # kube-controller-manager argument must come first, in that order (else it panics: "index out
    # of range"); the rest may follow in any order.
    PATH="$work/exec-bin:$PATH" "$cache/bin/kwokctl" create cluster --name "$cluster" --runtime binary \
      --kube-apiserver-binary "$cache/bin/kube-apiserver" \
      --kube-controller-manager-binary "$cache/bin/kube-controller-manager" \
      --kube-scheduler-binary "$cache/bin/kube-scheduler" \
      --kwok-controller-binary "$cache/bin/kwok" \
      --etcd-binary "$cache/bin/etcd" \
      --kube-authorization=true \
      --kube-admission=true \
      --config "$work/kwok-stages.yaml" \
      --extra-args "kube-apiserver=service-cluster-ip-range=$service_cidr" \
      --extra-args "kube-controller-manager=service-cluster-ip-range=$service_cidr" \
      --extra-args "kube-apiserver=kubelet-preferred-address-types=InternalIP" \
      --enable-crds Exec \
      --extra-args "kube-apiserver=requestheader-client-ca-file=$front_proxy/ca.crt" \
      --extra-args "kube-apiserver=requestheader-allowed-names=front-proxy-client" \
      --extra-args "kube-apiserver=requestheader-username-headers=X-Remote-User" \
      --extra-args "kube-apiserver=requestheader-group-headers=X-Remote-Group" \
      --extra-args "kube-apiserver=requestheader-extra-headers-prefix=X-Remote-Extra-" \
      --extra-args "kube-apiserver=proxy-client-cert-file=$front_proxy/client.crt" \
      --extra-args "kube-apiserver=proxy-client-key-file=$front_proxy/client.key" \
      --extra-args "kube-controller-manager=horizontal-pod-autoscaler-sync-period=$hpa_sync_period" \
      --kubeconfig "$kubeconfig" \
      --wait 3m >"$work/create.log" 2>&1 || { cat "$work/create.log" >&2; exit 1; }
    add_nodes >>"$work/create.log" 2>&1 || { cat "$work/create.log" >&2; exit 1; }
    echo "$hpa_sync_period" >"$work/hpa-sync-period"
    log "cluster $cluster started with $nodes nodes in $((SECONDS - started)) s"
  fi
  echo "export KUBECONFIG=$kubeconfig"
  echo "export PATH=$work/bin:\$PATH"
}

down() {
  # Pod processes and memory-backed volumes a test JVM that died left behind (testbed/PatroniPods).
  # Killing a pod's unshare kills its PID namespace's init (--kill-child), and with it the pod.
  pkill -KILL -f "pod-entry.sh $work/pods/" 2>/dev/null || true
  clean_leftovers warn
  findmnt -rn -o TARGET | grep "^$work/pods/" | xargs -r -n1 umount --lazy 2>/dev/null || true
  if [ -x "$cache/bin/kwokctl" ]; then
    "$cache/bin/kwokctl" delete cluster --name "$cluster" >/dev/null 2>&1 || true
  fi
  # kwokctl stops its components but has been seen to leave one behind; nothing may outlive down.
  pkill -KILL -f "$KWOK_WORKDIR/clusters/$cluster/bin/" 2>/dev/null || true
  rm -rf "$KWOK_WORKDIR" "$kubeconfig" "$work/hpa-sync-period"
  log "cluster $cluster stopped"
}

case "${1:-}" in
  build) build; link_bin ;;
  up) up ;;
  down) down ;;
  status) answers ;;
  hpa-sync-period) running_hpa_sync_period ;;
  pod-net) echo "$pod_net" ;;
  otelcol) build_otelcol ;;
  fakegcs) build_fakegcs ;;
  azurite) install_azurite ;;
  *) echo "usage: $0 build|up|down|status|pod-net|hpa-sync-period|otelcol|fakegcs|azurite" >&2; exit 2 ;;
esac
