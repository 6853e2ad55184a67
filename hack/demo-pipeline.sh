#!/usr/bin/env bash
# The second half of `make demo` (hack/demo.sh runs it once my-cluster is Running): the main job.
#   1. kubectl apply config/samples/streamtablecluster-postgres.yaml (StreamTableCluster shop on
#      my-cluster) and watch it reach Running: the pod player runs the real cdc-consumer and worker
#      programs behind its pods;
#   2. on my-cluster's primary: a table orders and a stream table category_totals created with
#      CREATE STREAM TABLE through pgtrickle.exec_stream_ddl;
#   3. a short write load (inserts, updates, deletes every second), printing the stream table and
#      its staleness as it follows, and the workers' HPA (the CDC lag the metrics adapter serves,
#      the workers it adds when the lag is above spec.workers.targetCdcLagMs); then the stream
#      table compared with its query's result, and the HPA, its scaling events and the
#      StreamTableCluster's AutoscalingActive condition.
# `hack/demo-pipeline.sh psql-command` prints the psql command for the primary.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
kubeconfig="$root/target/testbed/kubeconfig"
kubectl="$root/target/testbed/bin/kubectl --kubeconfig=$kubeconfig"
LOAD_SECONDS="${DEMO_LOAD_SECONDS:-10}"
# The load (LOAD_SECONDS rounds, one a second on a quiet machine) goes on while workers the HPA
# added are still starting, until this many seconds since it began (wall clock: a loaded machine
# makes each round slower).
LOAD_MAX_SECONDS="${DEMO_LOAD_MAX_SECONDS:-45}"
hpa=shop-worker

step() { printf '\n==> %s\n' "$*"; }

primary_ip() {
  local pod
  pod="$($kubectl get pgc my-cluster -o jsonpath='{.status.primaryPod}')"
  $kubectl get pod "$pod" -o jsonpath='{.status.podIP}'
}

# A Quantity of the custom metrics API in milli-units (367002m) as a number (367.0); '?' if none.
quantity() {
  case "$1" in
    "") echo "?" ;;
    *m) awk -v v="${1%m}" 'BEGIN { printf "%.1f", v / 1000 }' ;;
    *) echo "$1" ;;
  esac
}

# The workers' HPA and Deployment in one call: sets hpa_desired, hpa_ready, hpa_lag (ms), hpa_target.
hpa_read() {
  local out
  out="$($kubectl get "hpa/$hpa" "deployment/$hpa" -o jsonpath='{.items[0].status.desiredReplicas}|{.items[1].status.readyReplicas}|{.items[0].status.currentMetrics[?(@.type=="Object")].object.current.value}|{.items[0].spec.metrics[?(@.type=="Object")].object.target.value}' 2>/dev/null || true)"
  IFS='|' read -r hpa_desired hpa_ready hpa_lag hpa_target <<<"$out"
  hpa_desired="${hpa_desired:-0}" hpa_ready="${hpa_ready:-0}" hpa_lag="$(quantity "${hpa_lag:-}")"
}

hpa_desired() { $kubectl get hpa "$hpa" -o jsonpath='{.status.desiredReplicas}' 2>/dev/null || echo 0; }

scaling_active() {
  [ "$($kubectl get hpa "$hpa" -o jsonpath='{.status.conditions[?(@.type=="ScalingActive")].status}' 2>/dev/null)" = True ]
}

if [ "${1:-}" = "psql-command" ]; then
  echo "PGPASSWORD=\$($kubectl get secret my-cluster-credentials -o jsonpath='{.data.password}' | base64 -d) psql -h $(primary_ip) -U postgres"
  exit 0
fi

