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
  KUBECONFIG="$kubeconfig" nohup java -jar operator/target/operator.jar >"$work/operator.log" 2>&1 &
  echo $! >"$work/operator.pid"
fi

step "Starting the pod player: real Patroni + PostgreSQL for each pod (log: target/demo/pods.log)"
# kwok plays the kubelet without running containers; this plays the container runtime for the
# PostgreSQL pods, so the cluster is real (see testbed/README.md).
if [ -f "$work/pods.pid" ] && kill -0 "$(cat "$work/pods.pid")" 2>/dev/null; then
  echo "already running (pid $(cat "$work/pods.pid"))"
else
  nohup ./mvnw -B -ntp -q -pl operator -am -Prun-test-main -DskipTests process-test-classes \
    -Dtest.main.class=io.pgtrickle.operator.testbed.PodPlayerMain -Dtest.main.args=default >"$work/pods.log" 2>&1 &
  echo $! >"$work/pods.pid"
fi

step "Applying config/samples/basic-cluster.yaml"
$kubectl apply -f config/samples/basic-cluster.yaml

step "Watching the cluster until it is Running (Patroni elects a primary, replicas stream)"
last=""
for _ in $(seq 1 180); do
  line="$($kubectl get postgrescluster my-cluster --no-headers 2>/dev/null || true)"
  if [ "$line" != "$last" ]; then echo "$line"; last="$line"; fi
  phase="$($kubectl get pgc my-cluster -o jsonpath='{.status.phase}' 2>/dev/null || true)"
  [ "$phase" = "Running" ] && break
  sleep 1
done
$kubectl get postgrescluster
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
