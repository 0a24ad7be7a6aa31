package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
    assertEquals("hello", Values.show("hello".getBytes(StandardCharsets.UTF_8), false));
    assertEquals("héllo/wörld", Values.show("héllo/wörld".getBytes(StandardCharsets.UTF_8), false));
    assertEquals("0x68656c6c6f", Values.show("hello".getBytes(StandardCharsets.UTF_8), true));
    assertEquals("0x00ff", Values.show(new byte[] {0, (byte) 0xff}, false));
    assertEquals("0xc3", Values.show(new byte[] {(byte) 0xc3}, false), "invalid UTF-8 is hex");
  }

  @Test
  void showsTextThatWouldReadBackOtherwiseQuotedWithEscapes() {
    assertEquals("\"0xab\"", show("0xab"), "not the single byte 0xAB");
    assertEquals("\"0XAB\"", show("0XAB"));
    assertEquals("\"--limit\"", show("--limit"), "not an option");
    assertEquals("\"\"", show(""), "empty is visible");
    assertEquals("\"\"", Values.show(new byte[0], true), "empty in hex mode is not \"0x\" (which reads as text)");
    assertEquals("\"two words\"", show("two words"));
    assertEquals("\"tab\\there\"", show("tab\there"));
    assertEquals("\"line\\nbreak\\r\"", show("line\nbreak\r"));
    assertEquals("\"say \\\"hi\\\"\"", show("say \"hi\""));
    assertEquals("\"a;b\"", show("a;b"));
    assertEquals("\"it's\"", show("it's"));
    assertEquals("\"\\x00\\x1b[31m\"", show("\u0000\u001b[31m"), "controls never reach the terminal raw");
    assertEquals("\"abc\\xe2\\x80\\xaedef\"", show("abc\u202Edef"), "a bidi override is shown as its bytes");
    assertEquals("\"a\\xe2\\x80\\x8bb\"", show("a\u200Bb"), "a zero-width space is visible");
    assertEquals("\"a\\xc2\\xa0b\"", show("a\u00A0b"), "a no-break space does not pass for a space");
    assertEquals("back\\slash", show("back\\slash"), "a backslash outside quotes is literal");
    assertEquals("\"back\\\\slash \"", show("back\\slash "), "but doubled inside quotes");
  }

  private static String show(String text) {
    return Values.show(text.getBytes(StandardCharsets.UTF_8), false);
  }

  @Test
  void everyShownValueReadsBackAsTheSameBytes() {
    List<byte[]> values = new ArrayList<>();
    for (String s :
        List.of("0xab", "0x", "0X00", "--x", "-", "", " ", "  lead", "trail ", "a b", "tab\t", "\n", "\r\n", "\"", "'", "\\", "\\\"",
            ";", "#hash", "\u202Eevil", "\u2066x\u2069", "\u200B", "\uFEFFbom", "\u00A0", "\u3000", "\u2028", "\uE000", "\u0085",
            "日本語", "emoji \uD83D\uDE00", "e\u0301", "\u007f", "plain")) {
      values.add(s.getBytes(StandardCharsets.UTF_8));
    }
    values.add(new byte[] {(byte) 0xab});
    values.add(new byte[] {0, (byte) 0xff, 0x30, 0x78});
    Random random = new Random(7);
    String alphabet = "ab0x- \t\n\"';\\\u202E\u200Bé";
    for (int i = 0; i < 2000; i++) {
      if (i % 2 == 0) {
        byte[] b = new byte[random.nextInt(8)];
        random.nextBytes(b);
        values.add(b);
      } else {
        StringBuilder b = new StringBuilder();
        for (int n = random.nextInt(8); n > 0; n--) {
          b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        values.add(b.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    for (byte[] value : values) {
      for (boolean hex : new boolean[] {false, true}) {
        String shown = Values.show(value, hex);
        List<Tokenizer.Word> words = Tokenizer.statements("put k " + shown).get(0);
        assertEquals(3, words.size(), "one word: " + shown);
        assertArrayEquals(value, Values.parse(words.get(2)), "read back: " + shown);
      }
    }
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
  }

  @Test
  void helpNamesEveryCommandAndExplainsEach() {
    String overview = ShellHelp.overview();
    for (String command : List.of("put", "get", "del", "scan", "watch", "compact", "txn", "lease", "status", "members", "member", "leader", "auth", "user", "role", "import", "export", "backup", "set", "timing", "help", "exit")) {
      assertTrue(overview.lines().anyMatch(l -> l.startsWith("  " + command + " ") || l.equals("  " + command)), command + " in:\n" + overview);
      assertTrue(ShellHelp.of(command).startsWith("usage: " + command), ShellHelp.of(command));
    }
    assertEquals(ShellHelp.COMMANDS.keySet().size(), overview.lines().filter(l -> l.startsWith("  ")).count(), overview);
    assertTrue(ShellHelp.of("put").startsWith("usage: put KEY VALUE [--lease ID] [--prev]\n"), ShellHelp.of("put"));
    assertMessage("unknown command 'nope'", () -> ShellHelp.of("nope"));
  }
}
