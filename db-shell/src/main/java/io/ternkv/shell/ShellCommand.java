package io.ternkv.shell;

import io.ternkv.client.TernClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code tern shell}: the interactive and scriptable shell. */
@Command(
    name = "shell",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Talks to a TernKV cluster: interactively on a terminal, or runs -c COMMANDS, a SCRIPT",
      "file, or commands piped on stdin; then the exit status is 1 when any command failed.",
      "Inside, type help for the commands. Examples:",
      "  tern shell --endpoints 127.0.0.1:7001 -c 'put a 1; get a'",
      "  printf 'put a 1\\nget a\\n' | tern shell --output json"
    })
final class ShellCommand implements Callable<Integer> {
  @Option(names = "--endpoints", description = "Client addresses of some nodes, comma-separated (default: ${DEFAULT-VALUE}).")
  String endpoints = "127.0.0.1:7001";

  @Option(names = {"-c", "--command"}, description = "Run these commands (separated by ';') and exit.")
  String command;

  @Option(names = "--output", description = "table, plain or json (default: ${DEFAULT-VALUE}).")
  String output = "table";

  @Option(names = "--consistency", description = "Default read level: linearizable, lease, session, stale, log (default: ${DEFAULT-VALUE}).")
  String consistency = "linearizable";

  @Option(names = "--hex", description = "Show every key and value as hex.")
  boolean hex;

  @Option(names = "--timeout", description = "Request timeout in ms, retries included (default: ${DEFAULT-VALUE}).")
  long timeoutMs = 5000;

  @Option(names = "--debug", description = "Print stack traces with errors.")
  boolean debug;

  @Option(names = "--tls-ca", paramLabel = "FILE", description = "Connect over TLS, trusting node certificates signed by this PEM CA (tern certs: ca.pem).")
  Path tlsCa;

  @Option(names = "--tls-cert", paramLabel = "FILE", description = "Client certificate (PEM) for nodes that require one (--client-cert-auth); with --tls-key.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "Private key (PEM, PKCS#8) of --tls-cert.")
  Path tlsKey;

  @Option(names = "--user", paramLabel = "NAME", description = "Log in as this user (clusters with authentication on); the password comes from --password-file, $TERN_PASSWORD, or a prompt.")
  String user;

  @Option(names = "--password-file", paramLabel = "FILE", description = "File whose first line is the --user's password.")
  Path passwordFile;

  @Parameters(arity = "0..1", paramLabel = "SCRIPT", description = "A file of commands, one or more per line.")
  Path script;

  @ParentCommand Tern parent;

  @Override
  public Integer call() throws Exception {
    Logging.quiet();
    List<String> targets = Arrays.stream(endpoints.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    Shell.Settings settings = settings(output, consistency, hex, debug);
    try (TernClient client = client(targets)) {
      boolean terminal = command == null && script == null && parent.terminal();
      return ShellRunner.run(
          client, settings, new ShellRunner.Source(command, script, parent.in, terminal), targets, parent.out, parent.err);
    }
  }

  private TernClient client(List<String> targets) {
    if ((tlsCert != null || tlsKey != null) && tlsCa == null) {
      throw new IllegalArgumentException("--tls-cert and --tls-key need --tls-ca (the cluster's CA)");
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together");
    }
    TernClient.Builder b = TernClient.builder().endpoints(targets).requestTimeout(Duration.ofMillis(timeoutMs));
    if (user != null) {
      b.credentials(user, loginPassword());
    } else if (passwordFile != null) {
      throw new IllegalArgumentException("--password-file goes with --user");
    }
    if (tlsCa != null) {
      b.tls(tlsCa);
      if (tlsCert != null) {
        b.tlsClientCertificate(tlsCert, tlsKey);
      }
    }
    return b.build();
  }

  /** The --user's password: from --password-file, else $TERN_PASSWORD, else asked at the console. */
  private String loginPassword() {
    if (passwordFile != null) {
      try {
        return AuthCommands.readPasswordFile(passwordFile);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("cannot read --password-file " + passwordFile + ": " + Errors.message(e));
      }
    }
    String env = System.getenv("TERN_PASSWORD");
    if (env != null && !env.isEmpty()) {
      return env;
    }
    java.io.Console console = System.console();
    if (console != null) {
      char[] typed = console.readPassword("password for %s: ", user);
      if (typed != null && typed.length > 0) {
        return new String(typed);
      }
    }
    throw new IllegalArgumentException(
        "--user " + user + " needs a password: --password-file FILE, TERN_PASSWORD, or a terminal to type it");
  }

  static Shell.Settings settings(String output, String consistency, boolean hex, boolean debug) {
    Shell.Settings s = new Shell.Settings();
    s.output = Output.parse(output);
    s.consistency = Args.parseLevel(consistency);
    s.hex = hex;
    s.debug = debug;
    return s;
  }
}
