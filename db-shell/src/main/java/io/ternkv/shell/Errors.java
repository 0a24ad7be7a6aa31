package io.ternkv.shell;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The message a person sees after {@code error: }. File-system exceptions carry only a path as
 * their message, so they are given words; other exceptions keep their own message, and one
 * without a message is named by its class (a bug; {@code --debug} shows the stack trace).
 *
 * <p>Threading: stateless.
 */
final class Errors {
  private Errors() {}

  /** The message for {@code e}, never null or empty. */
  static String message(Throwable e) {
    if (e instanceof NoSuchFileException f) {
      return "no such file: " + f.getFile();
    }
    if (e instanceof AccessDeniedException f) {
      return "permission denied: " + f.getFile();
    }
    if (e instanceof FileAlreadyExistsException f) {
      return "already exists: " + f.getFile();
    }
    if (e instanceof NotDirectoryException f) {
      return "not a directory: " + f.getFile();
    }
    if (e instanceof DirectoryNotEmptyException f) {
      return "directory not empty: " + f.getFile();
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getFile() + ": " + f.getReason();
    }
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return "internal error (" + e.getClass().getSimpleName() + "); --debug shows where";
    }
    return m;
  }
}
