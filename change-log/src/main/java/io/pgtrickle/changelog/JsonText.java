package io.pgtrickle.changelog;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Which strings JSON carries unchanged, for {@link ChangeEventWriter}'s fast path. Jackson's UTF-8
 * generator, as {@link ChangeEventCodec} configures it, escapes {@code "}, {@code \} and the
 * control characters below U+0020, escapes each UTF-16 surrogate (pairs included) as a
 * six-character escape, and writes every other character as its UTF-8 bytes. So a string without
 * those characters is its own UTF-8 bytes between quotes.
 */
final class JsonText {

  /**
   * Strings longer than this are checked on their UTF-8 bytes, 32 bytes at a time, once this many
   * characters of them are plain ASCII.
   */
  static final int BULK = 32;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101_0101_0101_0101L;
  private static final long HIGHS = 0x8080_8080_8080_8080L;

  private JsonText() {}

  /**
   * Whether JSON carries {@code c} unchanged (the short strings' test).
   *
   * @param c a UTF-16 code unit
   * @return {@code true} for U+0020 to U+007F except {@code "} and {@code \}
   */
  static boolean plain(char c) {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  /**
   * Whether 8 characters spread over {@code s} after {@code from} (the last one included) are
   * {@link #plain}: a cheap guess, before encoding a long string, that it is mostly plain ASCII.
   *
   * @param s the string
   * @param from the characters before this index are known to be plain
   * @return {@code false} if one of them is not
   */
  static boolean plainSamples(String s, int from) {
    int rest = s.length() - from;
    for (int k = 1; k <= 8; k++) {
      if (!plain(s.charAt(from + (int) ((long) rest * k / 8) - 1))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code utf8}, the string's UTF-8 bytes ({@code s.getBytes(UTF_8)}: a surrogate pair
   * becomes a 4-byte sequence, a lone surrogate {@code ?}), is its JSON text without the quotes: no
   * byte below 0x20, no {@code "} or {@code \}, no 4-byte sequence (lead byte 0xF0 and above), and
   * no {@code ?} but the string's own.
   *
   * @param s the string
   * @param utf8 {@code s.getBytes(StandardCharsets.UTF_8)}
   * @return {@code true} if Jackson writes exactly these bytes between quotes
   */
  static boolean plainUtf8(String s, byte[] utf8) {
    int n = utf8.length;
    int questions = 0;
    int i = 0;
    for (; i + 4 * Long.BYTES <= n; i += 4 * Long.BYTES) {
      long any =
          suspect((long) LONGS.get(utf8, i))
              | suspect((long) LONGS.get(utf8, i + 8))
              | suspect((long) LONGS.get(utf8, i + 16))
              | suspect((long) LONGS.get(utf8, i + 24));
      if (any != 0) {
        int q = questionsOrRefusal(utf8, i, i + 4 * Long.BYTES);
        if (q < 0) {
          return false;
        }
        questions += q;
      }
    }
    int q = questionsOrRefusal(utf8, i, n);
    if (q < 0) {
      return false;
    }
    questions += q;
    return questions == 0 || questions == count(s, '?');
  }

  /**
   * Non-zero if one of the 8 bytes is not plain ASCII or is a {@code ?}: never zero when one is. A
   * byte below 0x20 sets its high bit in {@code w - 0x20..}, one of 0x80 and above has it set in
   * {@code w}, and a {@code "}, {@code \} or {@code ?} is zero after the exclusive or and sets it
   * in the subtraction. A borrow can also flag the byte above such a one: a false alarm, which
   * {@link #questionsOrRefusal} settles byte by byte (as it does for non-ASCII text).
   */
  private static long suspect(long w) {
    return (w
            | (w - 0x20 * ONES)
            | ((w ^ ('"' * ONES)) - ONES)
            | ((w ^ ('\\' * ONES)) - ONES)
            | ((w ^ ('?' * ONES)) - ONES))
        & HIGHS;
  }

  /** -1 if a byte of {@code b[from, to)} refuses the fast path, else how many are {@code ?}. */
  private static int questionsOrRefusal(byte[] b, int from, int to) {
    int questions = 0;
    for (int i = from; i < to; i++) {
      int c = b[i] & 0xFF;
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0xF0) {
        return -1;
      }
      if (c == '?') {
        questions++;
      }
    }
    return questions;
  }

  private static int count(String s, char c) {
    int count = 0;
    for (int at = s.indexOf(c); at >= 0; at = s.indexOf(c, at + 1)) {
      count++;
    }
    return count;
  }
}
