package io.ternkv.shell;

import io.ternkv.client.Compare;
import io.ternkv.client.KeyRange;
import io.ternkv.client.Txn;
import io.ternkv.client.TxnOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The shell's one-line transaction syntax:
 *
 * <pre>
 * txn [if COMPARE [and COMPARE]...] then OP [OP]... [else OP [OP]...]
 *   COMPARE: exists KEY | absent KEY | (version|create|mod|value) KEY (= | != | &lt; | &gt;) OPERAND
 *   OP:      put KEY VALUE | del KEY | del --prefix P | get KEY
 * </pre>
 *
 * Keys and values take the shell's usual forms (text, "quoted", 0xHEX); a comma word between
 * operations is allowed for readability.
 */
final class TxnSyntax {
  private TxnSyntax() {}

  /** What one operation was, for showing its result. */
  enum Kind {
    PUT,
    DEL,
    DEL_PREFIX,
    GET
  }

  /**
   * One parsed operation.
   *
   * @param key the key, or the prefix for {@link Kind#DEL_PREFIX}
   */
  record Op(Kind kind, byte[] key) {}

  /** A parsed transaction and the operations of each branch, in order. */
  record Parsed(Txn txn, List<Op> then, List<Op> orElse) {}

  static final String USAGE =
      "txn [if COMPARE [and COMPARE]...] then OP [OP]... [else OP [OP]...]";

  /**
   * Parses the words after {@code txn}.
   *
   * @throws IllegalArgumentException saying which word is wrong and what was expected
   */
  static Parsed parse(List<Tokenizer.Word> words) {
    Cursor c = new Cursor(words);
    Txn.Builder txn = Txn.builder();
    if (c.takeKeyword("if")) {
      do {
        txn.when(compare(c));
      } while (c.takeKeyword("and"));
    }
    if (!c.takeKeyword("then")) {
      throw c.expected("'then'" + (c.atEnd() ? "" : " or 'and'"));
    }
    List<Op> then = new ArrayList<>();
    List<Op> orElse = new ArrayList<>();
    ops(c, then, txn, true);
    if (c.takeKeyword("else")) {
      ops(c, orElse, txn, false);
    }
    if (!c.atEnd()) {
      throw c.expected("an operation (put, del, get), 'else' or the end");
    }
    return new Parsed(txn.build(), List.copyOf(then), List.copyOf(orElse));
  }

  private static Compare compare(Cursor c) {
    String target = c.word("a compare (exists, absent, version, create, mod, value)").toLowerCase(Locale.ROOT);
    byte[] key = Values.parse(c.next("a key after '" + target + "'"));
    switch (target) {
      case "exists":
        return Compare.exists(key);
      case "absent":
        return Compare.absent(key);
      default:
        break;
    }
    String op = c.word("an operator (=, !=, <, >)");
    Compare.Operator operator =
        switch (op) {
          case "=", "==" -> Compare.Operator.EQUAL;
          case "!=" -> Compare.Operator.NOT_EQUAL;
          case "<" -> Compare.Operator.LESS;
          case ">" -> Compare.Operator.GREATER;
          default -> throw new IllegalArgumentException("txn: '" + op + "' is not an operator (=, !=, <, >)");
        };
    Tokenizer.Word operand = c.next("a value to compare with");
    return switch (target) {
      case "value" -> Compare.value(key, operator, Values.parse(operand));
      case "version" -> Compare.version(key, operator, number(operand));
      case "create" -> Compare.createRevision(key, operator, number(operand));
      case "mod" -> Compare.modRevision(key, operator, number(operand));
      default -> throw new IllegalArgumentException(
          "txn: '" + target + "' is not a compare (exists, absent, version, create, mod, value)");
    };
  }

  private static long number(Tokenizer.Word w) {
    try {
      return Long.parseLong(w.text());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("txn: '" + w.text() + "' is not a number");
    }
  }

  private static void ops(Cursor c, List<Op> out, Txn.Builder txn, boolean then) {
    while (!c.atEnd() && !c.peekKeyword("else")) {
      if (c.takeKeyword(",")) {
        continue;
      }
      String verb = c.word("an operation (put, del, get)").toLowerCase(Locale.ROOT);
      TxnOp op;
      Op shown;
      switch (verb) {
        case "put" -> {
          byte[] key = Values.parse(c.next("a key after 'put'"));
          op = TxnOp.put(key, Values.parse(c.next("a value after 'put KEY'")));
          shown = new Op(Kind.PUT, key);
        }
        case "get" -> {
          byte[] key = Values.parse(c.next("a key after 'get'"));
          op = TxnOp.get(key);
          shown = new Op(Kind.GET, key);
        }
        case "del", "delete" -> {
          if (c.takeKeyword("--prefix")) {
            byte[] prefix = Values.parse(c.next("a prefix after '--prefix'"));
            op = TxnOp.delete(KeyRange.prefix(prefix));
            shown = new Op(Kind.DEL_PREFIX, prefix);
          } else {
            byte[] key = Values.parse(c.next("a key after 'del'"));
            op = TxnOp.delete(key);
            shown = new Op(Kind.DEL, key);
          }
        }
        default -> throw new IllegalArgumentException(
            "txn: '" + verb + "' is not an operation (put, del, get)");
      }
      if (then) {
        txn.then(op);
      } else {
        txn.orElse(op);
      }
      out.add(shown);
    }
    if (out.isEmpty()) {
      throw c.expected("at least one operation after '" + (then ? "then" : "else") + "'");
    }
  }

  /** Walks the words; keywords match only unquoted words. */
  private static final class Cursor {
    private final List<Tokenizer.Word> words;
    private int i;

    Cursor(List<Tokenizer.Word> words) {
      this.words = words;
    }

    boolean atEnd() {
      return i >= words.size();
    }

    boolean peekKeyword(String k) {
      return !atEnd() && !words.get(i).quoted() && words.get(i).text().equalsIgnoreCase(k);
    }

    boolean takeKeyword(String k) {
      if (peekKeyword(k)) {
        i++;
        return true;
      }
      return false;
    }

    Tokenizer.Word next(String what) {
      if (atEnd()) {
        throw expected(what);
      }
      return words.get(i++);
    }

    String word(String what) {
      return next(what).text();
    }

    IllegalArgumentException expected(String what) {
      return new IllegalArgumentException(
          "txn: expected "
              + what
              + (atEnd() ? " at the end" : " at '" + words.get(i).text() + "'")
              + "; usage: "
              + USAGE);
    }
  }
}
