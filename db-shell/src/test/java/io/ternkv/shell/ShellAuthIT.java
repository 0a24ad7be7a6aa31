package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.server.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users, roles and logins through the launcher's shell against a real 3-node cluster. */
class ShellAuthIT {
  static LocalCluster cluster;
  static String endpoints;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    endpoints = String.join(",", cluster.endpoints());
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  record Run(int status, String out, String err) {}

  static Run tern(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Tern.run(
            args,
            new ByteArrayInputStream(new byte[0]),
            () -> false,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Path passwordFile(String name, String password) throws Exception {
    Path f = dir.resolve(name + ".pw");
    Files.writeString(f, password + "\n");
    return f;
  }

  @Test
  void usersRolesAndLoginsFromTheShell() throws Exception {
    Path rootPw = passwordFile("root", "shell-root-secret");
    Run setup =
        tern(
            "shell",
            "--endpoints",
            endpoints,
            "-c",
            "auth enable; user add root --password-file " + rootPw + "; user grant-role root root; role add app; "
                + "role grant app readwrite --prefix app/; user add app app-secret; user grant-role app app; auth enable; auth status");
    // The first enable fails (no root user yet); everything after it works.
    assertEquals(1, setup.status(), setup.err());
    assertEquals(1, setup.err().lines().filter(l -> l.startsWith("error:")).count(), setup.err());
    assertTrue(setup.err().contains("FAILED_PRECONDITION") && setup.err().contains("root role"), setup.err());
    assertEquals(
        List.of(
            "user root added",
            "role root granted to root",
            "role app added",
            "role app may now readwrite prefix app/",
            "user app added",
            "role app granted to app",
            "authentication enabled",
            "authentication enabled"),
        setup.out().lines().toList());

    Run anonymous = tern("shell", "--endpoints", endpoints, "-c", "get app/x");
    assertEquals(1, anonymous.status());
    assertTrue(anonymous.err().contains("UNAUTHENTICATED") && anonymous.err().contains("--user"), anonymous.err());

    Run app =
        tern(
            "shell",
            "--endpoints",
            endpoints,
            "--user",
            "app",
            "--password-file",
            passwordFile("app", "app-secret").toString(),
            "-c",
            "put app/x 1; get app/x --consistency stale; put other 1; auth status");
    assertEquals(1, app.status(), app.err());
    List<String> errors = app.err().lines().filter(l -> !l.startsWith("connected to")).toList();
    assertEquals(1, errors.size(), app.err());
    assertTrue(
        errors.get(0).matches("error: \\S+: PERMISSION_DENIED user app may not write key \"other\""), errors.get(0));
    assertTrue(app.out().contains("OK (revision"), app.out());
    assertTrue(app.out().contains("app/x"), app.out());
    assertTrue(app.out().contains("authentication enabled; you are app"), app.out());

    Run wrong =
        tern("shell", "--endpoints", endpoints, "--user", "app", "--password-file", passwordFile("bad", "nope").toString(), "-c", "get app/x");
    assertEquals(1, wrong.status());
    assertTrue(wrong.err().contains("UNAUTHENTICATED wrong user name or password"), wrong.err());

    Run root =
        tern("shell", "--endpoints", endpoints, "--user", "root", "--password-file", rootPw.toString(), "-c", "user list; role get app; user get app");
    assertEquals(0, root.status(), root.err());
    assertEquals(
        List.of("app", "root", "role app:", "  readwrite prefix app/", "user app; roles: app"), root.out().lines().toList());
    assertFalse(root.out().contains("secret"));
  }

  @Test
  void helpExplainsTheAuthCommands() throws Exception {
    // Credentials are unused while authentication is off, and log in once it is on.
    Path rootPw = passwordFile("root-help", "shell-root-secret");
    Run help =
        tern("shell", "--endpoints", endpoints, "--user", "root", "--password-file", rootPw.toString(), "-c", "help user; help role; help auth");
    assertEquals(0, help.status(), help.err());
    assertTrue(help.out().contains("usage: user add|passwd NAME"), help.out());
    assertTrue(help.out().contains("usage: role add|delete|get NAME"), help.out());
    assertTrue(help.out().contains("never written to the history file"), help.out());
  }

  @Test
  void historyIgnoresLinesThatMayHoldAPassword() throws Exception {
    try (org.jline.terminal.Terminal terminal =
        org.jline.terminal.TerminalBuilder.builder()
            .dumb(true)
            .streams(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream())
            .build()) {
      org.jline.reader.LineReader reader =
          org.jline.reader.LineReaderBuilder.builder()
              .terminal(terminal)
              .variable(org.jline.reader.LineReader.HISTORY_IGNORE, AuthCommands.HISTORY_IGNORE)
              .build();
      reader.getHistory().attach(reader); // as each readLine does
      reader.getHistory().add("user add bob bobs-password");
      reader.getHistory().add("role add r; user passwd bob other-password");
      reader.getHistory().add("get a");
      assertEquals(1, reader.getHistory().size());
    }
  }
}
