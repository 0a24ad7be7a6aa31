package io.ternkv.shell;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.ternkv.client.ErrorCode;
import io.ternkv.client.InvalidArgumentException;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.RangeResult;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.RequestTimeoutException;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.Txn;
import io.ternkv.client.TxnOp;
import io.ternkv.client.TxnResult;
import io.ternkv.server.apply.RequestLimits;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code import} and {@code export} of JSON-lines files: one {@code {"key": K, "value": V}} per
 * line, K and V strings (UTF-8 text) or {@code {"base64": "..."}}. Imports go in batches of up to
 * {@value #BATCH} rows and {@value #BATCH_BYTES} bytes, no key twice (see {@link #writeBatch});
 * progress goes to stderr; a summary (rows, time, rate) ends each run.
 *
 * <p>Errors say where and how far: a bad line (not UTF-8, not JSON, empty or oversized key) or a
 * row the server rejects is named by file and line with the number of rows imported.
 *
 * <p>Threading: one run at a time, on the calling thread. Interrupting that thread (Ctrl-C in the
 * shell) stops an import after the batch being written and an export after the page being
 * written, with a {@link CancelledException} that says how far it got.
 */
class BulkIo {
  /** Most rows in one batch. */
  static final int BATCH = 256;

  /**
   * Longest key accepted by import's own check: the server's default limit. A server configured
   * with a higher limit still gets no longer keys from import, which is the safer mistake.
   */
  static final int MAX_KEY_BYTES = RequestLimits.DEFAULT_MAX_KEY_BYTES;

  /**
   * Most key and value bytes in one batch (a bigger row goes alone): a batch stays well inside
   * one request and one Raft log entry (4 MiB) should {@link #writeBatch} send it as one.
   */
  static final int BATCH_BYTES = 2 * 1024 * 1024;

  private static final int PAGE = 1000;

  /**
   * One row of an import file.
   *
   * @param line its line number in the file, from 1
   */
  record Row(long line, byte[] key, byte[] value) {}

  /** {@link #writeBatch} failed: the first row that failed, and how many of the batch are applied. */
  static final class BatchFailedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Row row;
    private final int applied;

    private final boolean outcomeUnknown;

    BatchFailedException(Row row, int applied, String message, Throwable cause, boolean outcomeUnknown) {
      super(message, cause);
      this.row = row;
      this.applied = applied;
      this.outcomeUnknown = outcomeUnknown;
    }

    /** Whether the batch may have been applied after all (the request timed out). */
    boolean outcomeUnknown() {
      return outcomeUnknown;
    }

    /** The failed row (the batch's first failed row by line, or its first row if unknown). */
    Row row() {
      return row;
    }

    /** How many rows of the batch are known to be applied. */
    int applied() {
      return applied;
    }
  }

  /** An import that stopped at a bad or rejected row; the message names file and line. */
  static final class ImportException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long rowsImported;

    ImportException(String message, long rowsImported, Throwable cause) {
      super(message, cause);
      this.rowsImported = rowsImported;
    }

    /** Rows known applied when the import stopped. */
    long rowsImported() {
      return rowsImported;
    }
  }

  private final TernClient client;
  private final PrintStream err;
  private final boolean progressBar;

  /**
   * @param err where progress and summaries go
   * @param progressBar a redrawn one-line bar (for a terminal) rather than occasional lines
   */
  BulkIo(TernClient client, PrintStream err, boolean progressBar) {
    this.client = client;
    this.err = err;
    this.progressBar = progressBar;
  }

  /**
   * Imports a file. A bad line stops the import: the rows before it are written, none at or after
   * it. Two rows with the same key end with the later row's value.
   *
   * @return the number of rows imported
   * @throws ImportException naming file and line of the first bad or rejected row
   * @throws CancelledException when the thread is interrupted; every row before the line it
   *     names is imported, none after
   * @throws IOException when the file cannot be read
   */
  long importFile(Path file) throws IOException {
    long total = Files.size(file);
    long start = System.nanoTime();
    Importer run = new Importer(file);
    try (InputStream in = Files.newInputStream(file);
        Progress progress = new Progress("import", total)) {
      LineSplitter lines = new LineSplitter(in);
      CharsetDecoder utf8 =
          StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
      for (byte[] bytes; (bytes = lines.next()) != null; ) {
        long lineNo = lines.count();
        String text = decode(utf8, bytes);
        if (text == null) {
          throw run.badLine(lineNo, "not valid UTF-8 (" + badByte(utf8, bytes) + "); write binary keys and values as {\"base64\": \"...\"}");
        }
        if (lineNo == 1 && text.startsWith("\uFEFF")) {
          text = text.substring(1); // a byte-order mark some editors write
        }
        if (text.isBlank()) {
          continue;
        }
        Row row;
        try {
          row = row(lineNo, text);
        } catch (IllegalArgumentException e) {
          throw run.badLine(lineNo, e.getMessage());
        }
        if (run.add(row)) {
          progress.update(lines.bytesRead(), run.applied);
          if (Thread.currentThread().isInterrupted()) {
            throw run.cancelled();
          }
        }
      }
      run.flush();
    } catch (ClosedByInterruptException e) {
      // Interrupted while reading: the batch being read was not sent.
      throw run.cancelled();
    }
    summary("imported", run.applied, start);
    return run.applied;
  }

  /**
   * Writes one batch as one transaction, so it is applied whole or not at all, and waits for it
   * even when the thread is interrupted (the flag is kept for the caller), so that what was
   * applied is known. No two rows of a batch have the same key.
   *
   * @throws BatchFailedException naming the rejected row (the batch's first when the server does
   *     not say which) with 0 rows of the batch applied; after a timeout the batch may or may not
   *     have been applied, which {@link BatchFailedException#outcomeUnknown()} says
   */
  void writeBatch(List<Row> rows) throws BatchFailedException {
    List<TxnOp> puts = new ArrayList<>(rows.size());
    for (Row r : rows) {
      puts.add(TxnOp.put(r.key(), r.value()));
    }
    CompletableFuture<TxnResult> written;
    try {
      written = client.txnAsync(Txn.builder().then(puts).build());
    } catch (RuntimeException e) {
      written = CompletableFuture.failedFuture(e);
    }
    try {
      written.join(); // not interruptible: the batch is always waited for to the end
    } catch (CompletionException | CancellationException e) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      Matcher op = TXN_OP.matcher(String.valueOf(cause.getMessage()));
      Row row = rows.get(0);
      String why = Errors.message(cause);
      if (cause instanceof InvalidArgumentException && op.find()) {
        int i = Integer.parseInt(op.group(1));
        if (i < rows.size()) {
          row = rows.get(i);
          why = cause.getMessage().substring(op.end());
        }
      }
      throw new BatchFailedException(row, 0, why, cause, cause instanceof RequestTimeoutException);
    }
  }

  /** How the server names a transaction's op in an error: {@code success[12].key ...}. */
  private static final Pattern TXN_OP = Pattern.compile("^success\\[(\\d+)\\](?:: |\\.)");

  /** The state of one import: the batch being filled and what is known applied. */
  private final class Importer {
    private final Path file;
    private final List<Row> batch = new ArrayList<>(BATCH);
    private final Set<ByteBuffer> keys = new HashSet<>();
    private long batchBytes;
    private long applied;
    private long appliedThrough; // every row on a line up to this one is applied

    Importer(Path file) {
      this.file = file;
    }

    /** Adds a row; returns true when that wrote a batch. */
    boolean add(Row row) {
      boolean wrote = false;
      long size = (long) row.key().length + row.value().length;
      if (keys.contains(ByteBuffer.wrap(row.key())) || (!batch.isEmpty() && batchBytes + size > BATCH_BYTES)) {
        // The rows of a batch are written concurrently, in no fixed order: the earlier row goes
        // in an earlier batch, so the later line's value is the one that stays.
        flush();
        wrote = true;
      }
      batch.add(row);
      batchBytes += size;
      keys.add(ByteBuffer.wrap(row.key()));
      if (batch.size() == BATCH) {
        flush();
        wrote = true;
      }
      return wrote;
    }

    void flush() {
      if (batch.isEmpty()) {
        return;
      }
      try {
        writeBatch(batch);
      } catch (BatchFailedException e) {
        throw rejected(e);
      }
      applied += batch.size();
      appliedThrough = batch.get(batch.size() - 1).line();
      batch.clear();
      keys.clear();
      batchBytes = 0;
    }

    /** Writes the rows before a bad line, then reports it. */
    ImportException badLine(long line, String why) {
      flush();
      return new ImportException(
          String.format(Locale.ROOT, "%s:%d: %s (%,d rows before it were imported, none after)", file, line, why, applied), applied, null);
    }

    private ImportException rejected(BatchFailedException e) {
      long first = batch.get(0).line();
      long last = batch.get(batch.size() - 1).line();
      long total = applied + e.applied();
      String where;
      if (e.outcomeUnknown()) {
        where =
            String.format(
                Locale.ROOT,
                "%,d rows imported, all before line %d; the %d rows on lines %d-%d may or may not"
                    + " have been applied, as one; none after",
                total, first, batch.size(), first, last);
      } else if (batch.size() == 1) {
        where = String.format(Locale.ROOT, "%,d rows imported, all before line %d; none after", total, first);
      } else {
        where =
            String.format(
                Locale.ROOT,
                "%,d rows imported, all before line %d; none of lines %d-%d (written as one"
                    + " transaction), none after",
                total, first, first, last);
      }
      return new ImportException(
          String.format(Locale.ROOT, "%s:%d: rejected: %s (%s)", file, e.row().line(), e.getMessage(), where), total, e);
    }

    CancelledException cancelled() {
      String how =
          applied == 0
              ? "no rows imported"
              : String.format(Locale.ROOT, "%,d rows imported, every row up to line %d of %s; none after", applied, appliedThrough, file);
      return new CancelledException("import stopped: " + how, applied, appliedThrough);
    }
  }

  /**
   * Parses one line's JSON into its key and value bytes.
   *
   * @throws IllegalArgumentException saying what is wrong with the line
   */
  static byte[][] parseLine(String line) {
    JsonElement e;
    try {
      e = JsonParser.parseString(line);
    } catch (JsonParseException bad) {
      throw new IllegalArgumentException("not JSON");
    }
    if (!e.isJsonObject()) {
      throw new IllegalArgumentException("expected a {\"key\": ..., \"value\": ...} object");
    }
    JsonObject o = e.getAsJsonObject();
    return new byte[][] {Output.bytesOf(o.get("key"), "key"), Output.bytesOf(o.get("value"), "value")};
  }

  /**
   * A row from a line, with the checks that need no server: JSON shape and key length.
   *
   * @throws IllegalArgumentException saying what is wrong with the line
   */
  static Row row(long lineNo, String line) {
    byte[][] kv = parseLine(line);
    if (kv[0].length == 0) {
      throw new IllegalArgumentException("empty key");
    }
    if (kv[0].length > MAX_KEY_BYTES) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "key is %,d bytes; the limit is %,d", kv[0].length, MAX_KEY_BYTES));
    }
    return new Row(lineNo, kv[0], kv[1]);
  }

  /** Strict UTF-8 text of a line, or null when it is not UTF-8. */
  private static String decode(CharsetDecoder utf8, byte[] bytes) {
    utf8.reset();
    CharBuffer out = CharBuffer.allocate(bytes.length);
    if (utf8.decode(ByteBuffer.wrap(bytes), out, true).isError() || utf8.flush(out).isError()) {
      return null;
    }
    return out.flip().toString();
  }

  /** Where a line stops being UTF-8, for the error message. */
  private static String badByte(CharsetDecoder utf8, byte[] bytes) {
    utf8.reset();
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CoderResult r = utf8.decode(in, CharBuffer.allocate(bytes.length), true);
    int at = r.isError() ? in.position() : bytes.length - 1;
    return String.format(Locale.ROOT, "byte 0x%02x at column %d", bytes[Math.max(0, at)] & 0xff, at + 1);
  }

  /**
   * Exports keys page by page into {@code FILE.partial}, renamed to {@code file} when whole; a
   * failed or cancelled export removes the partial file and leaves {@code file} as it was.
   *
   * @return the number of rows exported
   * @throws CancelledException when the thread is interrupted
   * @throws IllegalArgumentException when the file's directory does not exist
   */
  long exportFile(Path file, byte[] prefix, ReadConsistency consistency) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("no such directory: " + dir);
    }
    long start = System.nanoTime();
    long rows = 0;
    Path tmp = file.resolveSibling(file.getFileName() + ".partial");
    KeyRange range = prefix == null ? KeyRange.all() : KeyRange.prefix(prefix);
    boolean moved = false;
    try (Progress progress = new Progress("export", -1)) {
      try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        while (true) {
          RangeResult page = client.range(range, PAGE, consistency);
          for (KeyValue kv : page.kvs()) {
            w.write(Output.object(keyValue(kv)).toString());
            w.write('\n');
            rows++;
          }
          progress.update(rows, rows);
          if (!page.more() || page.kvs().isEmpty()) {
            break;
          }
          if (Thread.currentThread().isInterrupted()) {
            throw exportCancelled(file, rows);
          }
          range = range.after(page.kvs().get(page.kvs().size() - 1).key());
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      moved = true;
    } catch (ClosedByInterruptException e) {
      throw exportCancelled(file, rows);
    } catch (TernException e) {
      if (e.code() == ErrorCode.CANCELLED) {
        throw exportCancelled(file, rows);
      }
      throw e;
    } finally {
      if (!moved) {
        removePartial(tmp);
      }
    }
    summary("exported", rows, start);
    return rows;
  }

  private static CancelledException exportCancelled(Path file, long rows) {
    return new CancelledException(String.format(Locale.ROOT, "export stopped after %,d rows; %s was not written", rows, file), rows, -1);
  }

  private void removePartial(Path tmp) {
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException e) {
      err.println("warning: could not remove " + tmp + ": " + Errors.message(e));
    }
  }

  private static Map<String, Object> keyValue(KeyValue kv) {
    Map<String, Object> m = Output.fields();
    m.put("key", Output.jsonBytes(kv.key()));
    m.put("value", Output.jsonBytes(kv.value()));
    return m;
  }

  private void summary(String verb, long rows, long startNanos) {
    double seconds = Math.max((System.nanoTime() - startNanos) / 1e9, 1e-9);
    err.printf(Locale.ROOT, "%s %,d rows in %.1f s (%,.0f rows/s)%n", verb, rows, seconds, rows / seconds);
  }

  /**
   * Splits a byte stream into lines (without {@code \n} or {@code \r\n}), counting the bytes
   * consumed so that progress is right whatever the encoding and line ends.
   */
  static final class LineSplitter {
    private final InputStream in;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int end;
    private long bytesRead;
    private long count;

    LineSplitter(InputStream in) {
      this.in = in;
    }

    /** The next line, or null at the end of the stream. */
    byte[] next() throws IOException {
      ByteArrayOutputStream pending = null;
      while (true) {
        if (pos == end) {
          int n = in.read(buf);
          if (n < 0) {
            if (pending == null) {
              return null;
            }
            count++;
            return stripCr(pending.toByteArray()); // a last line without \n
          }
          pos = 0;
          end = n;
        }
        int nl = pos;
        while (nl < end && buf[nl] != '\n') {
          nl++;
        }
        if (nl < end) {
          if (pending == null) {
            pending = new ByteArrayOutputStream(nl - pos);
          }
          pending.write(buf, pos, nl - pos);
          bytesRead += nl + 1 - pos;
          pos = nl + 1;
          count++;
          return stripCr(pending.toByteArray());
        }
        if (pending == null) {
          pending = new ByteArrayOutputStream(2 * (end - pos));
        }
        pending.write(buf, pos, end - pos);
        bytesRead += end - pos;
        pos = end;
      }
    }

    /** Lines returned so far: the number of the last one. */
    long count() {
      return count;
    }

    /** Bytes consumed so far, line ends included. */
    long bytesRead() {
      return bytesRead;
    }

    private static byte[] stripCr(byte[] line) {
      return line.length > 0 && line[line.length - 1] == '\r' ? java.util.Arrays.copyOf(line, line.length - 1) : line;
    }
  }

  /**
   * Backs the cluster up into {@code file} (see {@link TernClient#backup}), showing progress: a
   * redrawn bar on a terminal, a line every 64 MiB otherwise.
   *
   * @throws CancelledException when the thread is interrupted; the file is then not written
   */
  io.ternkv.client.BackupResult backup(Path file) {
    long[] lastLine = {0};
    boolean[] drawn = {false};
    try {
      return client.backup(
          file,
          (bytes, estimate) -> {
            if (progressBar) {
              drawn[0] = true;
              if (estimate > 0) {
                int pct = (int) Math.min(100, bytes * 100 / estimate);
                err.printf(Locale.ROOT, "\rbackup [%-30s] ~%3d%% %,d bytes", "#".repeat(pct * 30 / 100), pct, bytes);
              } else {
                err.printf(Locale.ROOT, "\rbackup %,d bytes", bytes);
              }
              err.flush();
            } else if (bytes - lastLine[0] >= 64L << 20) {
              lastLine[0] = bytes;
              err.printf(Locale.ROOT, "backup: %,d MiB%n", bytes >> 20);
            }
          });
    } catch (io.ternkv.client.TernException e) {
      if (e.code() == io.ternkv.client.ErrorCode.CANCELLED || Thread.currentThread().isInterrupted()) {
        throw new CancelledException("backup stopped; " + file + " was not written", 0, -1);
      }
      throw e;
    } finally {
      if (drawn[0]) {
        err.print("\r" + " ".repeat(60) + "\r");
        err.flush();
      }
    }
  }

  /** A one-line progress bar on a terminal, a line every 10,000 rows otherwise; closing clears the bar. */
  private final class Progress implements AutoCloseable {
    private final String what;
    private final long total;
    private long lastShown;
    private boolean drawn;

    Progress(String what, long total) {
      this.what = what;
      this.total = total;
    }

    /** @param done bytes read for an import (of {@code total}), rows for an export */
    void update(long done, long rows) {
      if (progressBar) {
        drawn = true;
        if (total > 0) {
          int pct = (int) Math.min(100, done * 100 / total);
          err.printf(Locale.ROOT, "\r%s [%-30s] %3d%% %,d rows", what, "#".repeat(pct * 30 / 100), pct, rows);
        } else {
          err.printf(Locale.ROOT, "\r%s %,d rows", what, rows);
        }
        err.flush();
      } else if (rows - lastShown >= 10_000) {
        lastShown = rows;
        err.printf(Locale.ROOT, "%s: %,d rows%s%n", what, rows, total > 0 ? String.format(Locale.ROOT, " (%d%%)", Math.min(100, done * 100 / total)) : "");
      }
    }

    @Override
    public void close() {
      if (drawn) {
        err.print("\r" + " ".repeat(60) + "\r");
        err.flush();
      }
    }
  }
}
