package io.pgtrickle.operator.postgres.sidecars;

import io.pgtrickle.operator.postgres.tls.SslRequest;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One command on PgBouncer's admin console ({@code dbname=pgbouncer}) with SCRAM-SHA-256, in
 * PostgreSQL's protocol 3.0: with TLS the SSLRequest and the handshake (trusting what {@code tls}
 * trusts), then the startup message, the SCRAM exchange ({@link ScramClient}), one simple query,
 * Terminate. pgjdbc cannot do it: after login it sends {@code SET extra_float_digits = 2} to a
 * server whose version is below 9.0, as the console reports itself ("1.18.0/bouncer"), and the
 * console refuses that ("SET failed"; checked with pgjdbc 42.7.8 and PgBouncer 1.18, also with
 * {@code assumeMinServerVersion}).
 */
final class PgBouncerConsole {

  private static final int PROTOCOL_3 = 196608;

  private PgBouncerConsole() {}

  /** What a command returned: its command tag (e.g. {@code RELOAD}) and its rows, as text. */
  record Result(String tag, List<List<String>> rows) {}

  /**
   * Runs {@code command} as {@code user}, over TLS when {@code tls} is not null (PgBouncer's {@code
   * client_tls_sslmode} then requires it), in plain text otherwise.
   *
   * @throws IOException when the console cannot be reached within {@code timeout} (connecting, and
   *     each read), does not speak TLS or SCRAM-SHA-256, refuses the login or the command (the
   *     message is PgBouncer's), or verification of the server by {@code tls} fails
   */
  static Result run(
      String host,
      int port,
      SSLContext tls,
      String user,
      String password,
      String command,
      Duration timeout)
      throws IOException {
    int millis = (int) timeout.toMillis();
    if (tls == null) {
      try (Socket plain = new Socket()) {
        plain.connect(new InetSocketAddress(host, port), millis);
        plain.setSoTimeout(millis);
        return converse(
            new DataInputStream(plain.getInputStream()),
            plain.getOutputStream(),
            user,
            password,
            command);
      }
    }
    try (Socket plain = SslRequest.open(host, port, millis);
        SSLSocket socket =
            (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true)) {
      socket.startHandshake();
      return converse(
          new DataInputStream(socket.getInputStream()),
          socket.getOutputStream(),
          user,
          password,
          command);
    }
  }

  private static Result converse(
      DataInputStream in, OutputStream out, String user, String password, String command)
      throws IOException {
    ByteArrayOutputStream startup = new ByteArrayOutputStream();
    startup.writeBytes(ByteBuffer.allocate(4).putInt(PROTOCOL_3).array());
    for (String s : new String[] {"user", user, "database", "pgbouncer"}) {
      startup.writeBytes(cstring(s));
    }
    startup.write(0);
    send(out, (byte) 0, startup.toByteArray());
    ScramClient scram = new ScramClient(password);
    String tag = null;
    List<List<String>> rows = new ArrayList<>();
    boolean sent = false;
    while (true) {
      byte type = in.readByte();
      byte[] body = new byte[in.readInt() - 4];
      in.readFully(body);
      switch (type) {
        case 'R' -> authenticate(ByteBuffer.wrap(body), out, scram);
        case 'E' -> throw new IOException(errorMessage(body));
        case 'D' -> rows.add(row(ByteBuffer.wrap(body)));
        case 'C' -> tag = new String(body, 0, body.length - 1, StandardCharsets.UTF_8);
        case 'Z' -> {
          if (sent) {
            send(out, (byte) 'X', new byte[0]);
            return new Result(tag, rows);
          }
          send(out, (byte) 'Q', cstring(command));
          sent = true;
        }
        default -> {
          // ParameterStatus, BackendKeyData, notices, row descriptions: nothing to do
        }
      }
    }
  }

  /** A DataRow's columns as text (null for SQL NULL). */
  private static List<String> row(ByteBuffer body) {
    int columns = body.getShort();
    List<String> row = new ArrayList<>(columns);
    for (int i = 0; i < columns; i++) {
      int length = body.getInt();
      if (length < 0) {
        row.add(null);
        continue;
      }
      byte[] value = new byte[length];
      body.get(value);
      row.add(new String(value, StandardCharsets.UTF_8));
    }
    return row;
  }

  private static void authenticate(ByteBuffer body, OutputStream out, ScramClient scram)
      throws IOException {
    int code = body.getInt();
    byte[] rest = new byte[body.remaining()];
    body.get(rest);
    switch (code) {
      case 0 -> {
        // AuthenticationOk
      }
      case 10 -> {
        if (!new String(rest, StandardCharsets.UTF_8).contains("SCRAM-SHA-256\0")) {
          throw new IOException("PgBouncer offers no SCRAM-SHA-256");
        }
        byte[] first = scram.firstMessage().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream initial = new ByteArrayOutputStream();
        initial.writeBytes(cstring("SCRAM-SHA-256"));
        initial.writeBytes(ByteBuffer.allocate(4).putInt(first.length).array());
        initial.writeBytes(first);
        send(out, (byte) 'p', initial.toByteArray());
      }
      case 11 ->
          send(
              out,
              (byte) 'p',
              scram
                  .finalMessage(new String(rest, StandardCharsets.UTF_8))
                  .getBytes(StandardCharsets.UTF_8));
      case 12 -> scram.verifyServer(new String(rest, StandardCharsets.UTF_8));
      default -> throw new IOException("PgBouncer asks for authentication " + code + ", not SCRAM");
    }
  }

  /** The message field ({@code M}) of an ErrorResponse, with its severity. */
  static String errorMessage(byte[] body) {
    String severity = "ERROR";
    String message = "";
    int i = 0;
    while (i < body.length && body[i] != 0) {
      char field = (char) body[i++];
      int end = i;
      while (end < body.length && body[end] != 0) {
        end++;
      }
      String value = new String(body, i, end - i, StandardCharsets.UTF_8);
      if (field == 'S') {
        severity = value;
      } else if (field == 'M') {
        message = value;
      }
      i = end + 1;
    }
    return severity + ": " + message;
  }

  private static byte[] cstring(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[bytes.length + 1];
    System.arraycopy(bytes, 0, out, 0, bytes.length);
    return out;
  }

  /** One message: its type byte (none for the startup message), length, body. */
  private static void send(OutputStream out, byte type, byte[] body) throws IOException {
    ByteBuffer message = ByteBuffer.allocate((type == 0 ? 0 : 1) + 4 + body.length);
    if (type != 0) {
      message.put(type);
    }
    message.putInt(4 + body.length).put(body);
    out.write(message.array());
    out.flush();
  }
}
