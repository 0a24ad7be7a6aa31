package io.ternkv.shell;

import io.ternkv.client.ReadConsistency;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A statement's words after the command: options ({@code --name value}) and positionals. */
final class Args {
  private final String command;
  private final List<Tokenizer.Word> positionals = new ArrayList<>();
  private final List<Tokenizer.Word> optionNames = new ArrayList<>();
  private final List<Tokenizer.Word> optionValues = new ArrayList<>();
  private final List<String> used = new ArrayList<>();
  private final List<String> flags = new ArrayList<>();

  /** Options that take no value, per command. */
  private static final java.util.Map<String, java.util.Set<String>> FLAGS =
      java.util.Map.of(
          "put", java.util.Set.of("--prev"),
          "del", java.util.Set.of("--prev"),
          "delete", java.util.Set.of("--prev"),
          "watch", java.util.Set.of("--prefix", "--prev", "--progress"));

  Args(String command, List<Tokenizer.Word> words) {
    this.command = command;
    java.util.Set<String> known = FLAGS.getOrDefault(command, java.util.Set.of());
    for (int i = 0; i < words.size(); i++) {
      Tokenizer.Word w = words.get(i);
      if (!w.quoted() && known.contains(w.text())) {
        flags.add(w.text());
      } else if (!w.quoted() && w.text().startsWith("--")) {
        if (i + 1 >= words.size()) {
          throw new IllegalArgumentException(command + ": " + w.text() + " needs a value");
        }
        optionNames.add(w);
        optionValues.add(words.get(++i));
      } else {
        positionals.add(w);
      }
    }
  }

  /** Whether a flag (an option without a value) was given; marks it as understood. */
  boolean flag(String name) {
    used.add(name);
    return flags.contains(name);
  }

  /**
   * Parses a positive whole number.
   *
   * @param what how the error names the value, e.g. {@code "watch: --count"}
   * @throws IllegalArgumentException saying what was wrong
   */
  static long positive(String what, String value) {
    try {
      long n = Long.parseLong(value);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be a positive number, not '" + value + "'");
    }
  }

  /**
   * Parses a positive duration: a whole number with {@code ms}, {@code s}, {@code m} or {@code h};
   * a bare number is seconds.
   *
   * @param error the message when it is not one
   * @throws IllegalArgumentException with {@code error}
   */
  static java.time.Duration duration(String value, String error) {
    String t = value.trim().toLowerCase(Locale.ROOT);
    try {
      java.time.Duration d;
      if (t.endsWith("ms")) {
        d = java.time.Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      } else if (t.endsWith("s")) {
        d = java.time.Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
      } else if (t.endsWith("m")) {
        d = java.time.Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      } else if (t.endsWith("h")) {
        d = java.time.Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
      } else {
        d = java.time.Duration.ofSeconds(Long.parseLong(t));
      }
      if (d.isNegative() || d.isZero()) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(error);
    }
  }

  /** A revision option ({@code --rev N}): 0 when absent. */
  long revision() {
    String v = option("--rev");
    if (v == null) {
      return 0;
    }
    try {
      long rev = Long.parseLong(v);
      if (rev < 1) {
        throw new NumberFormatException();
      }
      return rev;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(command + ": --rev must be a positive revision, not '" + v + "'");
    }
  }

  /** The value of an option, or null; marks it as understood. */
  String option(String name) {
    used.add(name);
    for (int i = 0; i < optionNames.size(); i++) {
      if (optionNames.get(i).text().equals(name)) {
        return optionValues.get(i).text();
      }
    }
    return null;
  }

  byte[] optionBytes(String name) {
    for (int i = 0; i < optionNames.size(); i++) {
      if (optionNames.get(i).text().equals(name)) {
        return Values.parse(optionValues.get(i));
      }
    }
    throw new IllegalArgumentException(command + ": missing " + name);
  }

  ReadConsistency level(ReadConsistency fallback) {
    String v = option("--consistency");
    return v == null ? fallback : parseLevel(v);
  }

  static ReadConsistency parseLevel(String s) {
    try {
      return ReadConsistency.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown consistency '" + s + "'; use one of " + String.join(", ", ShellHelp.LEVELS));
    }
  }

  int count() {
    return positionals.size();
  }

  Tokenizer.Word positional(int i) {
    return positionals.get(i);
  }

  /**
   * Checks that every option was understood and the positional count is in range.
   *
   * @throws IllegalArgumentException with the command's usage otherwise
   */
  void done(int min, int max) {
    for (String flag : flags) {
      if (!used.contains(flag)) {
        throw new IllegalArgumentException(command + ": unknown option " + flag + "\n" + usage());
      }
    }
    for (Tokenizer.Word name : optionNames) {
      if (!used.contains(name.text())) {
        throw new IllegalArgumentException(command + ": unknown option " + name.text() + "\n" + usage());
      }
    }
    if (positionals.size() < min || positionals.size() > max) {
      throw new IllegalArgumentException(command + ": wrong number of arguments\n" + usage());
    }
  }

  private String usage() {
    String[] h = ShellHelp.COMMANDS.get(command);
    return h == null ? "" : "usage: " + h[0];
  }
}
