package io.ternkv.shell;

import io.ternkv.client.Member;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.TransportSecurityException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * Where the shell's statements come from: {@code -c}, a script file, a pipe, or a terminal with
 * history, search (Ctrl-R), completion and Ctrl-C that cancels the running command only. Only a
 * terminal goes through the line editor: piped input gets no prompts and writes no history.
 */
final class ShellRunner {
  private ShellRunner() {}

  /** Where statements come from. */
  record Source(String command, Path script, InputStream stdin, boolean terminal) {}

  /**
   * Connects, says what it reached, and runs the statements. A script is opened before
   * connecting, so a missing one is reported as such whether or not the cluster is up.
   *
   * @return 0 when every statement succeeded (or, on a terminal, when the person left), 1 when one
   *     failed or the cluster was unreachable
   * @throws IOException when the script or stdin cannot be read
   */
  static int run(TernClient client, Shell.Settings settings, Source source, List<String> endpoints, PrintStream out, PrintStream err)
      throws IOException {
    BufferedReader script = source.script() == null ? null : Files.newBufferedReader(source.script(), StandardCharsets.UTF_8);
    try {
      try {
        List<Member> members = client.members();
        String leader = client.status(client.currentEndpoint()).leaderId().orElse("(none yet)");
        err.println("connected to " + client.currentEndpoint() + "; leader " + leader + "; members "
            + String.join(",", members.stream().map(Member::id).toList()));
      } catch (TransportSecurityException e) {
        err.println("error: " + e.getMessage()); // names the endpoint and what to change
        if (settings.debug) {
          e.printStackTrace(err);
        }
        return 1;
      } catch (io.ternkv.client.AuthenticationException e) {
        err.println("error: " + e.getMessage() + " (log in with --user NAME)");
        return 1;
      } catch (TernException e) {
        err.println("error: no leader reachable at " + String.join(",", endpoints) + " (is the cluster running?)");
        if (settings.debug) {
          e.printStackTrace(err);
        }
        return 1;
      }
      Shell shell = new Shell(client, settings, out, err, source.terminal());
      if (source.command() != null) {
        return shell.runLine(source.command()) ? 0 : 1;
      }
      if (script != null) {
        return lines(shell, script);
      }
      if (source.terminal()) {
        return interactive(shell, err);
      }
      return lines(shell, new BufferedReader(new InputStreamReader(source.stdin(), StandardCharsets.UTF_8)));
    } finally {
      if (script != null) {
        script.close();
      }
    }
  }

  private static int lines(Shell shell, BufferedReader in) throws IOException {
    boolean ok = true;
    TxnBlock block = new TxnBlock();
    for (String line; !shell.exitRequested() && (line = in.readLine()) != null; ) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String statement = block.offer(t);
      if (statement != null) {
        ok &= shell.runLine(statement);
      }
    }
    if (block.open()) {
      block.abandon();
      shell.reportError("txn: the input ended before the line with just 'end'; nothing was run");
      ok = false;
    }
    return ok ? 0 : 1;
  }

  /**
   * Joins a transaction written over several lines: a line with just {@code txn} opens it, a line
   * with just {@code end} closes it, and the lines between are the one-line form's words.
   */
  static final class TxnBlock {
    private StringBuilder pending;

    /** Takes one line; returns a statement to run, or null while a block is being collected. */
    String offer(String line) {
      String t = line.strip();
      if (pending == null) {
        if (t.equalsIgnoreCase("txn")) {
          pending = new StringBuilder("txn");
          return null;
        }
        return t;
      }
      if (t.equalsIgnoreCase("end")) {
        String statement = pending.toString();
        pending = null;
        return statement;
      }
      if (!t.isEmpty()) {
        pending.append(' ').append(t);
      }
      return null;
    }

    /** Whether a block is open (the next line continues it). */
    boolean open() {
      return pending != null;
    }

    /** Drops an open block. */
    void abandon() {
      pending = null;
    }
  }

  /** {@code ~/.tern_history}, where ~ is $HOME when set (the JVM's user.home ignores it). */
  static Path historyFile() {
    String home = System.getenv("HOME");
    return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".tern_history");
  }

  private static int interactive(Shell shell, PrintStream err) throws IOException {
    try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
      LineReader reader =
          LineReaderBuilder.builder()
              .terminal(terminal)
              .appName("tern")
              .completer(new ShellCompleter(shell))
              .variable(LineReader.HISTORY_FILE, historyFile())
              // Lines that may hold a password never reach the history file.
              .variable(LineReader.HISTORY_IGNORE, AuthCommands.HISTORY_IGNORE)
              .build();
      shell.passwordPrompt = prompt -> reader.readLine(prompt, '*');
      err.println("type help for commands, exit or Ctrl-D to leave; Ctrl-C stops a running command");
      TxnBlock block = new TxnBlock();
      while (!shell.exitRequested()) {
        String line;
        try {
          line =
              reader.readLine(
                  block.open() ? "txn...> " : "tern " + shell.client().currentEndpoint() + "> ");
        } catch (UserInterruptException e) {
          if (block.open()) {
            block.abandon(); // Ctrl-C abandons a transaction being typed
          }
          continue; // Ctrl-C at the prompt clears the line
        } catch (EndOfFileException e) {
          break;
        }
        if (line.isBlank()) {
          continue;
        }
        String statement = block.offer(line);
        if (statement != null) {
          runCancellable(shell, statement, terminal, err);
        }
      }
      reader.getHistory().save();
      // The person saw every error as it happened; leaving is not a failure.
      return 0;
    }
  }

  /**
   * Runs a line on a thread of its own, which Ctrl-C interrupts, and waits until it has really
   * finished: the command stops at its next safe point and reports how far it got, so nothing is
   * still running (or drawing progress) when the next prompt appears.
   */
  private static void runCancellable(Shell shell, String line, Terminal terminal, PrintStream err) {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread command =
        new Thread(
            () -> {
              try {
                shell.runLine(line);
              } catch (Throwable t) {
                failure.set(t); // an Error, or a bug: reported on the prompt's thread
              }
            },
            "tern-shell-command");
    command.setDaemon(true);
    // A new thread per line: a Ctrl-C that comes as one ends can only hit that line's thread.
    Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, s -> command.interrupt());
    try {
      command.start();
      boolean interrupted = false;
      while (true) {
        try {
          command.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // nothing interrupts the prompt's thread; keep waiting regardless
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    } finally {
      terminal.handle(Terminal.Signal.INT, previous);
    }
    if (failure.get() != null) {
      err.println("error: " + Errors.message(failure.get()));
    }
  }
}
