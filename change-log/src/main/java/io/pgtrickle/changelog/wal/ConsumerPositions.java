package io.pgtrickle.changelog.wal;

import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Acknowledged positions of named consumers, one small file per consumer in {@code consumers/}:
 * lines {@code <source_oid> <lsn>}. A file is replaced atomically (write a temporary file, fsync,
 * rename, fsync the directory), so after a crash it holds either the old or the new positions,
 * never a mix.
 */
final class ConsumerPositions {

  private static final String SUFFIX = ".pos";

  private final Path dir;

  ConsumerPositions(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  /** Positions of every consumer that ever acknowledged or registered, by name. */
  Map<String, Map<Long, Lsn>> loadAll() throws IOException {
    Map<String, Map<Long, Lsn>> all = new HashMap<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        all.put(name.substring(0, name.length() - SUFFIX.length()), read(file));
      }
    }
    return all;
  }

  private static Map<Long, Lsn> read(Path file) throws IOException {
    Map<Long, Lsn> positions = new HashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.trim().split(" ");
      try {
        positions.put(Long.parseLong(parts[0]), Lsn.parse(parts[1]));
      } catch (RuntimeException e) {
        throw new ChangeLogException("consumer position file " + file + " is corrupt: " + line, e);
      }
    }
    return positions;
  }

  /** Replaces a consumer's file with {@code positions}, durably and atomically. */
  void store(String consumer, Map<Long, Lsn> positions) throws IOException {
    StringBuilder text = new StringBuilder();
    positions.forEach((source, lsn) -> text.append(source).append(' ').append(lsn).append('\n'));
    Path target = dir.resolve(consumer + SUFFIX);
    Path temp = dir.resolve(consumer + SUFFIX + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    WalFiles.syncDirectory(dir);
  }
}
