#!/usr/bin/env bash
# `make demo-s3` (after `make demo`): a local S3 server for trying backups on the demo's test bed,
# as seed 002 Ticket 3's demo script does against S3. Starts s3proxy (HTTPS on 127.0.0.1, a bucket
# `backups`), writes the Secrets `s3-backup-credentials` and `s3-ca` into the namespace
# (DEMO_S3_NAMESPACE, default `default`) and prints the `spec.backup` to give a PostgresCluster
# there (also in target/demo/s3-backup.yaml). `hack/demo-s3.sh stop` (and `make demo-down`) stops
# it; its data goes with it.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
work="$root/target/demo"
mkdir -p "$work"
pidfile="$work/s3.pid"

if [ "${1:-}" = "stop" ]; then
  if [ -f "$pidfile" ]; then
    kill -- "-$(cat "$pidfile")" 2>/dev/null || kill "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 1; done
    rm -f "$pidfile"
  fi
  exit 0
fi

if [ ! -f "$root/target/testbed/kubeconfig" ]; then
  echo "The test bed is not running: run \`make demo\` first." >&2
  exit 1
fi
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "already running (pid $(cat "$pidfile")):"
  cat "$work/s3-backup.yaml"
  exit 0
fi
rm -f "$work/s3-backup.yaml"
# A process group of its own, so that `stop` ends Maven and the server's JVMs together.
setsid nohup ./mvnw -B -ntp -q -pl testbed/java -Ps3-server compile exec:java \
  -Dexec.args="${DEMO_S3_NAMESPACE:-default} backups" >"$work/s3.log" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 180); do
  if [ -s "$work/s3-backup.yaml" ]; then
    sed -n '/^S3 server at/,$p' "$work/s3.log"
    echo "Log: target/demo/s3.log. Stop it with: hack/demo-s3.sh stop (make demo-down does too)."
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "The S3 server did not start; the end of target/demo/s3.log:" >&2
    tail -20 "$work/s3.log" >&2
    rm -f "$pidfile"
    exit 1
  fi
  sleep 1
done
echo "The S3 server did not start within 3 minutes; see target/demo/s3.log" >&2
exit 1
