package io.pgtrickle.worker.dvm.parse;

import io.pgtrickle.worker.dvm.parse.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits PostgreSQL SQL into {@link Token}s, following the lexical rules of the PostgreSQL
 * documentation (4.1): identifiers, quoted identifiers, string constants (standard, escape,
 * dollar-quoted, bit, hex, Unicode), numbers, operators and punctuation. Comments and whitespace
 * are dropped.
 */
public final class SqlLexer {

  private static final String OPERATOR_CHARS = "+-*/<>=~!@#%^&|`?";

  private final String src;
  private int pos;

  private SqlLexer(String src) {
    this.src = src;
  }

  /**
   * Tokenizes {@code sql}.
   *
   * @throws SqlSyntaxException on an unterminated literal, quoted identifier or comment
   */
  public static List<Token> tokenize(String sql) {
    return new SqlLexer(sql).run();
  }

  private List<Token> run() {
    List<Token> out = new ArrayList<>();
    while (true) {
      skipBlanks();
      if (pos >= src.length()) {
        return out;
      }
      out.add(next());
    }
  }

  private void skipBlanks() {
    while (pos < src.length()) {
      char c = src.charAt(pos);
      if (Character.isWhitespace(c)) {
        pos++;
      } else if (src.startsWith("--", pos)) {
        int nl = src.indexOf('\n', pos);
        pos = nl < 0 ? src.length() : nl + 1;
      } else if (src.startsWith("/*", pos)) {
        int depth = 0;
        do {
          if (src.startsWith("/*", pos)) {
            depth++;
            pos += 2;
          } else if (src.startsWith("*/", pos)) {
            depth--;
            pos += 2;
          } else if (pos >= src.length()) {
            throw new SqlSyntaxException("unterminated comment", pos);
          } else {
            pos++;
          }
        } while (depth > 0);
      } else {
        return;
      }
    }
  }

  private Token next() {
    int start = pos;
    char c = src.charAt(pos);
    if ((c == 'E' || c == 'e' || c == 'B' || c == 'b' || c == 'X' || c == 'x')
        && at(pos + 1) == '\'') {
      pos++;
      return string(start, c == 'E' || c == 'e');
    }
    if ((c == 'U' || c == 'u') && at(pos + 1) == '&' && at(pos + 2) == '\'') {
      pos += 2;
      return string(start, false);
    }
    if ((c == 'U' || c == 'u') && at(pos + 1) == '&' && at(pos + 2) == '"') {
      pos += 2;
      return quoted(start);
    }
    if (c == '\'') {
      return string(start, false);
    }
    if (c == '"') {
      return quoted(start);
    }
    if (c == '$') {
      return dollar(start);
    }
    if (Character.isLetter(c) || c == '_' || c > 127) {
      pos++;
      while (pos < src.length() && isIdentPart(src.charAt(pos))) {
        pos++;
      }
      return new Token(Kind.WORD, src.substring(start, pos), start);
    }
    if (Character.isDigit(c) || (c == '.' && Character.isDigit(at(pos + 1)))) {
      return number(start);
    }
    if (c == ':' && at(pos + 1) == ':') {
      pos += 2;
      return new Token(Kind.PUNCT, "::", start);
    }
    if ("()[],;.:".indexOf(c) >= 0) {
      pos++;
      return new Token(Kind.PUNCT, String.valueOf(c), start);
    }
    if (OPERATOR_CHARS.indexOf(c) >= 0) {
      return operator(start);
    }
    throw new SqlSyntaxException("unexpected character '" + c + "'", start);
  }

  private static boolean isIdentPart(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c > 127;
  }

  private char at(int i) {
    return i < src.length() ? src.charAt(i) : '\0';
  }

  private Token string(int start, boolean backslashEscapes) {
    pos++; // opening quote
    while (true) {
      if (pos >= src.length()) {
        throw new SqlSyntaxException("unterminated string literal", start);
      }
      char c = src.charAt(pos);
      if (backslashEscapes && c == '\\') {
        pos += 2;
      } else if (c == '\'') {
        if (at(pos + 1) == '\'') {
          pos += 2;
        } else {
          pos++;
          break;
        }
      } else {
        pos++;
      }
    }
    return new Token(Kind.STRING, src.substring(start, pos), start);
  }

  private Token quoted(int start) {
    pos = src.indexOf('"', start) + 1;
    while (true) {
      int end = src.indexOf('"', pos);
      if (end < 0) {
        throw new SqlSyntaxException("unterminated quoted identifier", start);
      }
      if (at(end + 1) == '"') {
        pos = end + 2;
      } else {
        pos = end + 1;
        break;
      }
    }
    return new Token(Kind.QUOTED_IDENT, src.substring(start, pos), start);
  }

  private Token dollar(int start) {
    int i = pos + 1;
    if (Character.isDigit(at(i))) {
      while (Character.isDigit(at(i))) {
        i++;
      }
      pos = i;
      return new Token(Kind.PARAM, src.substring(start, pos), start);
    }
    while (i < src.length() && src.charAt(i) != '$' && isIdentPart(src.charAt(i))) {
      i++;
    }
    if (at(i) != '$') {
      throw new SqlSyntaxException("unexpected character '$'", start);
    }
    String tag = src.substring(start, i + 1);
    int end = src.indexOf(tag, i + 1);
    if (end < 0) {
      throw new SqlSyntaxException("unterminated dollar-quoted string", start);
    }
    pos = end + tag.length();
    return new Token(Kind.STRING, src.substring(start, pos), start);
  }

  private Token number(int start) {
    while (Character.isDigit(at(pos)) || at(pos) == '_') {
      pos++;
    }
    if (at(pos) == '.' && at(pos + 1) != '.') {
      pos++;
      while (Character.isDigit(at(pos)) || at(pos) == '_') {
        pos++;
      }
    }
    if ((at(pos) == 'e' || at(pos) == 'E')
        && (Character.isDigit(at(pos + 1))
            || ((at(pos + 1) == '+' || at(pos + 1) == '-') && Character.isDigit(at(pos + 2))))) {
      pos += 2;
      while (Character.isDigit(at(pos))) {
        pos++;
      }
    }
    return new Token(Kind.NUMBER, src.substring(start, pos), start);
  }

  private Token operator(int start) {
    while (pos < src.length()
        && OPERATOR_CHARS.indexOf(src.charAt(pos)) >= 0
        && !src.startsWith("--", pos)
        && !src.startsWith("/*", pos)) {
      pos++;
    }
    // PostgreSQL: a multi-character operator cannot end in + or - unless it also contains
    // one of ~ ! @ # % ^ & | ` ?  (so "a*-1" is "*" then "-").
    String op = src.substring(start, pos);
    while (op.length() > 1
        && (op.endsWith("+") || op.endsWith("-"))
        && op.chars().noneMatch(ch -> "~!@#%^&|`?".indexOf(ch) >= 0)) {
      op = op.substring(0, op.length() - 1);
    }
    pos = start + op.length();
    return new Token(Kind.OPERATOR, op, start);
  }
}
