package io.ternkv.shell;

import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/**
 * Tab completion: commands, their options, consistency levels and output formats, and keys for
 * {@code get} and {@code del} (a short STALE prefix scan; nothing is offered when it is slow).
 */
final class ShellCompleter implements Completer {
  private static final Map<String, List<String>> OPTIONS =
      Map.of("get", List.of("--consistency"), "scan", List.of("--prefix", "--limit", "--consistency"), "export", List.of("--prefix"));

  private final Shell shell;

  ShellCompleter(Shell shell) {
    this.shell = shell;
  }

  @Override
  public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
    List<String> words = line.words();
    int index = line.wordIndex();
    String word = line.word();
    if (index == 0) {
      ShellHelp.COMMANDS.keySet().forEach(c -> candidates.add(new Candidate(c)));
      return;
    }
    String command = words.get(0).toLowerCase(Locale.ROOT);
    String previous = words.get(index - 1);
    if (previous.equals("--consistency")) {
      ShellHelp.LEVELS.forEach(l -> candidates.add(new Candidate(l)));
    } else if (word.startsWith("--")) {
      OPTIONS.getOrDefault(command, List.of()).forEach(o -> candidates.add(new Candidate(o)));
    } else if (command.equals("set") && index == 1) {
      candidates.add(new Candidate("consistency"));
      candidates.add(new Candidate("output"));
    } else if (command.equals("set") && index == 2) {
      (previous.equals("output") ? List.of("table", "json", "plain") : ShellHelp.LEVELS)
          .forEach(v -> candidates.add(new Candidate(v)));
    } else if (command.equals("timing") && index == 1) {
      candidates.add(new Candidate("on"));
      candidates.add(new Candidate("off"));
    } else if (command.equals("help") && index == 1) {
      ShellHelp.COMMANDS.keySet().forEach(c -> candidates.add(new Candidate(c)));
    } else if ((command.equals("get") || command.equals("del")) && index == 1 && !word.isEmpty()) {
      keys(word, candidates);
    }
  }

  private void keys(String prefix, List<Candidate> candidates) {
    try {
      List<KeyValue> kvs =
          shell.client()
              .rangeAsync(KeyRange.prefix(prefix.getBytes(StandardCharsets.UTF_8)), 50, ReadConsistency.STALE)
              .get(500, TimeUnit.MILLISECONDS)
              .kvs();
      for (KeyValue kv : kvs) {
        String text = Values.printableUtf8(kv.key());
        if (text != null && !text.contains(" ")) {
          candidates.add(new Candidate(text));
        }
      }
    } catch (Exception e) {
      // Completion is best effort: a slow or unreachable cluster offers nothing.
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
