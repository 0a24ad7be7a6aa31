package io.ternkv.shell.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * A person's first minute, in a real terminal: {@code ./tern demo} runs inside tmux, the test
 * types a command, completes a key with Tab, reads the answer from the screen, and exits.
 * (.ci/run installs tmux.)
 */
class TmuxDemoIT {
  private final String socket = "ternkv-test-" + ProcessHandle.current().pid();

  @Test
  void demoInATerminalTakesCommandsCompletesKeysAndExitsCleanly() throws Exception {
    assumeTrue(run("tmux", "-V").startsWith("tmux"), "tmux is not installed");
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    assertTrue(Files.isExecutable(root.resolve("tern")), "no ./tern at " + root);
    Path home = Files.createTempDirectory("ternkv-tmux-");
    String cmd =
        "cd '" + root + "' && HOME='" + home + "' TERN_SKIP_BUILD=1 ./tern demo --data-dir '" + home.resolve("demo")
            + "'; echo DEMO-EXITED-$?; sleep 60";
    run("tmux", "-L", socket, "new-session", "-d", "-s", "demo", "-x", "160", "-y", "45", cmd);
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

  private void keys(String... keys) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket, "send-keys", "-t", "demo"));
    cmd.addAll(List.of(keys));
    run(cmd.toArray(String[]::new));
  }

  private String screen() throws IOException, InterruptedException {
    return run("tmux", "-L", socket, "capture-pane", "-p", "-t", "demo", "-S", "-100");
  }

  private void await(String what, Predicate<String> condition, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = screen();
      if (condition.test(last)) {
        return;
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
