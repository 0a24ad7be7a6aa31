package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.InvalidArgumentException;
import io.ternkv.client.RequestTimeoutException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How import cuts a file into batches and reports bad lines, with {@link BulkIo#writeBatch}
 * recorded instead of sent; BulkIoIT does the same against a real cluster.
 */
class BulkIoTest {
  @TempDir Path dir;
  final ByteArrayOutputStream err = new ByteArrayOutputStream();
  final List<List<BulkIo.Row>> batches = new ArrayList<>();

  /** Records batches; fails the row on {@code failLine} (0: none) as a server would. */
  BulkIo recording(long failLine) {
    return recording(failLine, false);
  }

  /**
   * Records batches; the batch holding {@code failLine} fails as one transaction the server
   * rejects, or, when {@code timesOut}, as one whose outcome is unknown.
   */
  BulkIo recording(long failLine, boolean timesOut) {
    return new BulkIo(null, new PrintStream(err, true, StandardCharsets.UTF_8), false) {
      @Override
      void writeBatch(List<BulkIo.Row> rows) throws BatchFailedException {
        batches.add(List.copyOf(rows));
        for (BulkIo.Row r : rows) {
          if (r.line() == failLine) {
            Throwable cause =
                timesOut
                    ? new RequestTimeoutException("request timed out after 10000 ms", null)
                    : new InvalidArgumentException("value is too large", null);
            // A timeout names no row: the batch's first stands for it, as in writeBatch.
            throw new BatchFailedException(timesOut ? rows.get(0) : r, 0, cause.getMessage(), cause, timesOut);
          }
        }
      }
    };
  }

  static String line(String key, String value) {
    return "{\"key\":\"" + key + "\",\"value\":\"" + value + "\"}";
  }

  List<BulkIo.Row> written() {
    List<BulkIo.Row> all = new ArrayList<>();
    batches.forEach(all::addAll);
    return all;
  }

  @Test
  void batchesHoldNoKeyTwiceAndKeepTheFileOrder() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      lines.add(line("k" + (i % 37), "v" + i)); // every key many times, 37 apart
    }
    Path file = dir.resolve("dups.jsonl");
    Files.write(file, lines);
    assertEquals(1000, recording(0).importFile(file));
    for (List<BulkIo.Row> batch : batches) {
      Set<ByteBuffer> keys = new HashSet<>();
      batch.forEach(r -> assertTrue(keys.add(ByteBuffer.wrap(r.key())), "a key twice in one batch"));
      assertTrue(batch.size() <= BulkIo.BATCH);
    }
    List<BulkIo.Row> all = written();
    assertEquals(1000, all.size());
    for (int i = 0; i < 1000; i++) {
      assertEquals(i + 1, all.get(i).line(), "rows in file order");
    }
  }

  @Test
  void fullBatchesWhenKeysAreDistinct() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      lines.add(line("k" + i, "v"));
    }
    Path file = dir.resolve("distinct.jsonl");
    Files.write(file, lines);
    recording(0).importFile(file);
    assertEquals(List.of(256, 256, 88), batches.stream().map(List::size).toList());
  }

  @Test
  void batchesStayUnderTheByteBound() throws Exception {
    String big = "x".repeat(700 * 1024);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      lines.add(line("big" + i, big));
    }
    lines.add(line("huge", "y".repeat(BulkIo.BATCH_BYTES + 1)));
    lines.add(line("small", "z"));
    Path file = dir.resolve("big.jsonl");
    Files.write(file, lines);
    assertEquals(12, recording(0).importFile(file));
    // 2 MiB holds two 700 KiB rows but not three; a row over the bound goes alone.
    assertEquals(List.of(2, 2, 2, 2, 2, 1, 1), batches.stream().map(List::size).toList());
  }

  @Test
  void badLinesAreNamedAndNothingAtOrAfterThemIsWritten() throws Exception {
    String bigKey = "k".repeat(BulkIo.MAX_KEY_BYTES + 1);
    assertBad(line("", "x"), "empty key");
    assertBad(line(bigKey, "x"), "key is 4,097 bytes; the limit is 4,096");
    assertBad("{\"key\": \"k\"}", "missing \"value\"");
    assertBad("not json at all", "not JSON");
    BulkIo.Row ok = BulkIo.row(3, line("k".repeat(BulkIo.MAX_KEY_BYTES), "x"));
    assertEquals(BulkIo.MAX_KEY_BYTES, ok.key().length, "a key at the limit is fine");
  }

  /** A file of 300 good lines with {@code bad} as line 271. */
  void assertBad(String bad, String why) throws IOException {
    batches.clear();
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 300; i++) {
      lines.add(i == 271 ? bad : line("k" + i, "v"));
    }
    Path file = dir.resolve("bad.jsonl");
    Files.write(file, lines);
    BulkIo.ImportException e = assertThrows(BulkIo.ImportException.class, () -> recording(0).importFile(file));
    assertEquals(file + ":271: " + why + " (270 rows before it were imported, none after)", e.getMessage());
    assertEquals(270, written().size());
    assertEquals(270, written().get(269).line());
  }

  @Test
  void notUtf8IsNamedByLineAndColumn() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes((line("a", "1") + "\n" + line("b", "2") + "\n").getBytes(StandardCharsets.UTF_8));
    b.writeBytes("{\"key\":\"c\",\"value\":\"".getBytes(StandardCharsets.UTF_8));
    b.write(0xff);
    b.writeBytes("\"}\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes((line("d", "4") + "\n").getBytes(StandardCharsets.UTF_8));
    Path file = dir.resolve("latin1.jsonl");
    Files.write(file, b.toByteArray());
    BulkIo.ImportException e = assertThrows(BulkIo.ImportException.class, () -> recording(0).importFile(file));
    assertEquals(
        file + ":3: not valid UTF-8 (byte 0xff at column 21); write binary keys and values as {\"base64\": \"...\"}"
            + " (2 rows before it were imported, none after)",
        e.getMessage());
    assertEquals(2, written().size());
  }

  @Test
  void aRejectedRowIsNamedWithWhatIsKnownApplied() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 600; i++) {
      lines.add(line("k" + i, "v"));
    }
    Path file = dir.resolve("rejected.jsonl");
    Files.write(file, lines);
    BulkIo.ImportException e = assertThrows(BulkIo.ImportException.class, () -> recording(400).importFile(file));
    assertEquals(
        file + ":400: rejected: value is too large (256 rows imported, all before line 257; none of"
            + " lines 257-512 (written as one transaction), none after)",
        e.getMessage());
    assertEquals(256, e.rowsImported());
    assertEquals(2, batches.size(), "nothing sent after the failed batch");
  }

  @Test
  void aBatchThatTimedOutIsReportedAsMaybeApplied() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 600; i++) {
      lines.add(line("k" + i, "v"));
    }
    Path file = dir.resolve("timeout.jsonl");
    Files.write(file, lines);
    BulkIo.ImportException e =
        assertThrows(BulkIo.ImportException.class, () -> recording(300, true).importFile(file));
    assertEquals(
        file + ":257: rejected: request timed out after 10000 ms (256 rows imported, all before line"
            + " 257; the 256 rows on lines 257-512 may or may not have been applied, as one; none"
            + " after)",
        e.getMessage());
    assertEquals(256, e.rowsImported());
  }

  @Test
  void crlfBomAndBlankLines() throws Exception {
    Path file = dir.resolve("crlf.jsonl");
    Files.write(file, ("\uFEFF" + line("a", "1") + "\r\n\r\n   \r\n" + line("b", "2") + "\r\n" + line("c", "3")).getBytes(StandardCharsets.UTF_8));
    assertEquals(3, recording(0).importFile(file));
    List<BulkIo.Row> rows = written();
    assertEquals(List.of(1L, 4L, 5L), rows.stream().map(BulkIo.Row::line).toList());
    assertArrayEquals("3".getBytes(StandardCharsets.UTF_8), rows.get(2).value());
  }

  @Test
  void lineSplitterCountsBytesNotChars() throws Exception {
    byte[] data = "héllo\r\nwörld\n\nlast".getBytes(StandardCharsets.UTF_8);
    BulkIo.LineSplitter lines = new BulkIo.LineSplitter(new ByteArrayInputStream(data));
    assertArrayEquals("héllo".getBytes(StandardCharsets.UTF_8), lines.next());
    assertEquals(8, lines.bytesRead(), "h, é (2 bytes), l, l, o, \\r, \\n");
    assertArrayEquals("wörld".getBytes(StandardCharsets.UTF_8), lines.next());
    assertArrayEquals(new byte[0], lines.next());
    assertArrayEquals("last".getBytes(StandardCharsets.UTF_8), lines.next());
    assertEquals(4, lines.count());
    assertEquals(data.length, lines.bytesRead());
    assertNull(lines.next());
    assertNull(new BulkIo.LineSplitter(new ByteArrayInputStream(new byte[0])).next());
  }

  @Test
  void progressPercentageIsOfBytesWhateverTheCharacters() throws Exception {
    // Every line the same number of bytes, mostly two-byte characters and CRLF ends: after R of
    // N rows the import has read exactly R/N of the file.
    int n = 20_000;
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(line(String.format("k%05d", i), "ééééééééé")).append("\r\n");
    }
    Path file = dir.resolve("progress.jsonl");
    Files.writeString(file, b);
    recording(0).importFile(file);
    List<String> progress = err.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("import: ")).toList();
    assertEquals(List.of("import: 10,240 rows (51%)"), progress, err.toString(StandardCharsets.UTF_8));
  }
}
