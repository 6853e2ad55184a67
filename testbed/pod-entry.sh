#!/usr/bin/env bash
# Plays a container runtime for one PostgreSQL pod of the test bed: run under
#   setpriv --pdeathsig KILL unshare --kill-child=SIGKILL --mount --pid --fork --mount-proc \
#     --propagation private testbed/pod-entry.sh POD_DIR VOLUME [COMMAND ARGS...]
# (with a COMMAND, as for a backup Job's pod, that command runs in place of Patroni, BackupJobPods)
# it gives Patroni the filesystem view the pod's volumes would (data volume, config, service
# account token, /tmp, /var/run/postgresql), then becomes the unprivileged postgres user and
# execs Patroni. Patroni is then the main process of its own PID namespace, as in a container:
# when it dies, the kernel kills everything left in the namespace, so PostgreSQL never outlives it.
# And Patroni dies with unshare, whatever kills it: unshare --kill-child gave this process a
# parent-death signal, which the kernel clears when the user changes, so setpriv sets it again
# (--pdeathsig) after becoming the postgres user.
set -euo pipefail
pod_dir="$1"
volume="$2" # the PVC's directory: outlives the pod, as a volume does
shift 2
user="${PGTRICKLE_PG_USER:-pgtest}"

mount_dir() { # source target
  mkdir -p "$2"
  mount --bind "$1" "$2"
}
mount_dir "$volume" /var/lib/postgresql/data
mount_dir "$pod_dir/config" /etc/patroni
mount_dir "$pod_dir/serviceaccount" /var/run/secrets/kubernetes.io/serviceaccount
mount_dir "$pod_dir/run" /var/run/postgresql
# Further volumes of the pod's containers (Secrets, ConfigMaps: TLS files, PgBouncer's and the
# exporter's configuration), one "SOURCE TARGET" per line, written by the pod player (PodExtras).
if [ -f "$pod_dir/mounts" ]; then
  while read -r source target; do
    [ -n "$source" ] && mount_dir "$source" "$target"
  done <"$pod_dir/mounts"
fi
# Cluster DNS of the namespace (Services and the pods under headless Services), a copy that the
# pod player keeps in place (ServiceRouting, ClusterDns.mirror).
if [ -f "$pod_dir/../hosts" ]; then
  mount --bind "$pod_dir/../hosts" /etc/hosts
fi
# pgBackRest: the configuration volume the pod mounts at /etc/pgbackrest (written by the pod
# player), and the image's pgBackRest (2.55.1, every major) in place of the machine's.
if [ -d "$pod_dir/pgbackrest" ]; then
  mount_dir "$pod_dir/pgbackrest" /etc/pgbackrest
fi
if [ -n "${TESTBED_PGBACKREST_BIN:-}" ]; then
  [ -e /usr/bin/pgbackrest ] || { echo "pod-entry: /usr/bin/pgbackrest missing (hack/install-deps.sh pgbackrest)" >&2; exit 1; }
  mount --bind "$TESTBED_PGBACKREST_BIN" /usr/bin/pgbackrest
fi
unset TESTBED_PGBACKREST_BIN
# The pod's other containers (PgBouncer, the exporter): started here, inside the pod's namespaces,
# so they share its volumes and die with it (see PodExtras); before /tmp is hidden, since their
# script and logs may live under it. Containers get a high file limit.
ulimit -n 65536 2>/dev/null || true
# One sidecar, as the kubelet runs a container of a restartPolicy Always pod: started again when it
# exits, at once the first time, then after 10 s doubling to 5 minutes (back to at once after 10
# minutes of running), each exit logged with its status in the container's log.
# Args: NAME FD COMMAND..., FD the container's log, open for appending.
sidecar() {
  local name=$1 fd=$2 delay=0 started status
  shift 2
  while :; do
    started=$(date +%s)
    status=0
    (cd / && exec "$@") >&"$fd" 2>&1 || status=$?
    if [ $(($(date +%s) - started)) -ge 600 ]; then delay=0; fi
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) [pod player] container $name exited with status" \
      "$status; starting it again in $delay s" >&"$fd"
    sleep "$delay"
    if [ "$delay" -eq 0 ]; then delay=10; elif [ "$delay" -lt 300 ]; then delay=$((delay * 2)); fi
    if [ "$delay" -gt 300 ]; then delay=300; fi
  done
}
# Starts a sidecar in the background with its log (LOG) opened here, before the background process
# runs: the pod's directory, LOG with it, may live under /tmp (CI clones the repository there),
# which is hidden right below. A log the background process opened itself (`(...) >>LOG &`: the
# redirection is the forked child's) lost that race now and then on a loaded machine, and the
# sidecar never started: no PgBouncer or pgBackRest server in that pod, and nothing in its logs.
# Args: NAME LOG COMMAND...
start_sidecar() {
  local name=$1 log=$2 fd
  shift 2
  exec {fd}>>"$log"
  sidecar "$name" "$fd" "$@" &
  exec {fd}>&-
}
if [ -f "$pod_dir/sidecars.sh" ]; then
  # shellcheck source=/dev/null
  . "$pod_dir/sidecars.sh"
fi
# Last: the sources above may themselves live under /tmp (a clone in /tmp), which this hides.
mount_dir "$pod_dir/tmp" /tmp

# A container starts in its image's working directory, not in the test's (which may now be hidden
# under the pod's own /tmp); Patroni's worker processes change back into it.
cd /
if [ $# -gt 0 ]; then
  exec setpriv --reuid="$user" --regid="$user" --init-groups --pdeathsig KILL "$@"
fi
exec setpriv --reuid="$user" --regid="$user" --init-groups --pdeathsig KILL \
  "$PATRONI_HOME/bin/patroni" /etc/patroni/patroni.yml