# psql as the superuser on the primary, no .psqlrc.
PGPASSWORD="$($kubectl get secret my-cluster-credentials -o jsonpath='{.data.password}' | base64 -d)"
export PGPASSWORD PGCONNECT_TIMEOUT=5 PGOPTIONS='-c statement_timeout=120s'
PGHOST="$(primary_ip)"
last_primary="$PGHOST"
export PGHOST
# psql as the superuser on the primary, tried again while the connection fails or lands on a
# member that is not the primary (yet): a member restarting or a failover during the demo (on a
# busy 2-core machine Patroni may demote a primary that misses its leader lock's renewal) is the
# stack's business, which it recovers from within seconds, not a reason to abort the demo. Other
# errors are not retried. Statements may run twice across a retry (a commit whose answer was lost):
# the demo's writes and checks all read the same table, so that changes nothing they show.
sql() {
  local attempt rc err
  err="$(mktemp)"
  for attempt in $(seq 1 60); do
    rc=0
    psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres "$@" 2>"$err" || rc=$?
    if [ "$rc" = 0 ] || ! retryable "$rc" "$err"; then
      cat "$err" >&2
      rm -f "$err"
      return "$rc"
    fi
    echo "psql: $(grep -m1 -v '^$' "$err" | cut -c1-160); trying again on the primary ($attempt)" >&2
    sleep 2
    PGHOST="$(primary_ip 2>/dev/null || true)"
    PGHOST="${PGHOST:-$last_primary}"
    last_primary="$PGHOST"
  done
  cat "$err" >&2
  rm -f "$err"
  return "$rc"
}

# Whether psql's failure (exit code $1, its stderr in file $2) is the connection's or the role's:
# exit 2 (the connection went bad), or an error a primary that moved or restarts gives.
retryable() {
  [ "$1" = 2 ] && return 0
  grep -qE 'read-only transaction|the database system is (starting up|shutting down|in recovery|not yet accepting)|terminating connection|server closed the connection|Connection refused|could not connect|no connection to the server' "$2"
}

step "Applying config/samples/streamtablecluster-postgres.yaml: a StreamTableCluster on my-cluster"
$kubectl apply -f config/samples/streamtablecluster-postgres.yaml

step "Watching it until it is Running (the cdc-consumer and worker programs run behind its pods)"
last="" phase=""
for _ in $(seq 1 240); do
  line="$($kubectl get stc shop --no-headers 2>/dev/null || true)"
  if [ "$line" != "$last" ]; then echo "$line"; last="$line"; fi
  phase="$($kubectl get stc shop -o jsonpath='{.status.phase}' 2>/dev/null || true)"
  [ "$phase" = "Running" ] && break
  sleep 1
done
if [ "$phase" != "Running" ]; then
  echo "shop did not reach Running within 4 minutes; see kubectl describe stc shop," >&2
  echo "target/demo/pods.log and target/testbed/programs/default/*.log" >&2
  $kubectl describe stc shop >&2 || true
  exit 1
fi
$kubectl get stc
$kubectl get statefulset,deployment,hpa,pods -l trickle-labs.io/stream-table-cluster=shop -o wide

step "The workers' HPA reads the CDC lag through kube-apiserver from the metrics adapter"
for _ in $(seq 1 60); do scaling_active && break; sleep 1; done
if ! scaling_active; then
  echo "HPA $hpa cannot read its metrics; see kubectl describe hpa $hpa and target/demo/metrics-adapter.log" >&2
  $kubectl describe hpa "$hpa" >&2 || true
  exit 1
fi
$kubectl get hpa "$hpa"

step "Waiting for the workers to install the pgtrickle schema (Flyway, once)"
for _ in $(seq 1 60); do
  [ "$(sql -Atc "SELECT to_regproc('pgtrickle.exec_stream_ddl') IS NOT NULL" 2>/dev/null)" = t ] && break
  sleep 1
done

PGHOST="$(primary_ip)" # the primary now (a failover meanwhile would have moved it)
last_primary="$PGHOST"
step "Creating a table and a stream table with SQL on the primary ($PGHOST)"
query="SELECT category, count(*) AS orders, sum(amount) AS total FROM orders GROUP BY category"
# The query's columns: a stream table maintained differentially also holds hidden bookkeeping
# columns (__pgt_count, ...; worker/README.md), left out here.
columns="category, orders, total"
setup_sql="$(mktemp)"
cat >"$setup_sql" <<SQL
CREATE TABLE IF NOT EXISTS orders (
  id bigserial PRIMARY KEY, category text NOT NULL, amount numeric(10,2) NOT NULL);
