#!/usr/bin/env bash
# The metrics adapter for `make demo` (metrics-adapter/README.md): what the StreamTableCluster's
# HPA reads CDC lag and worker CPU from. Wired as the tests wire it on the test bed
# (metrics-adapter's AdapterFixture; the test bed has no kube-proxy, so a ClusterIP would lead
# nowhere): the packaged metrics-adapter.jar runs as a local process on 127.0.0.1 with the test
# bed's kubeconfig, its Service in pg-trickle-system is of type ExternalName (127.0.0.1), and the
# real APIServices v1beta2/v1beta1.custom.metrics.k8s.io name that Service with the adapter's port.
# kube-apiserver's aggregator then verifies the adapter's serving certificate against the caBundle
# the adapter puts in, and authenticates itself with the test bed's front-proxy certificate.
#
#   hack/demo-adapter.sh start   (re)start it: Service, APIServices, the process (log:
#                                target/demo/metrics-adapter.log, pid: metrics-adapter.pid)
#   hack/demo-adapter.sh await   wait until kube-apiserver reports both APIServices Available
#   hack/demo-adapter.sh stop    stop the process and remove the APIServices (a dead APIService
#                                would make discovery and namespace deletion fail)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
work="$root/target/demo"
kubeconfig="$root/target/testbed/kubeconfig"
kubectl="$root/target/testbed/bin/kubectl --kubeconfig=$kubeconfig"
namespace=pg-trickle-system
service=pg-trickle-metrics-adapter
api_services=(v1beta2.custom.metrics.k8s.io v1beta1.custom.metrics.k8s.io)
mkdir -p "$work"

stop_process() {
  local pid_file="$work/metrics-adapter.pid"
  if [ -f "$pid_file" ]; then
    # Its restart loop leads a process group: stop the group (the loop and the JVM).
    kill -- "-$(cat "$pid_file")" 2>/dev/null || kill "$(cat "$pid_file")" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$(cat "$pid_file")" 2>/dev/null || break; sleep 0.5; done
    rm -f "$pid_file"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  stop_process
  local port
  port="$(free_port)"
  $kubectl create namespace "$namespace" --dry-run=client -o yaml | $kubectl apply -f - >/dev/null
  {
    cat <<YAML
apiVersion: v1
kind: Service
metadata:
  name: $service
  namespace: $namespace
spec:
  type: ExternalName
  externalName: 127.0.0.1
YAML
    for api in "${api_services[@]}"; do
      version="${api%%.*}"
      cat <<YAML
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: $api
  # The chart's labels: the operator tells its own adapter's APIService from another adapter's.
  labels:
    app.kubernetes.io/name: pg-trickle
    app.kubernetes.io/component: metrics-adapter
    helm.sh/chart: pg-trickle-$(awk '/^version:/ {print $2}' charts/pg-trickle/Chart.yaml)
spec:
  group: custom.metrics.k8s.io
  version: $version
  groupPriorityMinimum: 100
  versionPriority: $([ "$version" = v1beta2 ] && echo 200 || echo 100)
  service: {namespace: $namespace, name: $service, port: $port}
YAML
    done
  } | $kubectl apply --server-side --force-conflicts --field-manager=pg-trickle-demo -f - >/dev/null
  # Started again when it exits, as the kubelet would its pod; a process group of its own.
  KUBECONFIG="$kubeconfig" setsid nohup bash -c "
    while :; do
      java -Xmx256m -jar metrics-adapter/target/metrics-adapter.jar run --namespace=$namespace \
        --service-name=$service --bind-address=127.0.0.1 --secure-port=$port --http-port=0
      echo \"the metrics adapter exited (\$?); starting it again in 2 s\"
      sleep 2
    done" >"$work/metrics-adapter.log" 2>&1 &
  echo $! >"$work/metrics-adapter.pid"
  echo "custom.metrics.k8s.io served by the metrics adapter on https://127.0.0.1:$port (pid $!)"
}

await_available() {
  for api in "${api_services[@]}"; do
    if ! $kubectl wait --for=condition=Available "apiservice/$api" --timeout=120s >/dev/null; then
      echo "APIService $api is not Available; its status and the end of target/demo/metrics-adapter.log:" >&2
      $kubectl get apiservice "$api" -o jsonpath='{.status.conditions}' >&2 || true
      tail -20 "$work/metrics-adapter.log" >&2
      exit 1
    fi
  done
  $kubectl get apiservice "${api_services[@]}"
}

stop() {
  stop_process
  if $kubectl version --request-timeout=3s >/dev/null 2>&1; then
    $kubectl delete apiservice "${api_services[@]}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start) start ;;
  await) await_available ;;
  stop) stop ;;
  *) echo "usage: $0 start|await|stop" >&2; exit 2 ;;
esac
