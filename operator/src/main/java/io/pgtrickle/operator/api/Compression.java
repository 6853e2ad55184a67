package io.pgtrickle.operator.api;

/** Backup compression. */
public enum Compression {
  zstd,
  lz4,
  gz,
  none
}
