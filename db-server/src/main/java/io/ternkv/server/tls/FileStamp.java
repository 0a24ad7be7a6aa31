package io.ternkv.server.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * What a set of files looked like when last read: modification time, size and file key of each,
 * so a file replaced by rename (a new inode) counts as changed even with the same time.
 */
record FileStamp(List<String> parts) {
  static FileStamp of(Path... files) {
    List<String> parts = new ArrayList<>();
    for (Path f : files) {
      if (f == null) {
        continue;
      }
      try {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        parts.add(f + "@" + a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + a.fileKey());
      } catch (IOException e) {
        parts.add(f + "@missing");
      }
    }
    return new FileStamp(List.copyOf(parts));
  }
}
