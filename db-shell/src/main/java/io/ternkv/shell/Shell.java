package io.ternkv.shell;

import io.ternkv.client.ClusterStatus;
import io.ternkv.client.ErrorCode;
import io.ternkv.client.KeyRange;
import io.ternkv.client.Member;
import io.ternkv.client.PutOptions;
import io.ternkv.client.ReadOptions;
import io.ternkv.client.WriteConsistency;
import io.ternkv.client.RangeResult;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs shell statements against a cluster and prints their results; the same for a terminal, a
 * script or a pipe. Errors print one line on {@code err}, never a stack trace unless debugging.
 *
 * <p>Threading: one line at a time, possibly each on a new thread (the terminal runs every line
 * on its own thread so that Ctrl-C can interrupt it). Interrupting the thread cancels the running
 * statement: it prints one {@code cancelled} line saying how far it got, and the rest of the line
 * is skipped. {@link #settings} may be read by a completer thread.
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
  private volatile boolean exitRequested;
  /** Asks the person at the terminal for a password (prompt in, password out); null without one. */
  volatile java.util.function.Function<String, String> passwordPrompt;

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

  /**
   * Runs every statement of a line; a failed statement does not stop the others, but a cancelled
   * one (the thread was interrupted) stops the line.
   *
   * @return false if any statement failed or was cancelled
   */
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
      if (Thread.interrupted()) {
        // Ctrl-C came after the previous statement had finished: skip the rest of the line.
        err.println("cancelled");
        return false;
      }
      Status status = run(words);
      ok &= status == Status.OK;
      if (status == Status.CANCELLED) {
        break;
      }
    }
    return ok;
  }

  private enum Status {
    OK,
    FAILED,
    CANCELLED
  }

  private Status run(List<Tokenizer.Word> words) {
    long start = System.nanoTime();
    try {
      execute(words);
      return Status.OK;
    } catch (CancelledException e) {
      Thread.interrupted(); // reported here; the next command starts afresh
      err.println("cancelled: " + e.getMessage());
      return Status.CANCELLED;
    } catch (TernException e) {
      if (e.code() == ErrorCode.CANCELLED || Thread.currentThread().isInterrupted()) {
        Thread.interrupted();
        // One line, not also the client's "interrupted while waiting": the person asked for it.
        err.println(isWrite(words) ? "cancelled (the write may or may not have been applied)" : "cancelled");
        return Status.CANCELLED;
      }
      error(e);
      return Status.FAILED;
    } catch (IOException | RuntimeException e) {
      error(e);
      return Status.FAILED;
    } finally {
      if (settings.timing) {
        err.printf(Locale.ROOT, "(%.3f ms)%n", (System.nanoTime() - start) / 1e6);
      }
    }
  }

  private static boolean isWrite(List<Tokenizer.Word> words) {
    String command = words.get(0).text().toLowerCase(Locale.ROOT);
    return command.equals("put") || command.equals("del") || command.equals("delete") || command.equals("txn") || command.equals("lease")
        || command.equals("compact") || command.equals("member") || command.equals("leader")
        || command.equals("auth") || command.equals("user") || command.equals("role");
  }

  /** Prints one error line for something that went wrong outside a statement. */
  void reportError(String message) {
    err.println("error: " + message);
  }

  private void error(Exception e) {
    err.println("error: " + Errors.message(e));
    if (settings.debug) {
      e.printStackTrace(err);
    }
  }

  private Render render() {
    return new Render(settings.output, settings.hex);
  }

  private void execute(List<Tokenizer.Word> words) throws IOException {
    String command = words.get(0).text().toLowerCase(Locale.ROOT);
    Args args = new Args(command, words.subList(1, words.size()));
    switch (command) {
      case "put" -> put(args);
      case "get" -> get(args);
      case "del", "delete" -> del(args);
      case "scan" -> scan(args);
      case "compact" -> {
        args.done(1, 1);
        long revision = parseRevision(args.positional(0).text());
        client.compact(revision);
        out.print(render().compacted(revision));
      }
      case "watch" -> WatchCommand.run(args, client, render(), out);
      case "lease" -> LeaseCommands.run(args, client, render(), out);
      case "txn" -> {
        TxnSyntax.Parsed parsed = TxnSyntax.parse(words.subList(1, words.size()));
        out.print(render().txn(parsed, client.txn(parsed.txn())));
      }
      case "status" -> status(args);
      case "members" -> members(args);
      case "member" -> MemberCommands.member(args, client, render(), out);
      case "leader" -> MemberCommands.leader(args, client, render(), out);
      case "auth" -> AuthCommands.auth(args, client, out);
      case "user" -> AuthCommands.user(args, client, out, passwordPrompt);
      case "role" -> AuthCommands.role(args, client, out);
      case "import" -> {
        args.done(1, 1);
        Path file = Path.of(args.positional(0).text());
        out.print(render().bulk("import", file.toString(), bulk.importFile(file)));
      }
      case "export" -> {
        byte[] prefix = args.option("--prefix") == null ? null : args.optionBytes("--prefix");
        args.done(1, 1);
        Path file = Path.of(args.positional(0).text());
        out.print(render().bulk("export", file.toString(), bulk.exportFile(file, prefix, settings.consistency)));
      }
      case "backup" -> {
        args.done(1, 1);
        Path file = Path.of(args.positional(0).text());
        out.print(render().backup(file.toString(), bulk.backup(file)));
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
    String lease = args.option("--lease");
    boolean prev = args.flag("--prev");
    args.done(2, 2);
    byte[] key = Values.parse(args.positional(0));
    byte[] value = Values.parse(args.positional(1));
    long leaseId = lease == null ? 0 : LeaseCommands.parseId(lease);
    PutOptions options = PutOptions.defaults().withLease(leaseId);
    out.print(render().put(key, client.put(key, value, prev ? options.withPrevious() : options), prev));
  }

  private void get(Args args) {
    ReadConsistency level = args.level(settings.consistency);
    long revision = args.revision();
    args.done(1, 1);
    byte[] key = Values.parse(args.positional(0));
    ReadOptions options = ReadOptions.of(level).withRevision(revision);
    out.print(render().get(key, client.get(key, options).map(Render.Entry::of)));
  }

  private void del(Args args) {
    boolean prev = args.flag("--prev");
    byte[] prefix = args.option("--prefix") == null ? null : args.optionBytes("--prefix");
    args.done(prefix == null ? 1 : 0, prefix == null ? 2 : 0);
    if (prefix != null) {
      out.print(render().del(prefix, client.deleteRange(KeyRange.prefix(prefix), prev), prev));
    } else if (args.count() == 2) {
      byte[] from = Values.parse(args.positional(0));
      KeyRange range = KeyRange.between(from, Values.parse(args.positional(1)));
      out.print(render().del(from, client.deleteRange(range, prev), prev));
    } else {
      byte[] key = Values.parse(args.positional(0));
      out.print(render().del(key, client.delete(key, WriteConsistency.MAJORITY, prev), prev));
    }
  }

  static long parseRevision(String s) {
    try {
      long rev = Long.parseLong(s);
      if (rev < 1) {
        throw new NumberFormatException();
      }
      return rev;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("a revision is a positive number, not '" + s + "'");
    }
  }

  private void scan(Args args) {
    ReadConsistency level = args.level(settings.consistency);
    long revision = args.revision();
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
    RangeResult r = client.range(range, limit, ReadOptions.of(level).withRevision(revision));
    out.print(render().scan(r.kvs().stream().map(Render.Entry::of).toList(), r.more()));
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
    out.print(render().members(members, leaderId()));
  }

  private String leaderId() {
    try {
      return client.status(client.currentEndpoint()).leaderId().orElse("");
    } catch (TernException e) {
      if (e.code() == ErrorCode.CANCELLED) {
        throw e;
      }
      return "";
    }
  }

  private void status(Args args) {
    args.done(0, 0);
    List<Render.NodeStatus> nodes = new ArrayList<>();
    for (Member m : client.members()) {
      ClusterStatus s;
      try {
        s = client.status(m.clientAddress());
      } catch (TernException e) {
        if (e.code() == ErrorCode.CANCELLED) {
          throw e; // Ctrl-C, not an unreachable node
        }
        s = null;
      }
      nodes.add(new Render.NodeStatus(m, s));
    }
    out.print(render().status(nodes));
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
}
