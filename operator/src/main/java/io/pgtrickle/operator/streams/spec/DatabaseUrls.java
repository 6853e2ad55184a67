package io.pgtrickle.operator.streams.spec;

import java.nio.charset.StandardCharsets;

/**
 * A database name as the last segment of a URL. PostgreSQL allows nearly any name; PgJDBC
 * form-decodes the database of its URL ({@code +} is a blank, {@code ?} starts the options) and
 * java.net.URI percent-decodes a path, so every byte but the unreserved ones is written as {@code
 * %XX}, which both read back as the name.
 */
public final class DatabaseUrls {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private DatabaseUrls() {}

  /**
   * The name percent-encoded: letters, digits, {@code -}, {@code .}, {@code _} and {@code ~} as
   * they are, every other UTF-8 byte as {@code %XX}.
   *
   * @param database the database name as PostgreSQL knows it
   * @return the URL path segment
   */
  public static String segment(String database) {
    StringBuilder out = new StringBuilder(database.length());
    for (byte b : database.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
      }
    }
    return out.toString();
  }
}
