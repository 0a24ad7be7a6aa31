package io.ternkv.shell.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A person's first minute, in a real terminal: {@code ./tern demo} runs inside tmux, the test
 * types a command, completes a key with Tab, reads the answer from the screen, and exits; and
 * Ctrl-C stops a running import and gives the prompt back. (.ci/run installs tmux.)
 */
class TmuxDemoIT {
  private final String socket = "ternkv-test-" + ProcessHandle.current().pid();

  /** Starts {@code ./tern demo} in a tmux session, on {@code javaHome}'s java if given. */
  private Path startDemo(Optional<Path> javaHome, int nodes) throws Exception {
    assumeTrue(run("tmux", "-V").startsWith("tmux"), "tmux is not installed");
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    assertTrue(Files.isExecutable(root.resolve("tern")), "no ./tern at " + root);
    Path home = Files.createTempDirectory("ternkv-tmux-");
    String path = javaHome.map(j -> "PATH='" + j.resolve("bin") + "':\"$PATH\" ").orElse("");
    String cmd =
        "cd '" + root + "' && " + path + "HOME='" + home + "' TERN_SKIP_BUILD=1 ./tern demo --nodes " + nodes + " --data-dir '"
            + home.resolve("demo") + "'; echo DEMO-EXITED-$?; sleep 60";
    run("tmux", "-L", socket, "new-session", "-d", "-s", "demo", "-x", "160", "-y", "45", cmd);
    return home;
  }

  @Test
  void demoInATerminalTakesCommandsCompletesKeysAndExitsCleanly() throws Exception {
    firstMinute(Optional.empty());
  }

  /** JDK 22 and later answer System.console() differently; the terminal must still be found. */
  @Test
  void demoInATerminalOnJdk22OrLater() throws Exception {
    Optional<Path> jdk = LauncherIT.jdk22OrLater();
    assumeTrue(jdk.isPresent(), "no JDK 22 or later installed beside " + System.getProperty("java.home"));
    firstMinute(jdk);
  }

  private void firstMinute(Optional<Path> java) throws Exception {
    Path home = startDemo(java, 3);
    try {
      await("the shell prompt", s -> s.contains("tern 127.0.0.1:"), 90);
      keys("put greeting hello", "Enter");
      await("the put to succeed", s -> s.contains("OK (revision 1)"), 30);
      keys("get gree", "Tab");
      await("Tab to complete the key", s -> s.contains("get greeting"), 15);
      keys("Enter");
      await("the value on screen", s -> s.lines().anyMatch(l -> l.startsWith("greeting") && l.endsWith("hello")), 30);
      keys("exit", "Enter");
      await("the demo to stop cleanly", s -> s.contains("stopped; data kept") && s.contains("DEMO-EXITED-0"), 60);
      assertTrue(Files.readString(home.resolve(".tern_history")).contains("put greeting hello"), "history persisted");
    } finally {
      run("tmux", "-L", socket, "kill-server");
    }
  }

  @Test
  void ctrlCStopsAnImportAndGivesThePromptBack() throws Exception {
    Path home = startDemo(Optional.empty(), 1);
    try {
      Path big = home.resolve("big.jsonl");
      StringBuilder b = new StringBuilder();
      for (int i = 1; i <= 400_000; i++) {
        b.append("{\"key\":\"big/").append(i).append("\",\"value\":\"v\"}\n");
      }
      Files.writeString(big, b);
      await("the shell prompt", s -> s.contains("tern 127.0.0.1:"), 90);
      keys("import " + big, "Enter");
      await("the progress bar", s -> s.contains("import ["), 60);
      keys("C-c");
      Pattern cancelled = Pattern.compile("cancelled: import stopped: ([\\d,]+) rows imported, every row up to line (\\d+) of .*; none after");
      String screen = await("one line saying how far the import got", s -> cancelled.matcher(s).find(), 30);
      Matcher m = cancelled.matcher(screen);
      assertTrue(m.find());
      long rows = Long.parseLong(m.group(1).replace(",", ""));
      assertEquals(rows, Long.parseLong(m.group(2)), "one row per line");
      assertTrue(rows < 400_000, "stopped before the end");
      assertFalse(screen.contains("error:"), screen);
      // The next command runs at once: nothing is still importing behind it.
      keys("get big/" + (rows + 1), "Enter");
      await("the next command's answer and a prompt", s -> s.contains("(not found)") && s.strip().endsWith(">"), 30);
      Thread.sleep(1000);
      screen = screen();
      assertTrue(screen.strip().endsWith(">"), "the prompt stays clean, no progress drawn over it later:\n" + screen);
      keys("exit", "Enter");
      await("the demo to stop", s -> s.contains("DEMO-EXITED-0"), 60);
    } finally {
      run("tmux", "-L", socket, "kill-server");
    }
  }

  private void keys(String... keys) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket, "send-keys", "-t", "demo"));
    cmd.addAll(List.of(keys));
    run(cmd.toArray(String[]::new));
  }

  private String screen() throws IOException, InterruptedException {
    return run("tmux", "-L", socket, "capture-pane", "-p", "-t", "demo", "-S", "-100");
  }

  private String await(String what, Predicate<String> condition, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = screen();
      if (condition.test(last)) {
        return last;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("timed out waiting for " + what + "; screen:\n" + last);
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      return "";
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }
}
