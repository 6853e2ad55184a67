package io.pgtrickle.operator.backup.spec;

/**
 * The shell script a backup Job's container runs ({@link BackupJob}: {@code sh -c SCRIPT
 * pgbackrest-backup ARGS...}):
 *
 * <ol>
 *   <li>waits, {@value #SERVER_WAIT_SECONDS} s in all, for the pgBackRest TLS servers named in
 *       {@value #SERVERS_ENV} (the member it reads, and the primary from a replica) to answer
 *       {@code pgbackrest server-ping}: a member that just started starts its server beside
 *       PostgreSQL, and a backup reaching it earlier fails with "unable to find primary cluster".
 *       Each ping has {@code --io-timeout=}{@value #PING_IO_TIMEOUT_SECONDS}: with pgBackRest's
 *       default of 60 s, one ping to a server that is not listening retried its connection for 3
 *       minutes (measured with 2.55.1: about 3 times the io-timeout, refused or silent alike), so
 *       the earlier "30 pings 2 s apart" could hold a Job for 90 minutes. A server still silent
 *       when the time is up is named in the log with pgBackRest's last error, and the backup goes
 *       on (its own error then fails the pod, and the Job's {@code backoffLimit} retries it);
 *   <li>{@code pgbackrest stanza-create} (idempotent);
 *   <li>{@code exec pgbackrest backup} with the Job's args.
 * </ol>
 *
 * So the wait ends within {@value #SERVER_WAIT_SECONDS} s plus one last ping per server (about 3
 * times {@value #PING_IO_TIMEOUT_SECONDS} s each) plus one pause of 2 s. Pure: no client calls.
 */
final class BackupScript {

  /** The environment variable naming the TLS servers the script waits for (space-separated). */
  static final String SERVERS_ENV = "PGTRICKLE_BACKUP_SERVERS";

  /** How long the script waits for the TLS servers in all, seconds. */
  static final int SERVER_WAIT_SECONDS = 60;

  /** pgBackRest's {@code io-timeout} of each ping, seconds. */
  static final int PING_IO_TIMEOUT_SECONDS = 2;

  /** The script of every backup Job. */
  static final String TEXT = text(SERVER_WAIT_SECONDS);

  private BackupScript() {}

  /** The script, waiting {@code serverWaitSeconds} for the servers (tests wait less). */
  static String text(int serverWaitSeconds) {
    return "end=$(($(date +%s)+"
        + serverWaitSeconds
        + ")); for h in $"
        + SERVERS_ENV
        + "; do until out=$(pgbackrest server-ping \"$h\" --tls-server-port="
        + PgBackRestServer.PORT
        + " --io-timeout="
        + PING_IO_TIMEOUT_SECONDS
        + " 2>&1); do if [ \"$(date +%s)\" -ge \"$end\" ]; then"
        + " echo \"pgBackRest TLS server $h did not answer within "
        + serverWaitSeconds
        + " s: $out\"; break; fi; sleep 2; done; done; "
        + "pgbackrest --stanza="
        + PgBackRest.STANZA
        + " stanza-create && exec pgbackrest --stanza="
        + PgBackRest.STANZA
        + " backup \"$@\"";
  }
}
