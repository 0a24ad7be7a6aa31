package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShellParsingTest {
  static List<String> words(String line) {
    return Tokenizer.statements(line).get(0).stream().map(Tokenizer.Word::text).toList();
  }

  @Test
  void splitsStatementsAndWordsWithQuotes() {
    assertEquals(2, Tokenizer.statements("put a 1; get a").size());
    assertEquals(List.of("put", "a b", "x;y"), words("put \"a b\" 'x;y'"));
    assertEquals(List.of("put", "k", "line\nnext\t\"q\""), words("put k \"line\\nnext\\t\\\"q\\\"\""));
    assertEquals(List.of("put", "héllo", "wörld"), words("put héllo \"wörld\""));
    assertTrue(Tokenizer.statements("  ;  ; ").isEmpty());
  }

  @Test
  void escapesKeepExactBytes() {
    Tokenizer.Word w = Tokenizer.statements("put \"\\x00\\xff\"").get(0).get(1);
    assertArrayEquals(new byte[] {0, (byte) 0xff}, w.bytes());
    assertTrue(w.quoted());
  }

  @Test
  void badQuotingIsAnError() {
    assertThrows(IllegalArgumentException.class, () -> Tokenizer.statements("put \"open"));
    assertThrows(IllegalArgumentException.class, () -> Tokenizer.statements("put 'open"));
    assertThrows(IllegalArgumentException.class, () -> Tokenizer.statements("put \"\\q\""));
    assertThrows(IllegalArgumentException.class, () -> Tokenizer.statements("put \"\\xZZ\""));
  }

  @Test
  void hexInputUnlessQuoted() {
    assertArrayEquals(new byte[] {0x00, (byte) 0xab}, Values.parse(Tokenizer.Word.plain("0x00ab")));
    Tokenizer.Word quoted = Tokenizer.statements("\"0x00ab\"").get(0).get(0);
    assertArrayEquals("0x00ab".getBytes(StandardCharsets.UTF_8), Values.parse(quoted));
    assertThrows(IllegalArgumentException.class, () -> Values.parse(Tokenizer.Word.plain("0xabc")));
    assertThrows(IllegalArgumentException.class, () -> Values.parse(Tokenizer.Word.plain("0xzz")));
  }

  @Test
  void showsTextOrHex() {
    assertEquals("hello world", Values.show("hello world".getBytes(StandardCharsets.UTF_8), false));
    assertEquals("0x68656c6c6f", Values.show("hello".getBytes(StandardCharsets.UTF_8), true));
    assertEquals("0x00ff", Values.show(new byte[] {0, (byte) 0xff}, false));
    assertEquals("0x0a", Values.show(new byte[] {'\n'}, false), "controls are not shown raw");
    assertEquals("0xc3", Values.show(new byte[] {(byte) 0xc3}, false), "invalid UTF-8 is hex");
  }

  @Test
  void jsonBytesRoundTrip() {
    byte[] bin = {0, 1, (byte) 0xfe};
    assertEquals("{\"base64\":\"AAH+\"}", Output.jsonBytes(bin).toString());
    assertEquals("\"text\"", Output.jsonBytes("text".getBytes(StandardCharsets.UTF_8)).toString());
    byte[][] kv = BulkIo.parseLine("{\"key\": \"k\", \"value\": {\"base64\": \"AAH+\"}}");
    assertArrayEquals("k".getBytes(StandardCharsets.UTF_8), kv[0]);
    assertArrayEquals(bin, kv[1]);
  }

  @Test
  void badImportLinesSayWhy() {
    assertMessage("not JSON", () -> BulkIo.parseLine("{nope"));
    assertMessage("expected a", () -> BulkIo.parseLine("[1,2]"));
    assertMessage("missing \"value\"", () -> BulkIo.parseLine("{\"key\": \"k\"}"));
    assertMessage("invalid base64", () -> BulkIo.parseLine("{\"key\": \"k\", \"value\": {\"base64\": \"***\"}}"));
    assertMessage("must be a string", () -> BulkIo.parseLine("{\"key\": 5, \"value\": \"v\"}"));
  }

  static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().contains(part), ex.getMessage());
  }

  @Test
  void tableAlignsColumns() {
    String t = Output.table(List.of("KEY", "VALUE"), List.of(List.of("a", "1"), List.of("longer", "2")));
    assertEquals("KEY     VALUE\n------  -----\na       1\nlonger  2\n", t);
    assertEquals(Output.JSON, Output.parse("json"));
    assertThrows(IllegalArgumentException.class, () -> Output.parse("xml"));
  }

  @Test
  void argsCheckOptionsAndCounts() {
    Args a = new Args("get", Tokenizer.statements("k --consistency stale").get(0));
    assertEquals(io.ternkv.client.ReadConsistency.STALE, a.level(io.ternkv.client.ReadConsistency.LINEARIZABLE));
    a.done(1, 1);
    Args bad = new Args("get", Tokenizer.statements("k --bogus 1").get(0));
    assertMessage("unknown option --bogus", () -> bad.done(1, 1));
    Args many = new Args("get", Tokenizer.statements("a b").get(0));
    assertMessage("usage: get KEY", () -> many.done(1, 1));
    assertMessage("unknown consistency", () -> Args.parseLevel("strong"));
    assertFalse(ShellHelp.overview().isEmpty());
  }
}
