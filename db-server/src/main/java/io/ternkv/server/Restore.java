package io.ternkv.server;

import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Builds a new node's data directory from a backup (the file {@code tern shell}'s {@code backup}
 * writes), so that a fresh cluster whose every node was restored from the same backup starts with
 * its data: the keys, leases, revision and history it holds.
 *
 * <p>The backup is checked completely (format, counts, CRC32) before anything is kept; a
 * corrupted or truncated file is refused and leaves no directory behind. The data directory must
 * not exist or be empty: a restore never overwrites a node's data.
 *
 * <p>The restored node starts its log after the backup's log index, at term 1, so that every node
 * restored from the same file agrees, log indexes keep growing, and lease ids stay unique.
 */
public final class Restore {
  private Restore() {}

  /**
   * What a restore produced.
   *
   * @param revision the revision the restored data reflects
   * @param index the log index the new node's log continues after
   * @param keys number of keys restored
   */
  public record Result(long revision, long index, long keys) {}

  /**
   * Restores {@code backup} into {@code config}'s data directory.
   *
   * @throws IOException when the backup is unreadable, corrupt, truncated or of an unknown format,
   *     or the data directory is not empty or cannot be written; nothing is left behind then
   */
  public static Result restore(Path backup, ServerConfig config) throws IOException {
    Path dir = config.dataDir();
    if (!Files.isRegularFile(backup)) {
      throw new IOException("backup " + backup + " is not a readable file");
    }
    if (Files.exists(dir) && !isEmptyDirectory(dir)) {
      throw new IOException(
          "data directory " + dir + " is not empty; restore only into a new directory");
    }
    boolean created = !Files.exists(dir);
    boolean done = false;
    try {
      Files.createDirectories(dir);
      Path storeFile = RaftNode.storeFile(config);
      Result result;
      try (KvStore store = KvStore.open(storeFile)) {
        AppliedState at;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(backup), 1 << 16)) {
          at = store.restoreSnapshot(in);
        } catch (IOException e) {
          throw new IOException("backup " + backup + " is unusable: " + e.getMessage(), e);
        }
        if (at.index() > 0) {
          AppliedState rebased = new AppliedState(RaftNode.SEED_TERM, at.index(), at.revision());
          store.write(
              w -> {
                w.setApplied(rebased);
                return null;
              });
          store.commit();
          RaftNode.seedFromSnapshot(config, at.index(), store::writeSnapshot);
        }
        result = new Result(at.revision(), at.index(), store.size());
      }
      done = true;
      return result;
    } finally {
      if (!done) {
        if (created) {
          deleteTree(dir);
        } else {
          clearDirectory(dir);
        }
      }
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      return !entries.iterator().hasNext();
    }
  }

  private static void clearDirectory(Path dir) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        deleteTree(p);
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
