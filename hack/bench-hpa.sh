#!/usr/bin/env bash
# make bench-hpa (run by the metrics-adapter module's bench-hpa profile with its test class path):
# the HPA scaling real workers on CDC lag through the metrics adapter (HpaBenchmark), first with
# kube-controller-manager's stock HPA sync period (15 s), then with the test bed's tuned one (1 s).
# The test bed is restarted for each (the period is a controller-manager flag) and left down.
#
#   hack/bench-hpa.sh ROUNDS CLASSPATH
set -euo pipefail
rounds="$1"
classpath="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/target/bench-hpa"
mkdir -p "$out"
rm -f "$out"/*.txt
trap 'testbed/testbed.sh down >/dev/null 2>&1 || true' EXIT
for run in stock:15s tuned:1s; do
  label="${run%%:*}"
  period="${run#*:}"
  testbed/testbed.sh down >/dev/null 2>&1
  TESTBED_HPA_SYNC_PERIOD="$period" testbed/testbed.sh up >/dev/null 2>&1
  echo "bench-hpa $label: HPA sync period $(testbed/testbed.sh hpa-sync-period), $rounds rounds" >&2
  PGTRICKLE_LOG_LEVEL=ERROR java -Xmx1g -Dlogback.configurationFile="$root/hack/bench-hpa-logback.xml" \
    -classpath "$classpath" io.pgtrickle.adapter.it.HpaBenchmark "$label" "$rounds" "$out/$label.txt"
done
stock="$(cat "$out/stock.txt")"
tuned="$(cat "$out/tuned.txt")"
get() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
echo "stock (15 s sync): $stock"
echo "tuned (1 s sync):  $tuned"
echo "scaleup_p50_s=$(get "$stock" scaleup_p50_s) scaleup_max_s=$(get "$stock" scaleup_max_s)" \
  "scaledown_p50_s=$(get "$stock" scaledown_p50_s)" \
  "scaleup_tuned_p50_s=$(get "$tuned" scaleup_p50_s) scaleup_tuned_max_s=$(get "$tuned" scaleup_max_s)" \
  "scaledown_tuned_p50_s=$(get "$tuned" scaledown_p50_s)" \
  "freshness_max_s=$(printf '%s\n%s\n' "$(get "$stock" freshness_max_s)" "$(get "$tuned" freshness_max_s)" | sort -g | tail -1)" \
  "rounds=$rounds"