INSERT INTO orders (category, amount)
  SELECT (ARRAY['books', 'games', 'music'])[1 + g % 3], g FROM generate_series(1, 30) g;
SELECT pgtrickle.exec_stream_ddl(\$\$
  CREATE STREAM TABLE IF NOT EXISTS category_totals AS
    $query
  WITH (schedule = '1s')
\$\$);
SQL
sql -e -f "$setup_sql"
rm -f "$setup_sql"
# Returns once the stream table holds everything committed before the call.
sql -Atc "SELECT pgtrickle.refresh_stream_table('category_totals')" >/dev/null
sql -c "SELECT pgt_name, status, refresh_mode, schedule, is_populated FROM pgtrickle.pgt_stream_tables"
echo "category_totals before the load:"
sql -c "SELECT $columns FROM category_totals ORDER BY category"

step "A write load for ${LOAD_SECONDS} s or more (inserts, updates, deletes each second); the stream table follows, the HPA adds workers while the CDC lag is above its target"
initial_workers="$($kubectl get hpa "$hpa" -o jsonpath='{.spec.minReplicas}')"
# Staleness: how long ago the snapshot the stream table shows was taken (data_timestamp).
watch_line="SELECT to_char(clock_timestamp(), 'HH24:MI:SS') || '  ' ||
  (SELECT string_agg(category || ' ' || orders || ' orders ' || total, ' | ' ORDER BY category)
     FROM category_totals) || '   (staleness ' ||
  (SELECT round(extract(epoch FROM clock_timestamp() - data_timestamp) * 1000)
     FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'category_totals') || ' ms)'"
i=0
peak_lag=
load_start=$SECONDS
while :; do
  i=$((i + 1))
  sql -c "INSERT INTO orders (category, amount)
            SELECT (ARRAY['books', 'games', 'music', 'films'])[1 + (g + $i) % 4], round((random() * 100)::numeric, 2)
            FROM generate_series(1, 20) g;
          UPDATE orders SET amount = amount + 1 WHERE id % 10 = $i % 10;
          DELETE FROM orders WHERE id IN (SELECT id FROM orders ORDER BY random() LIMIT 3);"
  hpa_read
  [ "$hpa_lag" != "?" ] && peak_lag="$(awk -v a="${peak_lag:-0}" -v b="$hpa_lag" 'BEGIN { print (b > a ? b : a) }')"
  echo "$(sql -Atc "$watch_line")   workers $hpa_ready ready / $hpa_desired desired, CDC lag p95 $hpa_lag ms (target ${hpa_target:-?})"
  # Long enough, and any workers the HPA added are ready (or it is time to stop waiting for them).
  if [ "$i" -ge "$LOAD_SECONDS" ]; then
    [ "$hpa_desired" -le "${initial_workers:-0}" ] && break
    [ "$hpa_ready" -ge "$hpa_desired" ] && break
    [ $((SECONDS - load_start)) -ge "$LOAD_MAX_SECONDS" ] && break
  fi
  sleep 1
done
sql -Atc "SELECT pgtrickle.refresh_stream_table('category_totals')" >/dev/null
echo "category_totals after the load:"
sql -c "SELECT $columns FROM category_totals ORDER BY category"
echo "the same computed from orders now:"
sql -c "$query ORDER BY category"
differences="$(sql -Atc "SELECT count(*) FROM ((SELECT $columns FROM category_totals EXCEPT ALL $query)
  UNION ALL ($query EXCEPT ALL SELECT $columns FROM category_totals)) d")"
if [ "$differences" != 0 ]; then
  echo "category_totals differs from its query in $differences rows" >&2
  exit 1
