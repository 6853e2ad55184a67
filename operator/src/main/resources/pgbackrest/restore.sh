#!/bin/sh
# Managed by the pg-trickle operator (spec.restore). Patroni's custom bootstrap of a restored
# cluster, and the restore_command of its recovery. Reads the source cluster's pgBackRest
# repository (restore-source.conf beside this file) and never writes to it.
#
#   restore.sh bootstrap [TARGET_TIME]   restore the newest backup (or the newest one that ended
#                                        before TARGET_TIME) into $PGDATA; with a target, replay
#                                        the WAL to it once and stop there, so that a target
#                                        PostgreSQL cannot reach fails here, before Patroni
#                                        starts anything. Then Patroni replays again and promotes.
#   restore.sh archive-get WAL PATH      one WAL file of the source's archive
#
# A failure is written to restore-UID.failed on the volume, UID being the PostgresCluster's
# metadata.uid (the operator reads it: phase Failed, reason RestoreFailed), the restored files are
# removed, and the script waits there, so nothing is ever promoted and a restarted member of the
# same cluster reports the same failure without restoring again. A failure belongs to one
# incarnation of the cluster: a cluster deleted and created again under the same name gets a new
# UID, and its first member restores again on the retained volume, removing the older failure.
set -u

# The operator writes the cluster's metadata.uid here, in the ConfigMap's copy of this script.
CLUSTER_UID='@CLUSTER_UID@'
CONF=/etc/pgbackrest/restore-source.conf
VOLUME=/var/lib/postgresql/data
FAILED="$VOLUME/restore-$CLUSTER_UID.failed"
LOG="$VOLUME/restore.log"
PGDATA="${PGDATA:-$VOLUME/pgdata}"

# The source repository's secrets, under names the cluster's own repository cannot collide with.
# RESTORE_SOURCE_REPO1_X becomes PGBACKREST_REPO1_X (S3, Azure and GCS credentials).
source_repository() {
  for option in S3_KEY S3_KEY_SECRET AZURE_ACCOUNT AZURE_KEY GCS_KEY CIPHER_PASS; do
    unset "PGBACKREST_REPO1_$option"
    eval "value=\${RESTORE_SOURCE_REPO1_$option:-}"
    if [ -n "$value" ]; then
      export "PGBACKREST_REPO1_$option=$value"
    fi
  done
  if [ -n "${RESTORE_SOURCE_CIPHER_PASS:-}" ]; then
    export PGBACKREST_REPO1_CIPHER_PASS="$RESTORE_SOURCE_CIPHER_PASS"
  fi
}

fail() {
  printf '%s\n' "$1" > "$FAILED"
  rm -rf "$PGDATA"
  echo "restore failed: $1" >&2
  # Never hand Patroni a data directory: wait, not ready, until the cluster is deleted.
  while :; do sleep 3600; done
}

# The last lines of the log matching $1, on one line.
lines() {
  grep -E "$1" "$LOG" | tail -n 3 | sed -e 's/^.*\(ERROR\|FATAL\|PANIC\|WARN\):/\1:/' | tr '\n' ' '
}

replay_to() {
  sockets=$(mktemp -d)
  "${PATRONI_POSTGRESQL_BIN_DIR:+$PATRONI_POSTGRESQL_BIN_DIR/}postgres" -D "$PGDATA" \
    -c listen_addresses= -c "unix_socket_directories=$sockets" -c archive_mode=off \
    -c hot_standby=off -c ssl=off -c logging_collector=off -c log_destination=stderr \
    -c lc_messages=C \
    -c "restore_command=sh /etc/pgbackrest/restore.sh archive-get %f \"%p\"" \
    -c "recovery_target_time=$1" -c recovery_target_action=shutdown \
    -c recovery_target_timeline=latest >> "$LOG" 2>&1
  rc=$?
  rm -rf "$sockets"
  if [ "$rc" -ne 0 ] || ! grep -q 'shutdown at recovery target' "$LOG"; then
    hint=""
    if grep -q 'recovery ended before configured recovery target was reached' "$LOG"; then
      # The archive ends before the target: a target in the future, or one so recent that the WAL
      # holding the next commit is not archived yet (a segment is archived once it fills, or after
      # archive_timeout, 60 s, on a quiet source).
      hint=" (the source's archive ends before it: a time in the future, or a recent one whose WAL\
 the source has not archived yet, since a WAL segment is archived when it fills or archive_timeout\
 after the last write; create the cluster again with an earlier targetTime, or once the source\
 has archived past it)"
    fi
    fail "recovery to targetTime $1 failed: $(lines 'FATAL|PANIC')$hint"
  fi
}

bootstrap() {
  target="${1:-}"
  if [ -s "$FAILED" ]; then
    fail "$(cat "$FAILED")"
  fi
  # An earlier incarnation's failure (restore.failed: written before failures named their cluster)
  # is not this cluster's: restore again.
  for old in "$VOLUME"/restore-*.failed "$VOLUME/restore.failed"; do
    if [ "$old" != "$FAILED" ]; then
      rm -f "$old"
    fi
  done
  rm -f "$LOG"
  rm -rf "$PGDATA"
  mkdir -p "$PGDATA" && chmod 0700 "$PGDATA"
  source_repository
  if [ -n "$target" ]; then
    set -- --type=time "--target=$target" --target-action=promote
  else
    set -- --type=default
  fi
  # The spool path is for asynchronous archiving, which a restored cluster does not inherit.
  if ! pgbackrest --config="$CONF" --stanza=db --spool-path=/tmp/pgbackrest-restore "$@" \
    restore > "$LOG" 2>&1; then
    fail "pgBackRest restore from the source repository failed: $(lines 'ERROR|WARN')"
  fi
  # The source's Patroni state is not this cluster's.
  rm -f "$PGDATA/patroni.dynamic.json"
  if [ -n "$target" ]; then
    replay_to "$target"
  fi
  # Patroni writes the recovery settings (bootstrap.method's recovery_conf) and its own signal.
  rm -f "$PGDATA/recovery.signal" "$PGDATA/standby.signal"
}

case "${1:-}" in
  bootstrap)
    shift
    bootstrap "$@"
    ;;
  archive-get)
    shift
    source_repository
    exec pgbackrest --config="$CONF" --stanza=db archive-get "$@"
    ;;
  *)
    echo "usage: restore.sh bootstrap [TARGET_TIME] | restore.sh archive-get WAL PATH" >&2
    exit 2
    ;;
esac
