package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jline.reader.Candidate;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;
import org.jline.reader.impl.DefaultParser;
import org.junit.jupiter.api.Test;

/**
 * Completion of everything that needs no cluster, through JLine's own parser as the line reader
 * uses it; keys are completed against a real cluster in ShellIT.
 */
class ShellCompleterTest {
  // No Shell: these completions never reach the cluster (a key completion would fail loudly).
  final ShellCompleter completer = new ShellCompleter(null);

  /** The candidates offered with the cursor at the end of {@code line}. */
  Set<String> complete(String line) {
    ParsedLine parsed = new DefaultParser().parse(line, line.length(), Parser.ParseContext.COMPLETE);
    List<Candidate> candidates = new ArrayList<>();
    completer.complete(null, parsed, candidates);
    Set<String> values = new TreeSet<>();
    candidates.forEach(c -> values.add(c.value()));
    return values;
  }

  static final Set<String> COMMANDS =
      new TreeSet<>(List.of("put", "get", "del", "scan", "watch", "compact", "txn", "lease", "status", "members", "member", "leader", "auth", "user", "role", "import", "export", "backup", "set", "timing", "help", "exit"));
  static final Set<String> LEVELS = new TreeSet<>(List.of("linearizable", "lease", "session", "stale", "log"));

  @Test
  void commandNames() {
    assertEquals(COMMANDS, complete(""));
    assertEquals(COMMANDS, complete("sc"));
    assertEquals(COMMANDS, complete("help "));
    assertEquals(COMMANDS, complete("put a 1; "), "a new statement after ';'");
    assertEquals(COMMANDS, complete("put a 1 ; ge"));
  }

  @Test
  void optionsOfEachCommand() {
    assertEquals(Set.of("--consistency"), complete("get k --"));
    assertEquals(Set.of("--consistency"), complete("GET k -"));
    assertEquals(Set.of("--prefix", "--limit", "--consistency"), complete("scan --"));
    assertEquals(Set.of("--prefix", "--limit", "--consistency"), complete("scan a --limit 5 --"));
    assertEquals(Set.of("--prefix"), complete("export --"));
    assertEquals(Set.of("--lease"), complete("put k v --"));
    assertEquals(Set.of("--count"), complete("lease keepalive 5 --"));
    assertEquals(Set.of("--timeout"), complete("member add n4 a:1/b:2 --"));
    assertEquals(Set.of(), complete("del k --"), "del has no options");
    assertEquals(Set.of("--consistency"), complete("put a 1; get a --"), "the option of the current statement");
  }

  @Test
  void consistencyLevelsOutputFormatsAndSwitches() {
    assertEquals(LEVELS, complete("get k --consistency "));
    assertEquals(LEVELS, complete("scan --consistency li"));
    assertEquals(LEVELS, complete("set consistency "));
    assertEquals(Set.of("consistency", "output"), complete("set "));
    assertEquals(Set.of("table", "json", "plain"), complete("set output "));
    assertEquals(Set.of(), complete("set bogus "));
    assertEquals(Set.of("add", "remove"), complete("member "));
    assertEquals(Set.of("transfer"), complete("leader "));
    assertEquals(Set.of("on", "off"), complete("timing "));
    assertEquals(Set.of(), complete("put k "), "values are not completed");
    assertEquals(Set.of(), complete("get "), "no key scan for an empty word");
  }
}
