package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.slot.SourceConnections;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The server the current replication session streams from, as {@link SynchronousCommitGate} reaches
 * it: by the address the replication connection reported, not through the source URL's host name (a
 * new primary after a failover would answer for another timeline, and a Service stops routing to a
 * primary that is shutting down); and whether that server is shutting down.
 *
 * <p>Written by the replication thread ({@link #at}), read by the publisher thread.
 */
final class SessionServer {

  private final SourceConnections connections;
  private volatile String host;
  private volatile int port;

  SessionServer(SourceConnections connections) {
    this.connections = connections;
  }

  /**
   * A new session streams from {@code host}:{@code port} ({@code null} host: reach it through the
   * source URL).
   */
  void at(String host, int port) {
    this.port = port;
    this.host = host;
  }

  /**
   * A connection to the session's server: by its own address, or, where that address cannot be
   * reached from here (a TCP proxy, NAT), through the source URL, where the gate's walsender pid
   * check tells whether it is the same server.
   *
   * @throws SQLException if neither connects; a refusal because the server is shutting down is
   *     thrown at once, never retried through the URL
   */
  Connection open() throws SQLException {
    String h = host;
    if (h != null) {
      try {
        return connections.adminAt(h, port);
      } catch (SQLException e) {
        boolean unreachable = e.getSQLState() != null && e.getSQLState().startsWith("08");
        if (shuttingDown(e) || !unreachable) {
          throw e;
        }
      }
    }
    return connections.admin();
  }

  /**
   * Whether the session's server is shutting down, asked with a new connection (a fast shutdown
   * terminated every other one, the gate's too).
   *
   * @return {@code true} if the session's server refused a connection because it is shutting down
   */
  boolean stopping() {
    try (Connection probe = open()) {
      return false;
    } catch (SQLException e) {
      return shuttingDown(e);
    }
  }

  /**
   * PostgreSQL's "the database system is shutting down" in English and in each language PostgreSQL
   * 15's message catalogs translate it to (Debian's {@code postgresql-15}: {@code
   * /usr/share/locale/LANG/LC_MESSAGES/postgres-15.mo}, read with Python's {@code gettext}). A
   * refused connection carries the server's {@code lc_messages} language: the client's own settings
   * apply only once a session started.
   */
  static final List<String> SHUTTING_DOWN =
      List.of(
          "the database system is shutting down",
          "das Datenbanksystem fährt herunter", // de
          "el sistema de base de datos está apagándose", // es
          "le système de base de données s'arrête", // fr
          "il database si sta spegnendo", // it
          "データベースシステムはシャットダウンしています", // ja
          "მონაცემთა ბაზის სისტემა ითიშება", // ka
          "데이터베이스 시스템이 중지 중입니다", // ko
          "система баз данных останавливается", // ru
          "databassystemet stänger ner", // sv
          "система бази даних завершує роботу", // uk
          "数据库系统停止中"); // zh_CN

  /**
   * Whether a new connection was refused because the server is shutting down. SQLSTATE 57P03 also
   * means starting up or crash recovery, where a transaction not on the standbys may be lost, so
   * the message decides ({@link #SHUTTING_DOWN}, in the server's language); in a language
   * PostgreSQL 15 does not translate it to (or a later translation changed) the gate stays closed
   * and the session ends when the walsender is killed or the silence limit passes (slow, but
   * nothing phantom).
   */
  static boolean shuttingDown(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql
          && "57P03".equals(sql.getSQLState())
          && sql.getMessage() != null
          && SHUTTING_DOWN.stream().anyMatch(sql.getMessage()::contains)) {
        return true;
      }
    }
    return false;
  }
}
