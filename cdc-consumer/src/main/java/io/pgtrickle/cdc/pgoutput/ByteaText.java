package io.pgtrickle.cdc.pgoutput;

import java.io.ByteArrayOutputStream;
import java.util.Base64;

/**
 * bytea text output, in either of PostgreSQL's formats ({@code bytea_output = hex}, the default:
 * {@code \x0102ff}; or {@code escape}: printable bytes as is, others as {@code \ooo}, backslash as
 * {@code \\}), to base64: compact, and what JSON readers expect for binary data.
 */
final class ByteaText {

  private ByteaText() {}

  static String toBase64(String text) {
    return Base64.getEncoder().encodeToString(bytes(text));
  }

  static byte[] bytes(String text) {
    if (text.startsWith("\\x")) {
      int n = (text.length() - 2) / 2;
      byte[] out = new byte[n];
      for (int i = 0; i < n; i++) {
        int hi = Character.digit(text.charAt(2 + 2 * i), 16);
        int lo = Character.digit(text.charAt(3 + 2 * i), 16);
        if (hi < 0 || lo < 0) {
          throw new PgOutputException("bytea hex text has a non-hex digit");
        }
        out[i] = (byte) (hi << 4 | lo);
      }
      return out;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\\') {
        out.write(c);
      } else if (text.charAt(i + 1) == '\\') {
        out.write('\\');
        i++;
      } else {
        out.write(Integer.parseInt(text.substring(i + 1, i + 4), 8));
        i += 3;
      }
    }
    return out.toByteArray();
  }
}
