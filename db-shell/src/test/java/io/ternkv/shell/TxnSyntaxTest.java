package io.ternkv.shell;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.Compare;
import java.util.List;
import org.junit.jupiter.api.Test;

class TxnSyntaxTest {
  static TxnSyntax.Parsed parse(String line) {
    List<Tokenizer.Word> words = Tokenizer.statements(line).get(0);
    assertEquals("txn", words.get(0).text());
    return TxnSyntax.parse(words.subList(1, words.size()));
  }

  @Test
  void comparesAndBothBranches() {
    TxnSyntax.Parsed p =
        parse("txn if mod k = 7 and value k != \"a b\" and version k < 3 and create k > 1 and exists k and absent 0x00ff"
            + " then put k v , del j del --prefix p/ get k else get k");
    List<Compare> c = p.txn().compares();
    assertEquals(6, c.size());
    assertEquals(Compare.Target.MOD_REVISION, c.get(0).target());
    assertEquals(Compare.Operator.EQUAL, c.get(0).operator());
    assertEquals(7, c.get(0).number());
    assertEquals(Compare.Target.VALUE, c.get(1).target());
    assertEquals(Compare.Operator.NOT_EQUAL, c.get(1).operator());
    assertArrayEquals("a b".getBytes(UTF_8), c.get(1).value());
    assertEquals(Compare.Operator.LESS, c.get(2).operator());
    assertEquals(Compare.Target.CREATE_REVISION, c.get(3).target());
    assertEquals(Compare.Operator.GREATER, c.get(3).operator());
    assertEquals(Compare.Operator.GREATER, c.get(4).operator(), "exists is version > 0");
    assertArrayEquals(new byte[] {0, (byte) 0xff}, c.get(5).key());
    assertEquals(Compare.Operator.EQUAL, c.get(5).operator(), "absent is version = 0");
    assertEquals(
        List.of(TxnSyntax.Kind.PUT, TxnSyntax.Kind.DEL, TxnSyntax.Kind.DEL_PREFIX, TxnSyntax.Kind.GET),
        p.then().stream().map(TxnSyntax.Op::kind).toList());
    assertEquals(4, p.txn().then().size());
    assertEquals(List.of(TxnSyntax.Kind.GET), p.orElse().stream().map(TxnSyntax.Op::kind).toList());
  }

  @Test
  void unconditionalAndKeywordsAreCaseInsensitiveButQuotedWordsAreData() {
    TxnSyntax.Parsed p = parse("txn THEN put \"then\" \"else\"");
    assertEquals(0, p.txn().compares().size());
    assertArrayEquals("then".getBytes(UTF_8), p.then().get(0).key());
    assertTrue(p.orElse().isEmpty());
  }

  @Test
  void mistakesNameTheWordAndTheUsage() {
    for (String[] bad :
        new String[][] {
          {"txn", "expected 'then' at the end"},
          {"txn if", "expected a compare"},
          {"txn if mod k", "expected an operator"},
          {"txn if mod k ~ 3 then get k", "'~' is not an operator"},
          {"txn if size k = 3 then get k", "'size' is not a compare"},
          {"txn if mod k = seven then get k", "'seven' is not a number"},
          {"txn then", "expected at least one operation after 'then'"},
          {"txn then get k else", "expected at least one operation after 'else'"},
          {"txn then scan k", "'scan' is not an operation"},
          {"txn then put k", "expected a value after 'put KEY' at the end"},
          {"txn then get k else get k then get k", "'then' is not an operation"},
        }) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(bad[0]), bad[0]);
      assertTrue(e.getMessage().contains(bad[1]), bad[0] + " -> " + e.getMessage());
    }
  }
}
