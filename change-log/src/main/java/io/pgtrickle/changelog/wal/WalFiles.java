package io.pgtrickle.changelog.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** File-system helpers whose durability matters. */
final class WalFiles {

  private WalFiles() {}

  /**
   * Fsyncs a directory, so that a created, renamed or deleted entry survives a crash: fsync of a
   * file does not persist its directory entry.
   */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
