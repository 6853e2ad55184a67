#!/usr/bin/env bash
# `make demo`: build, start the test bed, install the CRDs, run the operator in the background,
# apply the basic sample and show it converge. `make demo-down` stops everything again.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
work="$root/target/demo"
kubeconfig="$root/target/testbed/kubeconfig"
kubectl="$root/target/testbed/bin/kubectl --kubeconfig=$kubeconfig"
mkdir -p "$work"

step() { printf '\n==> %s\n' "$*"; }

stop_pid() {
  if [ -f "$work/$1.pid" ]; then
    kill "$(cat "$work/$1.pid")" 2>/dev/null || true
    # The pod player stops Patroni gracefully on SIGTERM; give it the time.
    for _ in $(seq 1 30); do kill -0 "$(cat "$work/$1.pid")" 2>/dev/null || break; sleep 1; done
    rm -f "$work/$1.pid"
  fi
}

down() {
  stop_pid pods
  stop_pid operator
  testbed/testbed.sh down
}

if [ "${1:-}" = "down" ]; then
  down
  exit 0
fi

step "Installing what the build and the test bed need"
hack/install-deps.sh java go postgres patroni

step "Building the operator"
./mvnw -B -ntp -q -DskipTests package

step "Starting the Kubernetes test bed"
testbed/testbed.sh up >/dev/null

step "Installing the CRDs"
$kubectl apply --server-side --force-conflicts --field-manager=pg-trickle -f deploy/crds/

step "Starting the operator (log: target/demo/operator.log)"
if [ -f "$work/operator.pid" ] && kill -0 "$(cat "$work/operator.pid")" 2>/dev/null; then
  echo "already running (pid $(cat "$work/operator.pid"))"
else
  # /healthz, /readyz and /metrics on a free port: 8080 may be taken on a shared machine (another
  # process on any address with that port makes the operator's wildcard bind fail).
  http_port="${DEMO_HTTP_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')}"
  KUBECONFIG="$kubeconfig" HTTP_PORT="$http_port" nohup java -jar operator/target/operator.jar \
    >"$work/operator.log" 2>&1 &
  echo $! >"$work/operator.pid"
  echo "health and metrics: http://localhost:$http_port/healthz, /readyz, /metrics"
fi

step "Starting the pod player: real Patroni + PostgreSQL for each pod, in every namespace (log: target/demo/pods.log)"
# kwok plays the kubelet without running containers; this plays the container runtime for the
# PostgreSQL pods of every namespace (and the storage driver for their volumes), so clusters are
# real wherever they are created (see testbed/README.md).
if [ -f "$work/pods.pid" ] && kill -0 "$(cat "$work/pods.pid")" 2>/dev/null; then
  echo "already running (pid $(cat "$work/pods.pid"))"
else
  nohup ./mvnw -B -ntp -q -pl testbed/java -Ppod-player compile exec:java >"$work/pods.log" 2>&1 &
  echo $! >"$work/pods.pid"
fi

step "Applying config/samples/basic-cluster.yaml"
$kubectl apply -f config/samples/basic-cluster.yaml

step "Watching the cluster until it is Running (Patroni elects a primary, replicas stream)"
last=""
for _ in $(seq 1 180); do
  if ! kill -0 "$(cat "$work/operator.pid")" 2>/dev/null; then
    echo "The operator stopped; the end of target/demo/operator.log:" >&2
    tail -20 "$work/operator.log" >&2
    exit 1
  fi
  line="$($kubectl get postgrescluster my-cluster --no-headers 2>/dev/null || true)"
  if [ "$line" != "$last" ]; then echo "$line"; last="$line"; fi
  phase="$($kubectl get pgc my-cluster -o jsonpath='{.status.phase}' 2>/dev/null || true)"
  [ "$phase" = "Running" ] && break
  sleep 1
done
$kubectl get postgrescluster
if [ "$phase" != "Running" ]; then
  echo "my-cluster did not reach Running within 3 minutes; see target/demo/operator.log and" >&2
  echo "target/demo/pods.log, and: $kubectl describe pgc my-cluster" >&2
  exit 1
fi
$kubectl get statefulset,svc,configmap,secret -l postgres.example.com/cluster=my-cluster
primary="$($kubectl get pgc my-cluster -o jsonpath='{.status.primaryPod}')"
primary_ip="$($kubectl get pod "$primary" -o jsonpath='{.status.podIP}' 2>/dev/null || true)"

cat <<MSG

The operator and the pod player run in the background. Connect to the primary ($primary):
  PGPASSWORD=\$($kubectl get secret my-cluster-credentials -o jsonpath='{.data.password}' | base64 -d) \\
    psql -h $primary_ip -U postgres
Look around:
  export KUBECONFIG=$kubeconfig
  export PATH=$root/target/testbed/bin:\$PATH
  kubectl get postgrescluster -w
  kubectl describe pgc my-cluster
Stop everything with: make demo-down
MSG
