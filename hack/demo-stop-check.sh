#!/usr/bin/env bash
# `make demo-stop-check`: issue #18 case 8 as a script. Pod processes (Patroni, PostgreSQL) must
# never outlive the test bed, however it is stopped, and a test bed must never start on top of
# leftovers. Runs the issue's sequence, each make under `timeout`:
#   1. make demo (the sample cluster my-cluster, 3 members, Running);
#   2. a second cluster in default scaled 3 -> 5 -> 2;
#   3. `kubectl delete pgc second --wait=false` and `make demo-down` at once: nothing may be left
#      on the test bed's pod network 127.<net>.0.0/16;
#   4. make demo again: my-cluster Running 3/3 (the run the leak used to wedge);
# then the guarantees one by one:
#   5. the pod player SIGKILLed (no shutdown hook runs): its pods die with it;
#   6. make demo-down leaves nothing;
#   7. a leftover pod (a process in a PID namespace of its own on the range, as an older run left
#      them): `testbed.sh up` kills it and says so;
#   8. a process outside any pod holding an address of the range: `testbed.sh up` refuses.
# Prints PASS or the first FAIL; exit 0 only when everything held. About 6 minutes once built.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
kubeconfig="$root/target/testbed/kubeconfig"
kubectl="$root/target/testbed/bin/kubectl --kubeconfig=$kubeconfig"
net="$(testbed/testbed.sh pod-net)"
range="127.$net.0.0/16"
log="$root/target/demo-stop-check"
mkdir -p "$log"

step() { printf '\n==> %s\n' "$*"; }
fail() {
  echo "FAIL: $*"
  echo "(logs: $log; stopping everything)"
  make -s demo-down >/dev/null 2>&1
  exit 1
}
leftovers() { ss -Hltnp "src $range" 2>/dev/null; }
assert_nothing_left() {
  local left
  for _ in $(seq 1 50); do
    left="$(leftovers)"
    [ -z "$left" ] && return 0
    sleep 0.2
  done
  fail "$1: processes left on $range:
$left"
}
await_phase() { # NAME REPLICAS SECONDS
  local deadline=$((SECONDS + $3)) line=""
  while [ $SECONDS -lt $deadline ]; do
    line="$($kubectl get pgc "$1" -o jsonpath='{.status.phase} {.status.replicas}' 2>/dev/null)"
    [ "$line" = "Running $2" ] && { echo "$1: $line"; return 0; }
    sleep 2
  done
  fail "$1 not Running $2 within $3 s (last: '$line')"
}

step "1. make demo"
timeout 1500 make demo >"$log/demo-1.log" 2>&1 || fail "make demo (see $log/demo-1.log)"
await_phase my-cluster 3/3 120

step "2. a second cluster in default, scaled 3 -> 5 -> 2"
$kubectl apply -f - <<YAML || fail "apply second"
apiVersion: postgres.example.com/v1
kind: PostgresCluster
metadata:
  name: second
  namespace: default
spec:
  version: 16
  replicas: 3
  storage:
    size: 1Gi
YAML
await_phase second 3/3 300
$kubectl patch pgc second --type merge -p '{"spec":{"replicas":5}}' || fail "scale to 5"
await_phase second 5/5 300
$kubectl patch pgc second --type merge -p '{"spec":{"replicas":2}}' || fail "scale to 2"
await_phase second 2/2 300

step "3. kubectl delete pgc second --wait=false and make demo-down at once"
$kubectl delete pgc second --wait=false &
timeout 300 make demo-down >"$log/demo-down-1.log" 2>&1 || fail "make demo-down (see $log/demo-down-1.log)"
wait
assert_nothing_left "after make demo-down"
echo "nothing left on $range"

step "4. make demo again"
timeout 1500 make demo >"$log/demo-2.log" 2>&1 || fail "make demo (see $log/demo-2.log)"
await_phase my-cluster 3/3 180

step "5. the pod player killed with SIGKILL: its pods die with it (kernel parent-death signals)"
[ -n "$(leftovers)" ] || fail "no pod processes before the kill"
kill -KILL "$(cat target/demo/pods.pid)" || fail "no pod player"
assert_nothing_left "after SIGKILL of the pod player"
echo "every pod process died with the pod player"

step "6. make demo-down"
timeout 300 make demo-down >"$log/demo-down-2.log" 2>&1 || fail "make demo-down"
assert_nothing_left "after make demo-down"

step "7. a leftover pod from an earlier run: testbed.sh up kills it and says so"
setsid unshare --pid --fork --mount-proc python3 -c "
import socket, time
s = socket.socket(); s.bind(('127.$net.250.1', 8008)); s.listen(); time.sleep(600)" \
  >/dev/null 2>&1 </dev/null &
for _ in $(seq 1 50); do [ -n "$(leftovers)" ] && break; sleep 0.1; done
[ -n "$(leftovers)" ] || fail "could not start the stand-in leftover"
timeout 300 testbed/testbed.sh up >"$log/up-leftover.log" 2>&1 || fail "testbed up (see $log/up-leftover.log)"
grep -q "killed .* processes of 1 pod(s) an earlier run left on $range" "$log/up-leftover.log" \
  || fail "testbed up did not report the leftover: $(cat "$log/up-leftover.log")"
assert_nothing_left "after testbed up"
grep "testbed: killed" "$log/up-leftover.log"
testbed/testbed.sh down >/dev/null 2>&1

step "8. a process outside any pod on the range: testbed.sh up refuses"
python3 -c "
import socket, time
s = socket.socket(); s.bind(('127.$net.250.2', 5432)); s.listen(); time.sleep(600)" &
foreign=$!
for _ in $(seq 1 50); do [ -n "$(leftovers)" ] && break; sleep 0.1; done
if timeout 300 testbed/testbed.sh up >"$log/up-foreign.log" 2>&1; then
  kill "$foreign"; testbed/testbed.sh down >/dev/null 2>&1
  fail "testbed up started on top of a foreign process"
fi
kill "$foreign"; wait "$foreign" 2>/dev/null
grep -q "refusing to start" "$log/up-foreign.log" || fail "no clear refusal: $(cat "$log/up-foreign.log")"
grep "testbed:" "$log/up-foreign.log"

echo
echo "PASS: no pod process outlived the test bed, and up never started on leftovers"
