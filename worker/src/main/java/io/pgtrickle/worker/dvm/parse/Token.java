package io.pgtrickle.worker.dvm.parse;

/**
 * One lexical token of PostgreSQL SQL, with its exact source text, so that an expression can be
 * written back unchanged (PostgreSQL operators such as {@code ~~} or {@code !~~*} survive).
 *
 * @param kind what the token is
 * @param text the exact characters of the token in the source
 * @param offset where the token starts in the source (characters)
 */
public record Token(Kind kind, String text, int offset) {

  /** Token kinds. */
  public enum Kind {
    /** Unquoted identifier or keyword (PostgreSQL folds it to lower case). */
    WORD,
    /** Double-quoted identifier. */
    QUOTED_IDENT,
    /** String literal in any form ('..', E'..', $$..$$, B'..', X'..', U&'..'). */
    STRING,
    NUMBER,
    /** Operator characters, e.g. {@code =}, {@code ~~*}, {@code ->>}. */
    OPERATOR,
    /** One of {@code ( ) [ ] , ; . :} or {@code ::}. */
    PUNCT,
    /** A positional parameter {@code $n}. */
    PARAM
  }

  /** True for an unquoted word equal (ignoring case) to {@code keyword}. */
  public boolean isWord(String keyword) {
    return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
  }

  /** True for the punctuation or operator {@code symbol}. */
  public boolean is(String symbol) {
    return (kind == Kind.PUNCT || kind == Kind.OPERATOR) && text.equals(symbol);
  }

  /** True for an identifier (quoted, or an unquoted word). */
  public boolean isIdentifier() {
    return kind == Kind.WORD || kind == Kind.QUOTED_IDENT;
  }

  /** The identifier's name as PostgreSQL resolves it (unquoted words fold to lower case). */
  public String identifierName() {
    if (kind == Kind.QUOTED_IDENT) {
      return text.substring(1, text.length() - 1).replace("\"\"", "\"");
    }
    if (kind == Kind.WORD) {
      return text.toLowerCase(java.util.Locale.ROOT);
    }
    throw new IllegalStateException("not an identifier: " + text);
  }
}
