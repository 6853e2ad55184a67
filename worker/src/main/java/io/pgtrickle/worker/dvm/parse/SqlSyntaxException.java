package io.pgtrickle.worker.dvm.parse;

/** SQL text the lexer or the query parser cannot read; {@link #offset()} is where. */
public final class SqlSyntaxException extends RuntimeException {

  private final int offset;

  public SqlSyntaxException(String message, int offset) {
    super(message + " at character " + (offset + 1));
    this.offset = offset;
  }

  /** Zero-based character offset of the problem in the text. */
  public int offset() {
    return offset;
  }
}
