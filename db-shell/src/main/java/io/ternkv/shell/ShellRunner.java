package io.ternkv.shell;

import io.ternkv.client.Member;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * Where the shell's statements come from: {@code -c}, a script file, a pipe, or a terminal with
 * history, search (Ctrl-R), completion and Ctrl-C that cancels the running command only.
 */
final class ShellRunner {
  private ShellRunner() {}

  /** Where statements come from. */
  record Source(String command, Path script, InputStream stdin, boolean terminal) {}

  /**
   * Connects, says what it reached, and runs the statements.
   *
   * @return 0 when every statement succeeded, 1 when one failed or the cluster was unreachable
   */
  static int run(TernClient client, Shell.Settings settings, Source source, List<String> endpoints, PrintStream out, PrintStream err)
      throws IOException {
    try {
      List<Member> members = client.members();
      String leader = client.status(client.currentEndpoint()).leaderId().orElse("(none yet)");
      err.println("connected to " + client.currentEndpoint() + "; leader " + leader + "; members "
          + String.join(",", members.stream().map(Member::id).toList()));
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
    if (source.script() != null) {
      try (BufferedReader in = Files.newBufferedReader(source.script(), StandardCharsets.UTF_8)) {
        return lines(shell, in);
      }
    }
    if (source.terminal()) {
      return interactive(shell, err);
    }
    return lines(shell, new BufferedReader(new InputStreamReader(source.stdin(), StandardCharsets.UTF_8)));
  }

  private static int lines(Shell shell, BufferedReader in) throws IOException {
    boolean ok = true;
    for (String line; !shell.exitRequested() && (line = in.readLine()) != null; ) {
      String t = line.strip();
      if (!t.isEmpty() && !t.startsWith("#")) {
        ok &= shell.runLine(t);
      }
    }
    return ok ? 0 : 1;
  }

  /** {@code ~/.tern_history}, where ~ is $HOME when set (the JVM's user.home ignores it). */
  static Path historyFile() {
    String home = System.getenv("HOME");
    return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".tern_history");
  }

  private static int interactive(Shell shell, PrintStream err) throws IOException {
    ExecutorService worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "tern-shell-command");
              t.setDaemon(true);
              return t;
            });
    try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
      LineReader reader =
          LineReaderBuilder.builder()
              .terminal(terminal)
              .appName("tern")
              .completer(new ShellCompleter(shell))
              .variable(LineReader.HISTORY_FILE, historyFile())
              .build();
      err.println("type help for commands, exit or Ctrl-D to leave");
      boolean ok = true;
      while (!shell.exitRequested()) {
        String line;
        try {
          line = reader.readLine("tern " + shell.client().currentEndpoint() + "> ");
        } catch (UserInterruptException e) {
          continue; // Ctrl-C at the prompt clears the line
        } catch (EndOfFileException e) {
          break;
        }
        if (line.isBlank()) {
          continue;
        }
        Future<Boolean> running = worker.submit(() -> shell.runLine(line));
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, s -> running.cancel(true));
        try {
          ok &= running.get();
        } catch (CancellationException e) {
          err.println("cancelled");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        } catch (ExecutionException e) {
          err.println("error: " + e.getCause());
          ok = false;
        } finally {
          terminal.handle(Terminal.Signal.INT, previous);
        }
      }
      reader.getHistory().save();
      return ok ? 0 : 1;
    } finally {
      worker.shutdownNow();
    }
  }
}
