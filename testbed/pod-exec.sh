#!/bin/bash
# Plays the kubelet's exec into a pod the pod player runs (`kubectl exec POD -- pgbackrest info`):
# kwok serves the exec and runs the command on this machine, resolving it on kwok's PATH, where
# testbed.sh puts links named after the commands pods offer (pgbackrest, psql, sh, ...) to this
# script. The pod player gives each played pod a kwok Exec object whose environment names the
# pod's init process (TESTBED_EXEC_PID) and user (TESTBED_EXEC_USER); this enters that process's
# mount and PID namespaces with the container's environment and user, as a container exec would.
# Without TESTBED_EXEC_PID (any other caller of these names on kwok's PATH) it runs the command
# of the machine. The interpreter is /bin/bash by path: `env bash` would find the link named bash.
set -euo pipefail
cmd="$(basename "$0")"
if [ -z "${TESTBED_EXEC_PID:-}" ]; then
  self_dir="$(cd "$(dirname "$0")" && pwd)"
  PATH="$(echo "$PATH" | tr ':' '\n' | grep -vx "$self_dir" | paste -sd:)"
  exec "$cmd" "$@"
fi
[ -r "/proc/$TESTBED_EXEC_PID/environ" ] || {
  echo "pod-exec: the pod's container is not running (process $TESTBED_EXEC_PID is gone)" >&2
  exit 126
}
mapfile -d '' envs <"/proc/$TESTBED_EXEC_PID/environ"
exec nsenter --target "$TESTBED_EXEC_PID" --mount --pid -- \
  env -i "${envs[@]}" setpriv --reuid="$TESTBED_EXEC_USER" --regid="$TESTBED_EXEC_USER" \
  --init-groups sh -c 'cd / && exec "$0" "$@"' "$cmd" "$@"
