package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.RangeResult;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.server.LocalCluster;
import io.ternkv.server.apply.RequestLimits;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Import and export against a real one-node LocalCluster over gRPC: cancellation by interrupt,
 * rows the server rejects (with their whole batch, one transaction), rows rejected before sending,
 * and repeated keys. Values over 1 KiB are
 * rejected by this cluster, so a rejected row is cheap to make.
 */
class BulkIoIT {
  static final int MAX_VALUE = 1024;
  static LocalCluster cluster;
  static TernClient client;
  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    cluster =
        LocalCluster.builder()
            .nodes(1)
            .configure(b -> b.limits(new RequestLimits(RequestLimits.DEFAULT_MAX_KEY_BYTES, MAX_VALUE)))
            .start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    client = TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(30)).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  /** Every key under a prefix, page by page. */
  static List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>();
    KeyRange range = KeyRange.prefix(prefix.getBytes(StandardCharsets.UTF_8));
    while (true) {
      RangeResult page = client.range(range, 0);
      page.kvs().forEach(kv -> keys.add(kv.keyUtf8()));
      if (!page.more() || page.kvs().isEmpty()) {
        return keys;
      }
      range = range.after(page.kvs().get(page.kvs().size() - 1).key());
    }
  }

  static String line(String key, String value) {
    return "{\"key\":\"" + key + "\",\"value\":\"" + value + "\"}";
  }

  /** A file whose line i (from 1) is key {@code prefix + i} (7 digits). */
  Path numbered(String name, String prefix, int lines) throws Exception {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= lines; i++) {
      b.append(line(prefix + String.format("%07d", i), "v" + i)).append('\n');
    }
    Path file = dir.resolve(name);
    Files.writeString(file, b);
    return file;
  }

  static BulkIo bulk(PrintStream err) {
    return new BulkIo(client, err, false);
  }

  static PrintStream sink() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  /** Runs {@code body} on its own thread (so an interrupt cannot leak into the test's thread). */
  static Thread spawn(Callable<?> body, AtomicReference<Throwable> thrown) {
    Thread t =
        new Thread(
            () -> {
              try {
                body.call();
              } catch (Throwable e) {
                thrown.set(e);
              }
            },
            "bulk-under-test");
    t.start();
    return t;
  }

  @Test
  void interruptingAnImportStopsItAfterTheBatchInFlightAndSaysHowFar() throws Exception {
    int lines = 300_000;
    Path file = numbered("big.jsonl", "cancel/", lines);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread importer = spawn(() -> bulk(sink()).importFile(file), thrown);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (client.get("cancel/0002000").isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "the import never got to line 2000");
      assertTrue(importer.isAlive(), "the import ended early: " + thrown.get());
      Thread.sleep(10);
    }
    importer.interrupt();
    importer.join(TimeUnit.SECONDS.toMillis(30));
    assertFalse(importer.isAlive(), "the import is still running after the interrupt");

    CancelledException c = assertInstanceOf(CancelledException.class, thrown.get());
    assertTrue(c.rows() >= 2000 && c.rows() < lines, "rows " + c.rows());
    assertEquals(0, c.rows() % BulkIo.BATCH, "stopped at a batch boundary: " + c.rows());
    assertEquals(c.rows(), c.lastLine(), "one row per line here");
    assertEquals(
        String.format("import stopped: %,d rows imported, every row up to line %d of %s; none after", c.rows(), c.lastLine(), file),
        c.getMessage());
    // Exactly the rows reported, none after: the importer waited for its last batch to finish.
    List<String> written = keys("cancel/");
    assertEquals(c.rows(), written.size());
    assertEquals(String.format("cancel/%07d", c.lastLine()), written.get(written.size() - 1));
    Thread.sleep(500);
    assertEquals(c.rows(), keys("cancel/").size(), "nothing was still in flight");
  }

  /** An err stream that interrupts the writing thread once {@code marker} has been written. */
  static PrintStream interruptOn(String marker, StringBuilder seen) {
    return new PrintStream(
        new OutputStream() {
          @Override
          public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public synchronized void write(byte[] b, int off, int len) {
            seen.append(new String(b, off, len, StandardCharsets.UTF_8));
            if (seen.indexOf(marker) >= 0) {
              Thread.currentThread().interrupt();
            }
          }
        },
        true,
        StandardCharsets.UTF_8);
  }

  @Test
  void ctrlCInTheShellStopsAnImportAfterItsFirstBatchWithOneLine() throws Exception {
    Path file = numbered("first-batch.jsonl", "first/", 2000);
    StringBuilder err = new StringBuilder();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // The progress bar is drawn after each batch; the "Ctrl-C" comes as it is drawn the first time.
    Shell shell =
        new Shell(client, ShellCommand.settings("table", "linearizable", false, false), new PrintStream(out, true, StandardCharsets.UTF_8),
            interruptOn("\rimport", err), true);
    AtomicReference<Boolean> ok = new AtomicReference<>();
    Thread t = spawn(() -> {
      ok.set(shell.runLine("import " + file + "; put first/after 1"));
      return null;
    }, new AtomicReference<>());
    t.join(TimeUnit.SECONDS.toMillis(60));
    assertFalse(t.isAlive());
    assertEquals(false, ok.get());
    // What stays on a terminal: of each line, what comes after its last carriage return.
    List<String> messages =
        java.util.Arrays.stream(err.toString().split("\n")).map(l -> l.substring(l.lastIndexOf('\r') + 1).strip()).filter(l -> !l.isEmpty()).toList();
    assertEquals(
        List.of("cancelled: import stopped: 256 rows imported, every row up to line 256 of " + file + "; none after"), messages, err.toString());
    assertEquals(256, keys("first/").size(), "the first batch, and not the statement after the import");
    assertEquals("", out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void cancelledExportRemovesItsPartialFileAndLeavesTheOldOneAlone() throws Exception {
    bulk(sink()).importFile(numbered("to-export.jsonl", "exp/", 2500));
    Path target = dir.resolve("export.jsonl");
    Files.writeString(target, "old\n");
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    StringBuilder err = new StringBuilder();
    Thread t =
        spawn(
            () -> new BulkIo(client, interruptOn("\rexport", err), true).exportFile(target, "exp/".getBytes(StandardCharsets.UTF_8), ReadConsistency.LINEARIZABLE),
            thrown);
    t.join(TimeUnit.SECONDS.toMillis(60));
    CancelledException c = assertInstanceOf(CancelledException.class, thrown.get());
    assertEquals(1000, c.rows(), "stopped after the first page");
    assertEquals("export stopped after 1,000 rows; " + target + " was not written", c.getMessage());
    assertEquals("old\n", Files.readString(target));
    assertFalse(Files.exists(dir.resolve("export.jsonl.partial")));

    // Uninterrupted, the same export replaces the file whole.
    assertEquals(2500, bulk(sink()).exportFile(target, "exp/".getBytes(StandardCharsets.UTF_8), ReadConsistency.LINEARIZABLE));
    assertEquals(2500, Files.readAllLines(target).size());
  }

  @Test
  void failedExportRemovesItsPartialFile() throws Exception {
    int[] nobody = LocalCluster.freePorts(1);
    try (TernClient unreachable =
        TernClient.builder().endpoints("127.0.0.1:" + nobody[0]).requestTimeout(Duration.ofMillis(500)).build()) {
      Path target = dir.resolve("never.jsonl");
      assertThrows(TernException.class, () -> new BulkIo(unreachable, sink(), false).exportFile(target, null, ReadConsistency.LINEARIZABLE));
      assertFalse(Files.exists(target));
      assertFalse(Files.exists(dir.resolve("never.jsonl.partial")));
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> bulk(sink()).exportFile(dir.resolve("no/such/dir/x.jsonl"), null, ReadConsistency.STALE));
    assertEquals("no such directory: " + dir.resolve("no/such/dir"), e.getMessage());
  }

  @Test
  void aRowTheServerRejectsIsNamedByLineWithWhatWasApplied() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 600; i++) {
      lines.add(line(String.format("rej/%04d", i), i == 400 ? "x".repeat(MAX_VALUE + 1) : "v"));
    }
    Path file = dir.resolve("rejected.jsonl");
    Files.write(file, lines);
    BulkIo.ImportException e = assertThrows(BulkIo.ImportException.class, () -> bulk(sink()).importFile(file));
    assertEquals(
        file + ":400: rejected: value is 1025 bytes; the limit is 1024 bytes"
            + " (256 rows imported, all before line 257; none of lines 257-512 (written as one"
            + " transaction), none after)",
        e.getMessage());
    assertEquals(256, e.rowsImported());
    List<String> written = keys("rej/");
    assertEquals(256, written.size());
    assertFalse(written.contains("rej/0400"));
    assertEquals("rej/0256", written.get(written.size() - 1), "nothing of the rejected batch or after it");
  }

  @Test
  void linesThatCannotBeWrittenAreRejectedBeforeSendingAnything() throws Exception {
    for (String[] bad : new String[][] {{"empty", line("", "x"), "empty key"}, {"long", line("k".repeat(4097), "x"), "key is 4,097 bytes"}}) {
      String prefix = "pre-" + bad[0] + "/";
      List<String> lines = new ArrayList<>();
      for (int i = 1; i <= 600; i++) {
        lines.add(i == 300 ? bad[1] : line(prefix + String.format("%04d", i), "v"));
      }
      Path file = dir.resolve(bad[0] + ".jsonl");
      Files.write(file, lines);
      BulkIo.ImportException e = assertThrows(BulkIo.ImportException.class, () -> bulk(sink()).importFile(file));
      assertTrue(e.getMessage().startsWith(file + ":300: " + bad[2]), e.getMessage());
      assertTrue(e.getMessage().endsWith("(299 rows before it were imported, none after)"), e.getMessage());
      List<String> written = keys(prefix);
      assertEquals(299, written.size(), bad[0]);
      assertEquals(prefix + "0299", written.get(298));
    }
  }

  @Test
  void theLaterOfTwoLinesWithOneKeyWins() throws Exception {
    // 64 keys, each written 8 times: each key's copies sit 64 lines apart, inside one batch's span.
    List<String> lines = new ArrayList<>();
    for (int round = 0; round < 8; round++) {
      for (int k = 0; k < 64; k++) {
        lines.add(line(String.format("dup/%02d", k), "round-" + round));
      }
    }
    Path file = dir.resolve("dups.jsonl");
    Files.write(file, lines);
    assertEquals(512, bulk(sink()).importFile(file));
    List<KeyValue> kvs = client.range(KeyRange.prefix("dup/".getBytes(StandardCharsets.UTF_8)), 0).kvs();
    assertEquals(64, kvs.size());
    for (KeyValue kv : kvs) {
      assertEquals("round-7", kv.valueUtf8(), kv.keyUtf8());
      assertEquals(8, kv.version(), "every line was written, in order");
    }
  }
}
