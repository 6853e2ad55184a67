#!/usr/bin/env bash
# `make demo`: build, start the test bed, install the CRDs, run the operator in the background,
# apply the basic sample and show it converge, then the main job: a StreamTableCluster on it (real
# cdc-consumer and worker programs behind its pods), a stream table created with SQL and kept
# fresh under a short write load, and the workers' HPA scaling them on the CDC lag the metrics
# adapter serves (hack/demo-adapter.sh). `make demo-down` stops everything again.
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
    # The operator's restart loop leads a process group: stop the group (the loop and the JVM).
    kill -- "-$(cat "$work/$1.pid")" 2>/dev/null || kill "$(cat "$work/$1.pid")" 2>/dev/null || true
    # The pod player stops Patroni gracefully on SIGTERM; give it the time.
    for _ in $(seq 1 30); do kill -0 "$(cat "$work/$1.pid")" 2>/dev/null || break; sleep 1; done
    rm -f "$work/$1.pid"
  fi
}

down() {
  hack/demo-s3.sh stop
  stop_pid pods
  stop_pid operator
  hack/demo-adapter.sh stop
  testbed/testbed.sh down
}

if [ "${1:-}" = "down" ]; then
  down
  exit 0
fi

step "Installing what the build and the test bed need"
hack/install-deps.sh java go postgres patroni

step "Building the operator, the cdc-consumer, the worker and the metrics adapter"
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
  # Started again when it exits, as the kubelet would its pod (it exits when it cannot start, e.g.
  # an API server too busy to answer its first lists in time). A process group of its own, so
  # `make demo-down` stops the loop and the JVM together.
  KUBECONFIG="$kubeconfig" HTTP_PORT="$http_port" setsid nohup bash -c '
    while :; do
      java -jar operator/target/operator.jar
      echo "the operator exited ($?); starting it again in 2 s"
      sleep 2
    done' >"$work/operator.log" 2>&1 &
  echo $! >"$work/operator.pid"
  echo "health and metrics: http://localhost:$http_port/healthz, /readyz, /metrics"
fi

step "Starting the metrics adapter (log: target/demo/metrics-adapter.log): custom.metrics.k8s.io for the HPA"
hack/demo-adapter.sh start

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

step "Applying config/samples/basic-cluster.yaml, with 1Gi volumes"
# The sample asks 10Gi per member; the test bed's member volumes share one 4 GiB tmpfs per
# namespace (testbed/README.md). The operator sizes WAL from the declared volume (10Gi: up to 1 GB
# kept plus 2 GB between checkpoints per member), so a 200,000-row insert filled the tmpfs and the
# primary stopped on "No space left on device" while the cluster read Running. At 1Gi (128 MB and
# 256 MB) three members fit.
sed 's/size: 10Gi/size: 1Gi/' config/samples/basic-cluster.yaml | $kubectl apply -f -

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

step "Waiting for kube-apiserver to report the metrics adapter's APIServices Available"
hack/demo-adapter.sh await

hack/demo-pipeline.sh

cat <<MSG

The operator, the metrics adapter and the pod player run in the background (logs:
target/demo/operator.log, target/demo/metrics-adapter.log, target/demo/pods.log; each program
pod's log: target/testbed/programs/default/POD.log).
Look around:
  export KUBECONFIG=$kubeconfig
  export PATH=$root/target/testbed/bin:\$PATH
  kubectl get stc -w                      # the pipeline: workers, CDC lag, stream tables, status
  kubectl describe stc shop
  kubectl get hpa shop-worker -w          # the workers' autoscaler: CDC lag and worker CPU vs targets
  kubectl get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/streamtableclusters.trickle-labs.io/shop/pg_trickle_cdc_lag_p95_ms
  kubectl get postgrescluster,pods
Query the stream table on the current primary's pod address (it follows every write to orders
within about a second):
  $(hack/demo-pipeline.sh psql-command) -c 'SELECT category, orders, total FROM category_totals ORDER BY category'
  ... -c 'SELECT * FROM pgtrickle.pg_stat_stream_tables'
That address is a member's pod, not a Service: after a switchover (a TLS change, a scale-down) it
is a replica, which still serves reads but refuses writes ("read-only transaction"); the primary
is then: kubectl get pgc my-cluster -o jsonpath='{.status.primaryPod}{"\n"}', and its address:
kubectl get pod "\$(kubectl get pgc my-cluster -o jsonpath='{.status.primaryPod}')" -o jsonpath='{.status.podIP}{"\n"}'
(primaryPod is empty while no member is primary, e.g. for a few seconds after the primary's pod
was deleted: ask again rather than connect to an empty address, which psql takes for its local
socket.)
Stop everything with: make demo-down
MSG
