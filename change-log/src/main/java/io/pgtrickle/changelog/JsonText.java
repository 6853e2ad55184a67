package io.pgtrickle.changelog;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Which strings JSON carries unchanged, for {@link ChangeEventWriter}'s fast path: ASCII without a
 * quote, a backslash or a control character (below U+0020). Jackson's UTF-8 generator, as {@link
 * ChangeEventCodec} configures it, writes exactly these characters as they are and escapes or
 * encodes every other one, so a string made only of them is its own JSON text between quotes.
 */
final class JsonText {

  /** From this length on a string is checked on a copy of its bytes, 32 bytes at a time. */
  static final int BULK = 32;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101_0101_0101_0101L;
  private static final long HIGHS = 0x8080_8080_8080_8080L;

  private JsonText() {}

  /**
   * Whether JSON carries {@code c} unchanged.
   *
   * @param c a UTF-16 code unit
   * @return {@code true} for U+0020 to U+007F except {@code "} and {@code \}
   */
  static boolean plain(char c) {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  /**
   * Whether every character of {@code s} is {@link #plain}, given its ISO-8859-1 bytes (the copy
   * {@code s.getBytes(ISO_8859_1)} makes: the string's own bytes when it is stored as Latin-1, and
   * {@code ?} for each character above U+00FF or surrogate pair otherwise).
   *
   * @param s the string
   * @param latin1 {@code s.getBytes(StandardCharsets.ISO_8859_1)}
   * @return {@code true} if {@code latin1} is the string's JSON text without the quotes
   */
  static boolean plainAscii(String s, byte[] latin1) {
    int n = latin1.length;
    if (n != s.length()) {
      return false; // a surrogate pair became one '?'
    }
    int i = 0;
    for (; i + 4 * Long.BYTES <= n; i += 4 * Long.BYTES) {
      long any =
          suspect((long) LONGS.get(latin1, i))
              | suspect((long) LONGS.get(latin1, i + 8))
              | suspect((long) LONGS.get(latin1, i + 16))
              | suspect((long) LONGS.get(latin1, i + 24));
      if (any != 0 && !plainBytes(s, latin1, i, i + 4 * Long.BYTES)) {
        return false;
      }
    }
    return plainBytes(s, latin1, i, n);
  }

  /**
   * Non-zero if one of the 8 bytes may not be plain or may be a {@code ?} standing for a character
   * ISO-8859-1 has not. Never zero when one is: a byte below 0x20 sets its high bit in {@code w -
   * 0x20..}, one of 0x80 and above has it set in {@code w}, and a byte equal to {@code "}, {@code
   * \} or {@code ?} is zero after the exclusive or and sets it in the subtraction. A borrow can
   * also flag the byte above such a one (a false alarm: {@link #plainBytes} then decides).
   */
  private static long suspect(long w) {
    return (w
            | (w - 0x20 * ONES)
            | ((w ^ ('"' * ONES)) - ONES)
            | ((w ^ ('\\' * ONES)) - ONES)
            | ((w ^ ('?' * ONES)) - ONES))
        & HIGHS;
  }

  private static boolean plainBytes(String s, byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = (char) (b[i] & 0xFF);
      if (c == '?' ? s.charAt(i) != '?' : !plain(c)) {
        return false;
      }
    }
    return true;
  }
}
