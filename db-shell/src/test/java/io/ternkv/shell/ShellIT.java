package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.TernClient;
import io.ternkv.server.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shell driven by piped stdin and -c against a real 3-node LocalCluster. */
class ShellIT {
  static LocalCluster cluster;
  static TernClient client;
  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    client = TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(30)).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  record Run(int status, String out, String err) {}

  static Run pipe(String input, String output) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        ShellRunner.run(
            client,
            ShellCommand.settings(output, "linearizable", false, false),
            new ShellRunner.Source(null, null, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), false),
            cluster.endpoints(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void everyCommandThroughPipedStdin() throws Exception {
    Run r =
        pipe(
            String.join(
                "\n",
                "# comments and blank lines are skipped",
                "",
                "put cmd/a 1",
                "put cmd/b \"two words\"",
                "put cmd/bin 0x00ff",
                "get cmd/a",
                "get cmd/b --consistency stale",
                "get cmd/bin",
                "scan --prefix cmd/ --limit 2",
                "scan cmd/b cmd/c",
                "del cmd/a",
                "get cmd/a",
                "set consistency lease",
                "get cmd/b",
                "timing on",
                "status",
                "members",
                "help scan"),
            "table");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("OK (revision"), r.out());
    assertTrue(r.out().contains("two words"), r.out());
    assertTrue(r.out().contains("0x00ff"), r.out());
    assertTrue(r.out().contains("(more keys"), r.out());
    assertTrue(r.out().contains("deleted 1"), r.out());
    assertTrue(r.out().contains("(not found)"), r.out());
    assertTrue(r.out().contains("leader"), r.out());
    assertTrue(r.out().contains("usage: scan"), r.out());
    assertTrue(r.err().contains(" ms)"), "timing printed: " + r.err());
    assertTrue(r.err().startsWith("connected to "), r.err());
  }

  @Test
  void jsonOutputIsOneObjectPerResult() throws Exception {
    Run r = pipe("put json/k v\nget json/k\nget json/missing\nscan --prefix json/\ndel json/k\n", "json");
    assertEquals(0, r.status(), r.err());
    List<JsonObject> lines = new ArrayList<>();
    for (String line : r.out().strip().split("\n")) {
      lines.add(JsonParser.parseString(line).getAsJsonObject());
    }
    assertEquals(5, lines.size());
    assertEquals("put", lines.get(0).get("op").getAsString());
    assertEquals("v", lines.get(1).get("value").getAsString());
    assertEquals(1, lines.get(1).get("version").getAsLong());
    assertEquals(false, lines.get(2).get("found").getAsBoolean());
    assertEquals(1, lines.get(3).getAsJsonArray("kvs").size());
    assertEquals(1, lines.get(4).get("deleted").getAsLong());
  }

  @Test
  void failedCommandsGiveOneLineErrorsAndNonZeroStatus() throws Exception {
    Run r = pipe("put\nget \"\"\nfrobnicate\nscan --limit x\nget ok/after-errors --consistency stale\n", "table");
    assertEquals(1, r.status());
    long errorLines = r.err().lines().filter(l -> l.startsWith("error: ")).count();
    assertEquals(4, errorLines, r.err());
    assertTrue(r.err().contains("unknown command 'frobnicate'"), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack traces: " + r.err());
    assertTrue(r.out().contains("(not found)"), "commands after an error still run");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    String endpoints = String.join(",", cluster.endpoints());
    assertEquals(0, Tern.run(new String[] {"shell", "--endpoints", endpoints, "-c", "put c/x 1; get c/x"}, o, e));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("c/x"));
    assertEquals(1, Tern.run(new String[] {"shell", "--endpoints", endpoints, "-c", "get"}, o, e));
    Path script = dir.resolve("script.tern");
    Files.writeString(script, "put s/1 one\n# a comment\nget s/1; del s/1\n");
    out.reset();
    assertEquals(0, Tern.run(new String[] {"shell", "--endpoints", endpoints, "--output", "plain", script.toString()}, o, e));
    assertEquals("OK (revision", out.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("").substring(0, 12));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("\none\ndeleted 1"), out.toString(StandardCharsets.UTF_8));
    int[] free = LocalCluster.freePorts(1);
    err.reset();
    assertEquals(1, Tern.run(new String[] {"shell", "--endpoints", "127.0.0.1:" + free[0], "--timeout", "500", "-c", "get a"}, o, e));
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("error: no leader reachable at 127.0.0.1:" + free[0] + " (is the cluster running?)"),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void importAndExportRoundTripOneHundredThousandBinaryKeys() throws Exception {
    int n = 100_000;
    Random random = new Random(42);
    Path in = dir.resolve("in.jsonl");
    Set<String> expected = new HashSet<>();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      byte[] value = new byte[1 + random.nextInt(32)];
      random.nextBytes(value);
      String key = String.format("bulk/%06d", i);
      String v64 = Base64.getEncoder().encodeToString(value);
      b.append("{\"key\":\"").append(key).append("\",\"value\":{\"base64\":\"").append(v64).append("\"}}\n");
      expected.add(key + "=" + v64);
    }
    Files.writeString(in, b);
    Path out = dir.resolve("out.jsonl");
    Run r = pipe("import " + in + "\nexport --prefix bulk/ " + out + "\n", "table");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().contains("imported 100,000 rows"), r.err());
    assertTrue(r.err().contains("exported 100,000 rows"), r.err());
    Set<String> actual = new HashSet<>();
    for (String line : Files.readAllLines(out)) {
      byte[][] kv = BulkIo.parseLine(line);
      actual.add(new String(kv[0], StandardCharsets.UTF_8) + "=" + Base64.getEncoder().encodeToString(kv[1]));
    }
    assertEquals(expected, actual);
  }

  @Test
  void importStopsAtTheFirstBadLineAndAppliesNothingAfterIt() throws Exception {
    Path in = dir.resolve("bad.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      lines.add(i == 270 ? "{\"key\": \"bad/270\"}" : "{\"key\":\"bad/" + String.format("%03d", i) + "\",\"value\":\"v\"}");
    }
    Files.write(in, lines);
    Run r = pipe("import " + in + "\n", "table");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("bad.jsonl:271: missing \"value\""), r.err());
    List<KeyValue> written = client.range(KeyRange.prefix("bad/"), 0).kvs();
    assertEquals(270, written.size(), "every line before the bad one, none after");
    assertEquals("bad/269", written.get(written.size() - 1).keyUtf8());
    assertTrue(Arrays.asList(r.err().split("\n")).stream().anyMatch(l -> l.contains("270 rows before it were imported")), r.err());
  }
}
