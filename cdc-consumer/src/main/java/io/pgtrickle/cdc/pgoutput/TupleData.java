package io.pgtrickle.cdc.pgoutput;

import java.util.Arrays;

/**
 * The column values of one row as pgoutput sends them in text format: each is SQL NULL, an
 * unchanged TOASTed value that PostgreSQL did not send, or the type's text output.
 */
public final class TupleData {

  /** What a column carries. */
  public enum Kind {
    /** SQL NULL. */
    NULL,
    /** A TOASTed value the UPDATE did not change; PostgreSQL does not send it again. */
    UNCHANGED_TOAST,
    /** The value in the type's text output format. */
    TEXT
  }

  private final Kind[] kinds;
  private final String[] texts;

  /**
   * Creates tuple data from parallel arrays.
   *
   * @param kinds what each column carries
   * @param texts the text of each {@link Kind#TEXT} column, else {@code null}
   */
  public TupleData(Kind[] kinds, String[] texts) {
    if (kinds.length != texts.length) {
      throw new IllegalArgumentException("kinds and texts differ in length");
    }
    this.kinds = kinds.clone();
    this.texts = texts.clone();
  }

  /**
   * Returns the number of columns.
   *
   * @return the column count
   */
  public int size() {
    return kinds.length;
  }

  /**
   * Returns what column {@code i} carries.
   *
   * @param i the column index
   * @return its kind
   */
  public Kind kind(int i) {
    return kinds[i];
  }

  /**
   * Returns the text of column {@code i}.
   *
   * @param i the column index
   * @return the text, or {@code null} unless the kind is {@link Kind#TEXT}
   */
  public String text(int i) {
    return texts[i];
  }

  @Override
  public String toString() {
    return "TupleData" + Arrays.toString(texts);
  }
}
