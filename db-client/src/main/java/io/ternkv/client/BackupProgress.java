package io.ternkv.client;

/**
 * Hears how far a backup got. Called on the thread running the backup, after each chunk; must
 * return quickly.
 */
@FunctionalInterface
public interface BackupProgress {
  /**
   * @param bytes bytes written to the file so far
   * @param estimatedTotal a rough guide to the final size (the node's store file size), or 0 when
   *     unknown
   */
  void written(long bytes, long estimatedTotal);
}
