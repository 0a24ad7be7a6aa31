package io.ternkv.shell;

import com.google.gson.JsonObject;
import io.ternkv.client.ClusterStatus;
import io.ternkv.client.DeleteResult;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.Member;
import io.ternkv.client.RangeResult;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.WriteResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Runs shell statements against a cluster and prints their results; the same for a terminal, a
 * script or a pipe. Errors print one line on {@code err}, never a stack trace unless debugging.
 *
 * <p>Threading: one statement at a time; {@link #settings} may be read by a completer thread.
 */
final class Shell {
  /** Session settings that {@code set} and {@code timing} change. */
  static final class Settings {
    volatile ReadConsistency consistency = ReadConsistency.LINEARIZABLE;
    volatile Output output = Output.TABLE;
    volatile boolean timing;
    volatile boolean hex;
    volatile boolean debug;
  }

  final Settings settings;
  private final TernClient client;
  private final PrintStream out;
  private final PrintStream err;
  private final BulkIo bulk;
  private boolean exitRequested;

  Shell(TernClient client, Settings settings, PrintStream out, PrintStream err, boolean progress) {
    this.client = client;
    this.settings = settings;
    this.out = out;
    this.err = err;
    this.bulk = new BulkIo(client, err, progress);
  }

  TernClient client() {
    return client;
  }

  boolean exitRequested() {
    return exitRequested;
  }

  /** Runs every statement of a line; returns false if any failed (the rest still run). */
  boolean runLine(String line) {
    List<List<Tokenizer.Word>> statements;
    try {
      statements = Tokenizer.statements(line);
    } catch (IllegalArgumentException e) {
      error(e);
      return false;
    }
    boolean ok = true;
    for (List<Tokenizer.Word> words : statements) {
      if (exitRequested) {
        break;
      }
      ok &= run(words);
    }
    return ok;
  }

  private boolean run(List<Tokenizer.Word> words) {
    long start = System.nanoTime();
    try {
      execute(words);
      return true;
    } catch (IllegalArgumentException | TernException | java.io.IOException e) {
      error(e);
      return false;
    } catch (RuntimeException e) {
      error(e);
      return false;
    } finally {
      if (settings.timing) {
        err.printf(Locale.ROOT, "(%.3f ms)%n", (System.nanoTime() - start) / 1e6);
      }
    }
  }

  private void error(Exception e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    err.println("error: " + message);
    if (settings.debug) {
      e.printStackTrace(err);
    }
  }

  private void execute(List<Tokenizer.Word> words) throws java.io.IOException {
    String command = words.get(0).text().toLowerCase(Locale.ROOT);
    Args args = new Args(command, words.subList(1, words.size()));
    switch (command) {
      case "put" -> put(args);
      case "get" -> get(args);
      case "del", "delete" -> del(args);
      case "scan" -> scan(args);
      case "status" -> status(args);
      case "members" -> members(args);
      case "import" -> {
        args.done(1, 1);
        bulk.importFile(Path.of(args.positional(0).text()));
      }
      case "export" -> {
        String prefix = args.option("--prefix");
        args.done(1, 1);
        bulk.exportFile(Path.of(args.positional(0).text()), prefix == null ? null : args.optionBytes("--prefix"), settings.consistency);
      }
      case "set" -> set(args);
      case "timing" -> {
        args.done(1, 1);
        settings.timing = onOff(args.positional(0).text());
      }
      case "help", "?" -> {
        args.done(0, 1);
        out.print(args.count() == 0 ? ShellHelp.overview() : ShellHelp.of(args.positional(0).text().toLowerCase(Locale.ROOT)));
      }
      case "exit", "quit" -> {
        args.done(0, 0);
        exitRequested = true;
      }
      default -> throw new IllegalArgumentException("unknown command '" + command + "'; try help");
    }
  }

  private void put(Args args) {
    args.done(2, 2);
    byte[] key = Values.parse(args.positional(0));
    WriteResult w = client.put(key, Values.parse(args.positional(1)));
    switch (settings.output) {
      case JSON -> json(ordered("op", "put", "key", Output.jsonBytes(key), "revision", w.revision(), "index", w.raftIndex()));
      default -> out.println("OK (revision " + w.revision() + ")");
    }
  }

  private void get(Args args) {
    ReadConsistency level = args.level(settings.consistency);
    args.done(1, 1);
    byte[] key = Values.parse(args.positional(0));
    Optional<KeyValue> kv = client.get(key, level);
    switch (settings.output) {
      case JSON -> {
        if (kv.isEmpty()) {
          json(ordered("op", "get", "key", Output.jsonBytes(key), "found", false));
        } else {
          json(kvJson("get", kv.get()));
        }
      }
      case PLAIN -> out.println(kv.map(v -> Values.show(v.value(), settings.hex)).orElse("(not found)"));
      case TABLE -> out.print(kv.map(v -> kvTable(List.of(v))).orElse("(not found)\n"));
    }
  }

  private void del(Args args) {
    args.done(1, 1);
    byte[] key = Values.parse(args.positional(0));
    DeleteResult d = client.delete(key);
    switch (settings.output) {
      case JSON -> json(ordered("op", "del", "key", Output.jsonBytes(key), "deleted", d.deleted(), "revision", d.header().revision()));
      default -> out.println("deleted " + d.deleted());
    }
  }

  private void scan(Args args) {
    ReadConsistency level = args.level(settings.consistency);
    String limitText = args.option("--limit");
    int limit = limitText == null ? 100 : parseLimit(limitText);
    byte[] prefix = args.option("--prefix") == null ? null : args.optionBytes("--prefix");
    args.done(0, prefix == null ? 2 : 0);
    KeyRange range;
    if (prefix != null) {
      range = KeyRange.prefix(prefix);
    } else if (args.count() == 0) {
      range = KeyRange.all();
    } else {
      range = KeyRange.between(Values.parse(args.positional(0)), args.count() > 1 ? Values.parse(args.positional(1)) : null);
    }
    RangeResult r = client.range(range, limit, level);
    switch (settings.output) {
      case JSON -> {
        List<JsonObject> kvs = new ArrayList<>();
        r.kvs().forEach(kv -> kvs.add(kvJson(null, kv)));
        json(ordered("op", "scan", "kvs", Output.array(kvs), "more", r.more()));
      }
      case PLAIN -> r.kvs().forEach(kv -> out.println(Values.show(kv.key(), settings.hex) + "\t" + Values.show(kv.value(), settings.hex)));
      case TABLE -> {
        out.print(r.kvs().isEmpty() ? "(no keys)\n" : kvTable(r.kvs()));
        if (r.more()) {
          out.println("(more keys; raise --limit or scan from after the last key)");
        }
      }
    }
  }

  private static int parseLimit(String s) {
    try {
      int n = Integer.parseInt(s);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--limit must be a positive number, not '" + s + "'");
    }
  }

  private void members(Args args) {
    args.done(0, 0);
    List<Member> members = client.members();
    String leader = leaderId();
    switch (settings.output) {
      case JSON -> {
        List<JsonObject> list = new ArrayList<>();
        for (Member m : members) {
          list.add(Output.object(ordered("id", m.id(), "client", m.clientAddress(), "raft", m.raftAddress(), "voter", m.voter(), "leader", m.id().equals(leader))));
        }
        json(ordered("op", "members", "members", Output.array(list)));
      }
      default -> {
        List<List<String>> rows = new ArrayList<>();
        for (Member m : members) {
          rows.add(List.of(m.id(), m.clientAddress(), m.raftAddress(), m.voter() ? "voter" : "learner", m.id().equals(leader) ? "leader" : ""));
        }
        out.print(Output.table(List.of("ID", "CLIENT", "RAFT", "ROLE", ""), rows));
      }
    }
  }

  private String leaderId() {
    try {
      return client.status(client.currentEndpoint()).leaderId().orElse("");
    } catch (TernException e) {
      return "";
    }
  }

  private void status(Args args) {
    args.done(0, 0);
    List<List<String>> rows = new ArrayList<>();
    List<JsonObject> json = new ArrayList<>();
    for (Member m : client.members()) {
      try {
        ClusterStatus s = client.status(m.clientAddress());
        rows.add(List.of(s.nodeId(), m.clientAddress(), s.role().name().toLowerCase(Locale.ROOT), Long.toString(s.term()),
            s.leaderId().orElse("-"), Long.toString(s.commitIndex()), Long.toString(s.appliedIndex()), Long.toString(s.snapshotIndex())));
        json.add(Output.object(ordered("id", s.nodeId(), "client", m.clientAddress(), "role", s.role().name().toLowerCase(Locale.ROOT), "term", s.term(),
            "leader", s.leaderId().orElse(""), "commit_index", s.commitIndex(), "applied_index", s.appliedIndex(), "snapshot_index", s.snapshotIndex())));
      } catch (TernException e) {
        rows.add(List.of(m.id(), m.clientAddress(), "unreachable", "-", "-", "-", "-", "-"));
        json.add(Output.object(ordered("id", m.id(), "client", m.clientAddress(), "role", "unreachable")));
      }
    }
    if (settings.output == Output.JSON) {
      json(ordered("op", "status", "nodes", Output.array(json)));
    } else {
      out.print(Output.table(List.of("ID", "CLIENT", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "SNAPSHOT"), rows));
    }
  }

  private void set(Args args) {
    args.done(2, 2);
    String what = args.positional(0).text().toLowerCase(Locale.ROOT);
    String value = args.positional(1).text();
    switch (what) {
      case "consistency" -> settings.consistency = Args.parseLevel(value);
      case "output" -> settings.output = Output.parse(value);
      default -> throw new IllegalArgumentException("set takes consistency or output, not '" + what + "'");
    }
  }

  private static boolean onOff(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "on" -> true;
      case "off" -> false;
      default -> throw new IllegalArgumentException("timing takes on or off, not '" + s + "'");
    };
  }

  private String kvTable(List<KeyValue> kvs) {
    List<List<String>> rows = new ArrayList<>();
    for (KeyValue kv : kvs) {
      rows.add(List.of(Values.show(kv.key(), settings.hex), Long.toString(kv.createRevision()), Long.toString(kv.modRevision()),
          Long.toString(kv.version()), Values.show(kv.value(), settings.hex)));
    }
    return Output.table(List.of("KEY", "CREATE", "MOD", "VERSION", "VALUE"), rows);
  }

  private static JsonObject kvJson(String op, KeyValue kv) {
    Map<String, Object> f = Output.fields();
    if (op != null) {
      f.put("op", op);
    }
    f.put("key", Output.jsonBytes(kv.key()));
    f.put("value", Output.jsonBytes(kv.value()));
    f.put("create_revision", kv.createRevision());
    f.put("mod_revision", kv.modRevision());
    f.put("version", kv.version());
    return Output.object(f);
  }

  private void json(Map<String, Object> fields) {
    json(Output.object(fields));
  }

  /** An insertion-ordered map from alternating keys and values, so JSON fields keep their order. */
  private static Map<String, Object> ordered(Object... keyValues) {
    Map<String, Object> m = Output.fields();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  private void json(JsonObject o) {
    out.println(o.toString());
  }
}
