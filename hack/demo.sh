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

down() {
  if [ -f "$work/operator.pid" ]; then
    kill "$(cat "$work/operator.pid")" 2>/dev/null || true
    rm -f "$work/operator.pid"
  fi
  testbed/testbed.sh down
}

if [ "${1:-}" = "down" ]; then
  down
  exit 0
fi

step "Installing what the build and the test bed need"
hack/install-deps.sh java go

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

step "Applying config/samples/basic-cluster.yaml"
$kubectl apply -f config/samples/basic-cluster.yaml

step "Waiting for the operator to report the cluster's status"
for _ in $(seq 1 60); do
  phase="$($kubectl get pgc my-cluster -o jsonpath='{.status.phase}' 2>/dev/null || true)"
  [ -n "$phase" ] && break
  sleep 1
done
$kubectl get postgrescluster

cat <<MSG

The operator runs in the background and the cluster is up. To look around:
  export KUBECONFIG=$kubeconfig
  export PATH=$root/target/testbed/bin:\$PATH
  kubectl get postgrescluster -w
  kubectl describe pgc my-cluster
Stop everything with: make demo-down
MSG