fi
echo "category_totals equals its query: every write reached it through the CDC consumer, the change log and the workers."
echo "Its refresh rounds so far (pgtrickle.pg_stat_pgtrickle, completed rounds): each is differential (applies"
echo "only the changes), full (recomputes the table, or reinitialises it) or no_data (nothing had changed"
echo "since the round before: checked, nothing to apply), so refreshes = differential + full + no_data:"
sql -c "SELECT table_name, total_refreshes AS refreshes, total_diff_refreshes AS differential,
                total_full_refreshes AS full,
                total_refreshes - total_diff_refreshes - total_full_refreshes AS no_data,
                round(avg_refresh_duration_ms::numeric, 1) AS avg_ms_per_round
          FROM pgtrickle.pg_stat_pgtrickle"
echo "The last refreshes that changed something (AUTO applies the change alone, or recomputes a table this"
echo "small when that measured cheaper; each row says why; NO_DATA rounds are left out):"
sql -c "SELECT to_char(start_time, 'HH24:MI:SS') AS at, action, rows_inserted AS ins, rows_updated AS upd,
                rows_deleted AS del, delta_row_count AS changes, left(refresh_reason, 100) AS reason
          FROM pgtrickle.pgt_refresh_history WHERE action <> 'NO_DATA'
          ORDER BY start_time DESC LIMIT 6"

step "The workers' autoscaler: HPA $hpa on the CDC lag (Object metric of StreamTableCluster shop) and the workers' CPU"
for _ in $(seq 1 30); do scaling_active && break; sleep 1; done
$kubectl get hpa "$hpa"
echo "kubectl get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/streamtableclusters.trickle-labs.io/shop/pg_trickle_cdc_lag_p95_ms:"
$kubectl get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/streamtableclusters.trickle-labs.io/shop/pg_trickle_cdc_lag_p95_ms
echo
$kubectl get events --field-selector "involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=$hpa,reason=SuccessfulRescale" \
  -o custom-columns=LAST:.lastTimestamp,REASON:.reason,MESSAGE:.message
$kubectl get stc shop -o jsonpath='{range .status.conditions[?(@.type=="AutoscalingActive")]}StreamTableCluster shop: {.type}={.status} ({.reason}: {.message}){"\n"}{end}'
if [ "$(hpa_desired)" -gt "${initial_workers:-0}" ]; then
  echo "The HPA scaled the workers from $initial_workers to $(hpa_desired) on the CDC lag; it scales them back to"
  echo "spec.workers.min once the lag's one-minute p95 is under the target for Kubernetes' 5-minute window."
else
  target="$(quantity "${hpa_target:-}")"
  if [ -z "$peak_lag" ] || [ "$target" = "?" ]; then
    echo "The HPA kept $(hpa_desired) workers; it served no CDC lag reading during this load."
  elif awk -v p="$peak_lag" -v t="$target" 'BEGIN { exit !(p <= t) }'; then
    echo "The HPA kept $(hpa_desired) workers: the CDC lag peaked at $peak_lag ms, under spec.workers.targetCdcLagMs ($target ms)."
  elif awk -v p="$peak_lag" -v t="$target" 'BEGIN { exit !(p <= t * 1.1) }'; then
    echo "The HPA kept $(hpa_desired) workers: the CDC lag peaked at $peak_lag ms, above spec.workers.targetCdcLagMs ($target ms)"
    echo "but within the HPA's 10% tolerance, inside which Kubernetes does not scale."
  else
    echo "The HPA kept $(hpa_desired) workers: the CDC lag peaked at $peak_lag ms against spec.workers.targetCdcLagMs ($target ms),"
    echo "but the load ended before the HPA's next sync acted on it."
  fi
fi

step "The pipeline"
$kubectl get pods -l trickle-labs.io/stream-table-cluster=shop -o wide
$kubectl get stc -o wide
$kubectl get stc shop -o jsonpath='{range .status.conditions[?(@.type=="StreamTablesHealthy")]}StreamTableCluster shop: {.type}={.status} ({.reason}: {.message}){"\n"}{end}'
