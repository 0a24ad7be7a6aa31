package io.ternkv.shell;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.RangeResult;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code import} and {@code export} of JSON-lines files: one {@code {"key": K, "value": V}} per
 * line, K and V strings (UTF-8 text) or {@code {"base64": "..."}}. Writes go in batches of
 * concurrent puts; progress goes to stderr; a summary (rows, time, rate) ends each run.
 */
final class BulkIo {
  static final int BATCH = 256;
  private static final int PAGE = 1000;

  private final TernClient client;
  private final PrintStream err;
  private final boolean progressBar;

  BulkIo(TernClient client, PrintStream err, boolean progressBar) {
    this.client = client;
    this.err = err;
    this.progressBar = progressBar;
  }

  /**
   * Imports a file. A line that does not parse stops the import: the lines before it are
   * written, none after it.
   *
   * @throws IllegalArgumentException naming the file and line of the first bad line
   */
  long importFile(Path file) throws IOException {
    long total = Files.size(file);
    long start = System.nanoTime();
    long rows = 0;
    long bytesRead = 0;
    int lineNo = 0;
    Progress progress = new Progress("import", total);
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      List<byte[][]> batch = new ArrayList<>(BATCH);
      for (String line; (line = in.readLine()) != null; ) {
        lineNo++;
        bytesRead += line.length() + 1;
        if (line.isBlank()) {
          continue;
        }
        byte[][] kv;
        try {
          kv = parseLine(line);
        } catch (IllegalArgumentException e) {
          rows += write(batch);
          progress.finish(rows);
          throw new IllegalArgumentException(
              file + ":" + lineNo + ": " + e.getMessage() + " (" + rows + " rows before it were imported, none after)");
        }
        batch.add(kv);
        if (batch.size() == BATCH) {
          rows += write(batch);
          progress.update(bytesRead, rows);
        }
      }
      rows += write(batch);
    }
    progress.finish(rows);
    summary("imported", rows, start);
    return rows;
  }

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

  private long write(List<byte[][]> batch) {
    if (batch.isEmpty()) {
      return 0;
    }
    CompletableFuture<?>[] puts = new CompletableFuture<?>[batch.size()];
    for (int i = 0; i < puts.length; i++) {
      puts[i] = client.putAsync(batch.get(i)[0], batch.get(i)[1]);
    }
    try {
      CompletableFuture.allOf(puts).join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
    long n = batch.size();
    batch.clear();
    return n;
  }

  /** Exports keys page by page; the file is written to a temporary name and renamed when whole. */
  long exportFile(Path file, byte[] prefix, ReadConsistency consistency) throws IOException {
    long start = System.nanoTime();
    long rows = 0;
    Path tmp = file.resolveSibling(file.getFileName() + ".partial");
    Progress progress = new Progress("export", -1);
    KeyRange range = prefix == null ? KeyRange.all() : KeyRange.prefix(prefix);
    try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      RangeResult page = client.range(range, PAGE, consistency);
      while (true) {
        for (KeyValue kv : page.kvs()) {
          w.write(Output.object(keyValue(kv)).toString());
          w.write('\n');
          rows++;
        }
        progress.update(rows, rows);
        if (!page.more() || page.kvs().isEmpty()) {
          break;
        }
        range = range.after(page.kvs().get(page.kvs().size() - 1).key());
        page = client.range(range, PAGE, consistency);
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    progress.finish(rows);
    summary("exported", rows, start);
    return rows;
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

  /** A one-line progress bar on a terminal, a line every 10% (or 10,000 rows) otherwise. */
  private final class Progress {
    private final String what;
    private final long total;
    private long lastShown;

    Progress(String what, long total) {
      this.what = what;
      this.total = total;
    }

    void update(long done, long rows) {
      if (progressBar) {
        if (total > 0) {
          int pct = (int) Math.min(100, done * 100 / total);
          err.printf(Locale.ROOT, "\r%s [%-30s] %3d%% %,d rows", what, "#".repeat(pct * 30 / 100), pct, rows);
        } else {
          err.printf(Locale.ROOT, "\r%s %,d rows", what, rows);
        }
      } else if (rows - lastShown >= 10_000) {
        lastShown = rows;
        err.printf(Locale.ROOT, "%s: %,d rows%s%n", what, rows, total > 0 ? String.format(Locale.ROOT, " (%d%%)", done * 100 / total) : "");
      }
    }

    void finish(long rows) {
      if (progressBar) {
        err.print("\r" + " ".repeat(60) + "\r");
      }
    }
  }
}
