package io.ternkv.shell.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ternkv.server.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./tern shell} and {@code ./tern demo} as processes with piped stdin and stdout, as in
 * {@code printf 'put a 1\nget a\n' | ./tern demo}: plain lines in, results out, no prompt, no
 * history file, a clean exit. Run on the JDK on PATH and, when one is installed, on a JDK 22 or
 * later, where {@code System.console()} is not null even for pipes. Uses the jar that
 * {@code package} built (TERN_SKIP_BUILD=1).
 */
class LauncherIT {
  static LocalCluster cluster;
  @TempDir Path home;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(1).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  record Result(int status, String out, String err) {}

  static Path root() {
    return Path.of(System.getProperty("user.dir")).getParent();
  }

  /** Runs {@code ./tern args} with {@code stdin} piped in, on {@code javaHome}'s java if given. */
  Result tern(Optional<Path> javaHome, String stdin, String... args) throws Exception {
    assertTrue(Files.isRegularFile(root().resolve("db-shell/target/tern.jar")), "the jar is built in the package phase");
    List<String> cmd = new ArrayList<>(List.of(root().resolve("tern").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root().toFile());
    Map<String, String> env = pb.environment();
    env.put("TERN_SKIP_BUILD", "1");
    env.put("HOME", home.toString());
    javaHome.ifPresent(j -> env.put("PATH", j.resolve("bin") + ":" + env.get("PATH")));
    Path out = home.resolve("stdout");
    Path err = home.resolve("stderr");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("./tern " + String.join(" ", args) + " did not exit; stderr:\n" + Files.readString(err));
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** A JDK of feature version 22 or later installed beside this one, if any. */
  static Optional<Path> jdk22OrLater() throws IOException {
    Path jvms = Path.of(System.getProperty("java.home")).getParent();
    if (jvms == null || !Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    Pattern version = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");
    try (Stream<Path> dirs = Files.list(jvms)) {
      for (Path d : dirs.sorted().toList()) {
        Path release = d.resolve("release");
        if (Files.isRegularFile(release) && Files.isExecutable(d.resolve("bin/java"))) {
          Matcher m = version.matcher(Files.readString(release));
          if (m.find() && Integer.parseInt(m.group(1)) >= 22) {
            return Optional.of(d);
          }
        }
      }
    }
    return Optional.empty();
  }

  void shellReadsPipedLines(Optional<Path> java) throws Exception {
    String endpoint = cluster.endpoint(0);
    Result r = tern(java, "put piped/a 1\nget piped/a\nget piped/none\n", "shell", "--endpoints", endpoint, "--output", "plain");
    assertEquals(0, r.status(), r.err());
    assertEquals("1\n(not found)\n", r.out().substring(r.out().indexOf('\n') + 1), r.out());
    assertTrue(r.out().matches("(?s)OK \\(revision \\d+\\)\n.*"), r.out());
    assertFalse(r.out().contains("tern 127.0.0.1"), "no prompt: " + r.out());
    assertFalse(r.err().contains("type help for commands"), "no interactive greeting: " + r.err());
    assertFalse(Files.exists(home.resolve(".tern_history")), "piped input writes no history");
  }

  void demoReadsPipedLines(Optional<Path> java) throws Exception {
    Path data = home.resolve("demo-data");
    Result r = tern(java, "put a 1\nget a\n", "demo", "--nodes", "1", "--data-dir", data.toString());
    assertEquals(0, r.status(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals("starting a 1-node TernKV cluster in " + data + " ...", lines.get(0));
    assertEquals(
        List.of("OK (revision 1)", "KEY  CREATE  MOD  VERSION  VALUE", "---  ------  ---  -------  -----", "a    1       1    1        1",
            "stopping the cluster ...", "stopped; data kept in " + data),
        lines.subList(5, lines.size()),
        r.out());
    assertFalse(r.out().contains("tern 127.0.0.1"), "no prompt: " + r.out());
    assertFalse(Files.exists(home.resolve(".tern_history")), "piped input writes no history");
  }

  @Test
  void shellWithPipedStdin() throws Exception {
    shellReadsPipedLines(Optional.empty());
  }

  @Test
  void demoWithPipedStdin() throws Exception {
    demoReadsPipedLines(Optional.empty());
  }

  @Test
  void shellAndDemoWithPipedStdinOnJdk22OrLater() throws Exception {
    Optional<Path> jdk = jdk22OrLater();
    assumeTrue(jdk.isPresent(), "no JDK 22 or later installed beside " + System.getProperty("java.home"));
    shellReadsPipedLines(jdk);
    demoReadsPipedLines(jdk);
  }

  @Test
  void missingScriptAndBareLauncherSayWhatIsWrongOnce() throws Exception {
    Result r = tern(Optional.empty(), "", "shell", "--endpoints", cluster.endpoint(0), home.resolve("missing.tern").toString());
    assertEquals(1, r.status());
    assertEquals("error: no such file: " + home.resolve("missing.tern") + "\n", r.err());
    Result bare = tern(Optional.empty(), "");
    assertEquals(2, bare.status());
    assertEquals(1, bare.err().lines().filter(l -> l.startsWith("error")).count(), bare.err());
  }
}
