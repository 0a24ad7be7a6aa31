package io.ternkv.shell;

import io.ternkv.server.TernServer;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tern} launcher: {@code tern server} runs a storage node, {@code tern demo} a local
 * cluster. {@link #run} is the testable entry point; {@link #main} exits with its code.
 */
@Command(
    name = "tern",
    mixinStandardHelpOptions = true,
    version = "TernKV 0.1.0",
    description = "TernKV, a replicated key-value database.",
    footer = {
      "",
      "Also: ./tern bench [--quick] runs the JMH suite (bench/run.sh) and writes",
      "tables and charts under bench/results/."
    },
    subcommands = {ShellCommand.class, ServerCommand.class, DemoCommand.class, RestoreCommand.class, CertsCommand.class, CommandLine.HelpCommand.class})
public final class Tern implements Runnable {
  final InputStream in;
  final PrintStream out;
  final PrintStream err;
  private final BooleanSupplier terminal;

  Tern(InputStream in, BooleanSupplier terminal, PrintStream out, PrintStream err) {
    this.in = in;
    this.terminal = terminal;
    this.out = out;
    this.err = err;
  }

  /** Whether {@link #in} and {@link #out} are a person's terminal (else: plain lines, no prompt). */
  boolean terminal() {
    return terminal.getAsBoolean();
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "name a command (shell, server, demo, restore, certs); see tern --help");
  }

  /**
   * Parses {@code args} and runs the command with this process's stdin, which is a terminal when
   * {@link Terminals#interactive()} says so. Bad flags print one {@code error:} line and the
   * usage on {@code err} and return 2; a failed command prints one {@code error:} line.
   *
   * @return the exit status: 0 success, 1 a command failed, 2 bad usage
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, System.in, Terminals::interactive, out, err);
  }

  /** {@link #run(String[], PrintStream, PrintStream)} with another stdin and terminal check. */
  static int run(String[] args, InputStream in, BooleanSupplier terminal, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new Tern(in, terminal, out, err));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          err.println("error: " + ex.getMessage());
          ex.getCommandLine().usage(err);
          return 2;
        });
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          err.println("error: " + Errors.message(ex));
          if (Boolean.getBoolean("tern.debug")) {
            ex.printStackTrace(err);
          }
          return ex instanceof IllegalArgumentException ? 2 : 1;
        });
    return cl.execute(args);
  }

  /** Runs and exits with the command's status. */
  public static void main(String[] args) {
    // Before anything touches the common pool: on a machine with two cores or fewer it would have
    // one thread, and Ratis would start a new thread for every follower append.
    if (System.getProperty(TernServer.COMMON_POOL_PARALLELISM) == null
        && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(TernServer.COMMON_POOL_PARALLELISM, "2");
    }
    // Libraries that log through java.util.logging would otherwise write to the terminal.
    java.util.logging.LogManager.getLogManager().reset();
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.SEVERE);
    System.exit(run(args, System.out, System.err));
  }
}
