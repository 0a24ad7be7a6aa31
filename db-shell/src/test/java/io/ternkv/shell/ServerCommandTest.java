package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServerCommandTest {
  static final String MEMBERS =
      "n1=127.0.0.1:7001/127.0.0.1:8001,n2=127.0.0.1:7002/127.0.0.1:8002,n3=127.0.0.1:7003/127.0.0.1:8003";

  static ServerConfig parse(String... args) throws Exception {
    ServerCommand cmd = new ServerCommand();
    cmd.env = java.util.Map.of();
    new CommandLine(cmd).parseArgs(args);
    return cmd.config();
  }

  @Test
  void addressesDefaultToTheNodesMemberEntry() throws Exception {
    ServerConfig c = parse("--id", "n2", "--data-dir", "d", "--members", MEMBERS);
    assertEquals("n2", c.nodeId());
    assertEquals("127.0.0.1:7002", c.clientAddress().toString());
    assertEquals("127.0.0.1:8002", c.raftAddress().toString());
    assertEquals(3, c.members().size());
    assertEquals(Path.of("d"), c.dataDir());
    assertEquals(ServerConfig.DEFAULT_SNAPSHOT_THRESHOLD, c.snapshotThreshold());
  }

  @Test
  void tuningFlagsReachTheConfig() throws Exception {
    ServerConfig c =
        parse("--id", "n1", "--data-dir", "d", "--members", MEMBERS, "--snapshot-threshold", "500",
            "--max-value-bytes", "2048", "--election-timeout-min", "400", "--election-timeout-max", "900",
            "--store-commit-writes", "7", "--store-commit-interval", "2s", "--log-segment-bytes", "1MiB",
            "--metrics", "127.0.0.1:0");
    assertEquals(500, c.snapshotThreshold());
    assertEquals(2048, c.limits().maxValueBytes());
    assertEquals(400, c.electionTimeoutMin().toMillis());
    assertEquals(900, c.electionTimeoutMax().toMillis());
    assertEquals(7, c.storeCommitWrites());
    assertEquals(2000, c.storeCommitInterval().toMillis());
    assertEquals(1024 * 1024, c.logSegmentBytes());
    assertEquals("127.0.0.1:0", c.metricsAddress().orElseThrow().toString());
  }

  @Test
  void joinAloneMeansTrueAndNeedsOnlyThisNodesEntry() throws Exception {
    ServerConfig c = parse("--id", "n4", "--data-dir", "d", "--join", "--members", "n4=127.0.0.1:7004/127.0.0.1:8004");
    assertTrue(c.join());
    assertEquals("127.0.0.1:7004", c.clientAddress().toString());
    assertTrue(!parse("--id", "n1", "--data-dir", "d", "--members", MEMBERS).join());
    assertTrue(!parse("--id", "n1", "--data-dir", "d", "--members", MEMBERS, "--join", "false").join());
    assertMessage("not true or false", () -> parse("--id", "n1", "--data-dir", "d", "--members", MEMBERS, "--join", "yes"));
    assertMessage("needs this node's own entry", () -> parse("--id", "n4", "--data-dir", "d", "--join", "--members", MEMBERS));
  }

  @Test
  void badSettingsNameWhatIsWrong() {
    assertMessage("not of the form", () -> parse("--id", "n1", "--data-dir", "d", "--members", "n1=127.0.0.1:7001"));
    assertMessage("is not one of members", () -> parse("--id", "n9", "--data-dir", "d", "--members", MEMBERS));
    assertMessage("appears twice", () -> parse("--id", "n1", "--data-dir", "d", "--members", MEMBERS + "," + MEMBERS));
    assertMessage("--client", () -> parse("--id", "n1", "--data-dir", "d", "--members", MEMBERS, "--client", "nope"));
    assertMessage("snapshot-threshold", () -> parse("--id", "n1", "--data-dir", "d", "--members", MEMBERS, "--snapshot-threshold", "0"));
    assertMessage("node id", () -> parse("--id", "bad id", "--data-dir", "d", "--members", MEMBERS));
  }

  static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().contains(part), ex.getMessage());
  }

  @Test
  void helpListsEverySettingWithItsDefaultAndVariable() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    assertEquals(0, Tern.run(new String[] {"server", "--help"}, o, o));
    String help = out.toString(StandardCharsets.UTF_8).replaceAll("\\s+", " ");
    assertTrue(help.contains("--config=FILE"), help);
    for (io.ternkv.shell.config.Setting s : io.ternkv.shell.config.Setting.values()) {
      String shown = s.isSwitch() ? s.flag() + "[=" + s.label() + "]" : s.flag() + "=" + s.label();
      assertTrue(help.contains(shown), s.flag() + " missing: " + help);
      assertTrue(help.contains("(default: " + s.whenUnset() + "; env " + s.env() + ")"), s.env() + " missing: " + help);
    }
    assertTrue(help.contains("flags > environment > config file > defaults"), help);
  }

  @Test
  void launcherExitCodes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(0, Tern.run(new String[] {"--help"}, o, e));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("server"));
    assertEquals(2, Tern.run(new String[] {"server", "--id", "n1", "--data-dir", "d", "--members", MEMBERS, "--bogus"}, o, e));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--bogus"), err.toString(StandardCharsets.UTF_8));
    err.reset();
    assertEquals(2, Tern.run(new String[] {"server", "--id", "n1", "--data-dir", "d", "--members", "x"}, o, e));
    assertTrue(
        err.toString(StandardCharsets.UTF_8).startsWith("error: invalid members 'x' (flag --members): member 'x'"),
        err.toString(StandardCharsets.UTF_8));
    assertEquals(2, Tern.run(new String[] {"frobnicate"}, o, e));
  }

  @Test
  void bareTernSaysWhatIsMissingOnceThenShowsUsage() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(2, Tern.run(new String[0], new PrintStream(new ByteArrayOutputStream()), e));
    java.util.List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals("error: name a command (shell, server, demo, restore, certs); see tern --help", lines.get(0));
    assertEquals(1, lines.stream().filter(l -> l.startsWith("error")).count(), err.toString(StandardCharsets.UTF_8));
    assertTrue(lines.get(1).startsWith("Usage: tern"), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void fileErrorsSayWhatIsWrongWithThePath() {
    assertEquals("no such file: /x/y", Errors.message(new java.nio.file.NoSuchFileException("/x/y")));
    assertEquals("permission denied: /x/y", Errors.message(new java.nio.file.AccessDeniedException("/x/y")));
    assertEquals("/x/y: Is a directory", Errors.message(new java.nio.file.FileSystemException("/x/y", null, "Is a directory")));
    assertEquals("plain message", Errors.message(new IllegalStateException("plain message")));
    assertEquals("internal error (NullPointerException); --debug shows where", Errors.message(new NullPointerException()));
  }

  @Test
  void noTerminalWithoutAConsole() {
    // Surefire gives this JVM pipes, not a terminal: on any JDK the shell must read plain lines.
    assertEquals(false, Terminals.interactive());
    assertEquals(false, Terminals.interactive(null));
  }
}
