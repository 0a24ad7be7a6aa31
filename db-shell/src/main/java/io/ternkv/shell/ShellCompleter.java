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
 * Offers every candidate for the word's position; the line reader keeps those matching what was
 * typed.
 *
 * <p>Threading: called on the line reader's thread; reads only the shell's client.
 */
final class ShellCompleter implements Completer {
  private static final Map<String, List<String>> OPTIONS =
      Map.of(
          "get", List.of("--consistency"),
          "put", List.of("--lease"),
          "scan", List.of("--prefix", "--limit", "--consistency"),
          "export", List.of("--prefix"),
          "lease", List.of("--count"),
          "member", List.of("--timeout"),
          "user", List.of("--password-file"),
          "role", List.of("--prefix"));

  private final Shell shell;

  ShellCompleter(Shell shell) {
    this.shell = shell;
  }

  @Override
  public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
    List<String> all = line.words();
    // Complete within the current statement: a line may hold several, separated by ';'.
    int start = 0;
    for (int i = 0; i < line.wordIndex(); i++) {
      if (all.get(i).endsWith(";")) {
        start = i + 1;
      }
    }
    List<String> words = all.subList(start, all.size());
    int index = line.wordIndex() - start;
    String word = line.word();
    if (index == 0) {
      ShellHelp.COMMANDS.keySet().forEach(c -> candidates.add(new Candidate(c)));
      return;
    }
    String command = words.get(0).toLowerCase(Locale.ROOT);
    String previous = words.get(index - 1);
    if (previous.equals("--consistency")) {
      ShellHelp.LEVELS.forEach(l -> candidates.add(new Candidate(l)));
    } else if (word.startsWith("-")) {
      OPTIONS.getOrDefault(command, List.of()).forEach(o -> candidates.add(new Candidate(o)));
    } else if (command.equals("set") && index == 1) {
      candidates.add(new Candidate("consistency"));
      candidates.add(new Candidate("output"));
    } else if (command.equals("set") && index == 2) {
      (previous.equalsIgnoreCase("output") ? List.of("table", "json", "plain") : previous.equalsIgnoreCase("consistency") ? ShellHelp.LEVELS : List.<String>of())
          .forEach(v -> candidates.add(new Candidate(v)));
    } else if (command.equals("timing") && index == 1) {
      candidates.add(new Candidate("on"));
      candidates.add(new Candidate("off"));
    } else if (command.equals("member") && index == 1) {
      candidates.add(new Candidate("add"));
      candidates.add(new Candidate("remove"));
    } else if (command.equals("auth") && index == 1) {
      List.of("enable", "disable", "status").forEach(v -> candidates.add(new Candidate(v)));
    } else if (command.equals("user") && index == 1) {
      List.of("add", "delete", "passwd", "grant-role", "revoke-role", "list", "get").forEach(v -> candidates.add(new Candidate(v)));
    } else if (command.equals("role") && index == 1) {
      List.of("add", "delete", "grant", "revoke", "list", "get").forEach(v -> candidates.add(new Candidate(v)));
    } else if (command.equals("role") && index == 3 && words.get(1).equalsIgnoreCase("grant")) {
      List.of("read", "write", "readwrite").forEach(v -> candidates.add(new Candidate(v)));
    } else if (command.equals("leader") && index == 1) {
      candidates.add(new Candidate("transfer"));
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
        // Only keys that read back as themselves when typed: not hex-looking, quoted or binary.
        String shown = Values.show(kv.key(), false);
        if (shown.equals(Values.printableUtf8(kv.key()))) {
          candidates.add(new Candidate(shown));
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
