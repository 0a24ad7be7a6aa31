package io.ternkv.shell.e2e;

import static io.ternkv.shell.e2e.MembershipProcessIT.TIMEOUT;
import static io.ternkv.shell.e2e.MembershipProcessIT.await;
import static io.ternkv.shell.e2e.MembershipProcessIT.digest;
import static io.ternkv.shell.e2e.MembershipProcessIT.shell;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.server.MemberSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The operator's backup and restore, as separate processes: {@code backup FILE} in the shell
 * against a 3-node cluster under write load, then {@code tern restore} into three new data
 * directories and a fresh 3-node cluster started on them. Every restored node holds exactly what
 * the source held at the backup's revision.
 */
class BackupRestoreProcessIT {

  @Test
  void backupUnderWriteLoadRestoresIntoAFreshProcessClusterWithTheSameContent() throws Exception {
    Path dir = Files.createTempDirectory("ternkv-restore-e2e-");
    boolean passed = false;
    Path file = dir.resolve("cluster.backup");
    try (ProcessCluster source = new ProcessCluster(dir.resolve("source"), 3, MembershipProcessIT.SMALL_LOG);
        TernClient client = TernClient.builder().endpoints(source.endpoints()).requestTimeout(TIMEOUT).build()) {
      source.startAll();
      MembershipProcessIT.Writers writers = new MembershipProcessIT.Writers(client);
      writers.start();
      writers.awaitMore(300);

      MembershipProcessIT.Run backup = shell(source, "backup " + file);
      assertEquals(0, backup.status(), backup.err());
      Matcher m = Pattern.compile("backup of revision (\\d+) \\(([\\d,]+) keys").matcher(backup.out());
      assertTrue(m.find(), backup.out());
      long revision = Long.parseLong(m.group(1));
      writers.awaitMore(100);
      writers.stop();
      long latest = client.put("after/backup", "x").revision();
      assertTrue(latest > revision + 50, "writes went on after the backup (" + revision + " -> " + latest + ")");
      String expected = digest(source.endpoint(0), revision);
      assertTrue(expected.startsWith(m.group(2).replace(",", "") + " keys"), expected + " vs " + backup.out());
      assertNotEquals(expected, digest(source.endpoint(0), latest), "the source moved on");

      // Three new members, each restored by its own `tern restore` process.
      ProcessCluster target = new ProcessCluster(dir.resolve("target"), 3, MembershipProcessIT.SMALL_LOG);
      String members = String.join(",", target.members().stream().map(MemberSpec::toString).toList());
      for (int i = 0; i < 3; i++) {
        Path dataDir = dir.resolve("target").resolve(target.id(i));
        Ran restore = tern(dir, "restore", file.toString(), "--data-dir", dataDir.toString(), "--id", target.id(i), "--members", members);
        assertEquals(0, restore.status(), restore.output());
        assertTrue(restore.output().contains("restored revision " + revision + " "), restore.output());
      }
      try (target;
          TernClient restored = TernClient.builder().endpoints(target.endpoints()).requestTimeout(TIMEOUT).build()) {
        target.startAll();
        long next = restored.put("after/restore", "y").revision();
        assertEquals(revision + 1, next, "revisions continue from the backup's");
        for (int i = 0; i < 3; i++) {
          String endpoint = target.endpoint(i);
          await(target.id(i) + " applies the first write after restore", () -> {
            try (TernClient one = TernClient.builder().endpoints(endpoint).requestTimeout(TIMEOUT).build()) {
              return one.get("after/restore", ReadConsistency.STALE).isPresent();
            } catch (RuntimeException e) {
              return false;
            }
          });
          assertEquals(expected, digest(endpoint, revision), "content of " + target.id(i) + " at the backup's revision");
        }
      }

      // A truncated backup is refused with one clear line and leaves no data directory behind.
      Path truncated = dir.resolve("truncated.backup");
      byte[] whole = Files.readAllBytes(file);
      Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 2));
      Path refusedDir = dir.resolve("refused");
      Ran refused = tern(dir, "restore", truncated.toString(), "--data-dir", refusedDir.toString(), "--id", "n1", "--members", members);
      assertNotEquals(0, refused.status(), refused.output());
      assertTrue(refused.output().contains(truncated.toString()), refused.output());
      assertFalse(Files.exists(refusedDir) && !Files2.isEmptyDirectory(refusedDir), "nothing left in " + refusedDir);
      passed = true;
    } finally {
      if (passed) {
        Files2.deleteRecursively(dir);
      } else {
        System.err.println("BackupRestoreProcessIT failed; data and node logs kept in " + dir);
      }
    }
  }

  record Ran(int status, String output) {}

  /** Runs {@code tern ARGS...} as its own JVM, as an operator would, and waits for it. */
  static Ran tern(Path dir, String... args) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "io.ternkv.shell.Tern"));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "tern-", ".out");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("tern " + String.join(" ", args) + " did not finish; output in " + log);
    }
    return new Ran(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
