#!/usr/bin/env bash
# make check: every test, as CI runs it, in two streams on one test bed.
#
# The operator's integration tests take about 30 minutes and mostly wait (Patroni elections, Jobs'
# backoff, archive timeouts), so the modules that do not need them run beside them:
#   stream 1: operator (but for SPLIT_ITS), then metrics-adapter (which registers the custom
#             metrics APIService that an operator test needs absent),
#   stream 2: change-log, telemetry, program, worker (none needs the test bed's API server, so they
#             start as soon as Maven installed everything, while the test bed's Kubernetes binaries
#             may still be building: cold, that build takes about 12 minutes), then, once the test
#             bed is up, cdc-consumer, e2e (which holds the operator's longest end-to-end tests)
#             and the operator's SPLIT_ITS (in a Maven process of their own, reports in
#             operator/target/failsafe-reports-split).
# SPLIT_ITS balances the streams for both a cold machine (stream 1 starts only once the binaries
# are built) and a warm one (measured per test class in target/check-stream1.log).
# Every test creates its own namespaces, servers on free ports and directories of its own, so the
# two streams share only the API server and its controllers. First everything is built and
# installed into the local Maven repository once (no tests), so that each stream resolves the
# other modules' jars from there instead of building them twice.
#
# Output: stream 1 as it runs (and into target/check-stream1.log); stream 2 into
# target/check-stream2.log, printed when both ended; then a failed stream's failing tests and one
# summary line. Exit status: 0 only when both streams passed.
set -uo pipefail
cd "$(dirname "$0")/.."
MVN=(./mvnw -B -ntp)

# The test bed's Kubernetes binaries (cold: about 15-25 minutes on 2 cores, a no-op once cached)
# build beside the Maven build; the test bed starts once both are done.
mkdir -p target
echo "check: building the test bed's binaries beside Maven (log: target/testbed-build.log)"
testbed/testbed.sh build >target/testbed-build.log 2>&1 &
build_pid=$!
"${MVN[@]}" -Pit install -DskipTests -DskipITs || { kill "$build_pid" 2>/dev/null; exit 1; }
SPLIT_ITS=BackupDemoScriptIT,TlsToggleIT
split_excludes="$PWD/target/check-split-its.txt"
tr ',' '\n' <<<"$SPLIT_ITS" | sed 's|^|**/|; s|$|.java|' >"$split_excludes"
testbed_state=target/check-testbed.state
rm -f "$testbed_state"

log2=target/check-stream2.log
started=$(date +%s)
(
  "${MVN[@]}" -Pit verify -pl change-log,telemetry,program,worker || exit
  until [ -s "$testbed_state" ]; do sleep 2; done
  [ "$(cat "$testbed_state")" = up ] || { echo "check: the test bed did not start"; exit 1; }
  "${MVN[@]}" -Pit verify -pl cdc-consumer,e2e || exit
  # Goals, not the lifecycle: stream 1 may still be testing this module; nothing is rebuilt.
  "${MVN[@]}" -Pit -pl operator failsafe:integration-test failsafe:verify -Dit.test="$SPLIT_ITS" \
    -Dfailsafe.reports="$PWD/operator/target/failsafe-reports-split"
) >"$log2" 2>&1 &
pid2=$!

if ! wait "$build_pid"; then
  echo "check: building the test bed failed (target/testbed-build.log):"
  tail -40 target/testbed-build.log
  echo failed >"$testbed_state"
  wait "$pid2"
  exit 1
fi
if ! testbed/testbed.sh up; then
  echo failed >"$testbed_state"
  wait "$pid2"
  exit 1
fi
echo up >"$testbed_state"
# The collector's and the emulators' builds (cold: minutes) run beside the first modules' tests; a
# test that needs one waits for it (testbed.sh locks each cache entry).
(testbed/testbed.sh otelcol; testbed/testbed.sh fakegcs; testbed/testbed.sh azurite) >/dev/null 2>&1 &

log1=target/check-stream1.log
"${MVN[@]}" -Pit verify -pl operator,metrics-adapter -Dfailsafe.excludesFile="$split_excludes" 2>&1 \
  | tee "$log1"
status1=${PIPESTATUS[0]}
wait "$pid2"
status2=$?

echo
echo "=== stream 2 (change-log, telemetry, program, worker, cdc-consumer, e2e, operator's $SPLIT_ITS): target/check-stream2.log ==="
cat "$log2"
for s in 1 2; do
  log=target/check-stream$s.log
  if grep -q 'BUILD FAILURE' "$log"; then
    echo
    echo "=== stream $s failed: ==="
    grep -E '^\[ERROR\] +(Tests run|Failures|Errors|  [A-Za-z].*(IT|Test)\.)|<<< (FAILURE|ERROR)' "$log" | head -40
  fi
done
echo
echo "check: stream 1 (operator, metrics-adapter) exit $status1;" \
  "stream 2 (change-log, telemetry, program, worker, cdc-consumer, e2e, $SPLIT_ITS) exit $status2;" \
  "$(($(date +%s) - started)) s of tests"
for s in "$status1" "$status2"; do
  [ "$s" -eq 0 ] || exit "$s"
done
