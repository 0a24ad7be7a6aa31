package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jline.reader.Candidate;
import org.jline.reader.Parser;
import org.jline.reader.impl.DefaultParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shell driven by piped stdin, -c and the launcher against a real 3-node LocalCluster. */
class ShellIT {
  static LocalCluster cluster;
  static TernClient client;
  static String endpoints;
  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    client = TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(30)).build();
    endpoints = String.join(",", cluster.endpoints());
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  record Run(int status, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }

    List<String> errLines() {
      return err.lines().toList();
    }
  }

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

  /** The launcher in this JVM: picocli, the commands, and a stdin that is not a terminal. */
  static Run tern(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Tern.run(
            args,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            () -> false,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static String leaderId() {
    return cluster.config(cluster.awaitLeader(Duration.ofSeconds(20))).nodeId();
  }

  /** Every line matches its pattern, in order, and there are no other lines. */
  static List<Matcher> assertLines(List<String> lines, List<String> patterns) {
    List<Matcher> matched = new ArrayList<>();
    String all = String.join("\n", lines);
    for (int i = 0; i < Math.max(lines.size(), patterns.size()); i++) {
      assertTrue(i < lines.size(), "missing line " + (i + 1) + " /" + (i < patterns.size() ? patterns.get(i) : "") + "/ in:\n" + all);
      assertTrue(i < patterns.size(), "unexpected line " + (i + 1) + " '" + lines.get(i) + "' in:\n" + all);
      Matcher m = Pattern.compile(patterns.get(i)).matcher(lines.get(i));
      assertTrue(m.matches(), "line " + (i + 1) + " '" + lines.get(i) + "' does not match /" + patterns.get(i) + "/ in:\n" + all);
      matched.add(m);
    }
    return matched;
  }

  static final String KV_HEADER = "KEY +CREATE +MOD +VERSION +VALUE";
  static final String DASHES = "[- ]+";

  static String kvRow(String key, int version, String value) {
    return Pattern.quote(key) + " +\\d+ +\\d+ +" + version + " +" + Pattern.quote(value);
  }

  @Test
  void everyCommandThroughPipedStdinPrintsItsOwnResult() throws Exception {
    Run r =
        pipe(
            String.join(
                "\n",
                "# comments and blank lines are skipped",
                "",
                "put cmd/a alpha",
                "put cmd/b \"bravo two\"",
                "put cmd/bin 0x00ff",
                "put cmd/stale stale-value",
                "put cmd/lease lease-value",
                "put cmd/tricky \"0xab\"",
                "get cmd/a",
                "get cmd/stale --consistency stale",
                "get cmd/bin",
                "get cmd/tricky",
                "scan --prefix cmd/ --limit 2",
                "scan cmd/b cmd/bin",
                "del cmd/a",
                "get cmd/a",
                "set consistency lease",
                "get cmd/lease",
                "timing on",
                "status",
                "members",
                "timing off",
                "help scan"),
            "table");
    assertEquals(0, r.status(), r.err());
    String addr = "127\\.0\\.0\\.1:\\d+";
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      expected.add("OK \\(revision \\d+\\)");
    }
    expected.addAll(List.of(KV_HEADER, DASHES, kvRow("cmd/a", 1, "alpha")));
    expected.addAll(List.of(KV_HEADER, DASHES, kvRow("cmd/stale", 1, "stale-value")));
    expected.addAll(List.of(KV_HEADER, DASHES, kvRow("cmd/bin", 1, "0x00ff")));
    expected.addAll(List.of(KV_HEADER, DASHES, kvRow("cmd/tricky", 1, "\"0xab\"")));
    expected.addAll(
        List.of(KV_HEADER, DASHES, kvRow("cmd/a", 1, "alpha"), kvRow("cmd/b", 1, "\"bravo two\""),
            "\\(more keys; raise --limit or scan from after the last key\\)"));
    expected.addAll(List.of(KV_HEADER, DASHES, kvRow("cmd/b", 1, "\"bravo two\"")));
    expected.addAll(List.of("deleted 1", "\\(not found\\)"));
    expected.addAll(List.of(KV_HEADER, DASHES, kvRow("cmd/lease", 1, "lease-value")));
    expected.addAll(List.of("ID +CLIENT +ROLE +TERM +LEADER +COMMIT +APPLIED +MATCH +LAG +SNAPSHOT +DATA +UPTIME", DASHES));
    for (int i = 0; i < 3; i++) {
      expected.add(
          "(n\\d) +" + addr + " +([a-z]+) +\\d+ +(n\\d) +\\d+ +\\d+ +(-|\\d+) +(-|\\d+) +-?\\d+ +[0-9.]+ [KMG]?i?B +\\d+[smhd]\\S*");
    }
    expected.addAll(List.of("ID +CLIENT +RAFT +ROLE *", DASHES));
    for (int i = 0; i < 3; i++) {
      expected.add("(n\\d) +" + addr + " +" + addr + " +voter *(leader)?");
    }
    expected.addAll(List.of(Pattern.quote("usage: " + ShellHelp.COMMANDS.get("scan")[0]), Pattern.quote(ShellHelp.COMMANDS.get("scan")[1])));
    List<Matcher> m = assertLines(r.outLines(), expected);

    String leader = leaderId();
    int status = 6 + 4 * 3 + 5 + 3 + 2 + 3 + 2;
    Set<String> ids = new TreeSet<>();
    for (int i = status; i < status + 3; i++) {
      ids.add(m.get(i).group(1));
      assertEquals(m.get(i).group(1).equals(leader) ? "leader" : "follower", m.get(i).group(2), r.out());
      assertEquals(leader, m.get(i).group(3), "every node names the leader: " + r.out());
    }
    assertEquals(Set.of("n1", "n2", "n3"), ids);
    int members = status + 5;
    for (int i = members; i < members + 3; i++) {
      assertEquals(m.get(i).group(1).equals(leader) ? "leader" : null, m.get(i).group(2), r.out());
    }
    // stderr: who it reached, then a time for "timing on", status and members; nothing else.
    assertLines(r.errLines(), List.of("connected to " + addr + "; leader n\\d; members n1,n2,n3", "\\(\\d+\\.\\d{3} ms\\)", "\\(\\d+\\.\\d{3} ms\\)", "\\(\\d+\\.\\d{3} ms\\)"));
  }

  static List<JsonObject> jsonLines(String out) {
    List<JsonObject> lines = new ArrayList<>();
    for (String line : out.strip().split("\n")) {
      lines.add(JsonParser.parseString(line).getAsJsonObject());
    }
    return lines;
  }

  @Test
  void jsonOutputIsOneObjectPerResultAndNothingElse() throws Exception {
    Path export = dir.resolve("j.jsonl");
    Run r =
        pipe(
            String.join(
                "\n",
                "put j/a 1",
                "put j/bin 0xff00",
                "get j/a",
                "get j/bin --consistency stale",
                "get j/missing",
                "scan --prefix j/",
                "scan --prefix j/ --limit 1",
                "set consistency session",
                "timing on",
                "del j/a",
                "timing off",
                "del j/a",
                "members",
                "status",
                "export --prefix j/ " + export,
                "import " + export),
            "json");
    assertEquals(0, r.status(), r.err());
    List<JsonObject> lines = jsonLines(r.out());
    assertEquals(
        List.of("put", "put", "get", "get", "get", "scan", "scan", "del", "del", "members", "status", "export", "import"),
        lines.stream().map(o -> o.get("op").getAsString()).toList());
    assertEquals("j/a", lines.get(0).get("key").getAsString());
    assertTrue(lines.get(1).get("revision").getAsLong() > lines.get(0).get("revision").getAsLong());
    assertEquals("1", lines.get(2).get("value").getAsString());
    assertEquals(1, lines.get(2).get("version").getAsLong());
    assertEquals("/wA=", lines.get(3).getAsJsonObject("value").get("base64").getAsString());
    assertEquals(false, lines.get(4).get("found").getAsBoolean());
    assertEquals(2, lines.get(5).getAsJsonArray("kvs").size());
    assertEquals(false, lines.get(5).get("more").getAsBoolean());
    assertEquals(1, lines.get(6).getAsJsonArray("kvs").size());
    assertEquals(true, lines.get(6).get("more").getAsBoolean());
    assertEquals(1, lines.get(7).get("deleted").getAsLong());
    assertEquals(0, lines.get(8).get("deleted").getAsLong());
    String leader = leaderId();
    JsonArray members = lines.get(9).getAsJsonArray("members");
    assertEquals(3, members.size());
    for (JsonElement e : members) {
      JsonObject o = e.getAsJsonObject();
      assertEquals(o.get("id").getAsString().equals(leader), o.get("leader").getAsBoolean(), o.toString());
    }
    JsonArray nodes = lines.get(10).getAsJsonArray("nodes");
    assertEquals(3, nodes.size());
    for (JsonElement e : nodes) {
      assertEquals(leader, e.getAsJsonObject().get("leader").getAsString());
    }
    assertEquals(1, lines.get(11).get("rows").getAsLong(), "j/bin only: j/a was deleted");
    assertEquals(export.toString(), lines.get(11).get("file").getAsString());
    assertEquals(1, lines.get(12).get("rows").getAsLong());
    // Times go to stderr: for "timing on" itself and the del after it.
    assertEquals(2, r.errLines().stream().filter(l -> l.matches("\\(\\d+\\.\\d{3} ms\\)")).count(), r.err());

    Run help = pipe("help\nhelp get\n", "json");
    assertTrue(help.out().startsWith("commands:\n"), "help stays text for people: " + help.out());
    assertTrue(help.out().contains("usage: get KEY"), help.out());
  }

  @Test
  void settingsChangeTheOutputOfLaterCommands() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Shell shell =
        new Shell(client, ShellCommand.settings("table", "linearizable", false, false), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), false);
    assertTrue(shell.runLine("put set/k v1; set output json; get set/k; set output plain; get set/k; del set/k; set consistency lease"));
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(4, lines.size(), out.toString(StandardCharsets.UTF_8));
    assertTrue(lines.get(0).matches("OK \\(revision \\d+\\)"), lines.get(0));
    assertEquals("v1", JsonParser.parseString(lines.get(1)).getAsJsonObject().get("value").getAsString());
    assertEquals("v1", lines.get(2));
    assertEquals("deleted 1", lines.get(3));
    assertEquals(Output.PLAIN, shell.settings.output);
    assertEquals(ReadConsistency.LEASE, shell.settings.consistency);
    assertEquals("", err.toString(StandardCharsets.UTF_8));

    assertFalse(shell.runLine("set output xml"));
    assertFalse(shell.runLine("set consistency strong"));
    assertFalse(shell.runLine("timing maybe"));
    assertFalse(shell.runLine("set colour red"));
    assertEquals(Output.PLAIN, shell.settings.output, "a bad setting changes nothing");
    assertEquals(ReadConsistency.LEASE, shell.settings.consistency);
    assertLines(
        err.toString(StandardCharsets.UTF_8).lines().toList(),
        List.of("error: output must be table, plain or json, not 'xml'", "error: unknown consistency 'strong'; use one of .*",
            "error: timing takes on or off, not 'maybe'", "error: set takes consistency or output, not 'colour'"));
  }

  @Test
  void txnComparesThenRunsOneBranchAtomically() throws Exception {
    Run r =
        pipe(
            "put tx/counter 7\n"
                + "txn if value tx/counter = 7 and absent tx/lock then put tx/counter 8 put tx/lock me get tx/counter else get tx/counter\n"
                + "txn if value tx/counter = 7 then put tx/counter 9 else get tx/counter , del tx/lock\n"
                + "txn then del --prefix tx/\n"
                + "get tx/counter\n",
            "plain");
    assertEquals(0, r.status(), r.err());
    assertLines(
        r.outLines(),
        List.of(
            "OK \\(revision \\d+\\)",
            "succeeded \\(revision \\d+\\)",
            "put tx/counter: OK",
            "put tx/lock: OK",
            "get tx/counter: 8",
            "compare failed, ran else \\(revision \\d+\\)",
            "get tx/counter: 8",
            "del tx/lock: deleted 1",
            "succeeded \\(revision \\d+\\)",
            "del --prefix tx/: deleted 1",
            "\\(not found\\)"));

    Run json = pipe("txn if absent tx/j then put tx/j 1 get tx/j\n", "json");
    JsonObject o = JsonParser.parseString(json.out().strip()).getAsJsonObject();
    assertTrue(o.get("succeeded").getAsBoolean(), json.out());
    assertEquals("1", o.getAsJsonArray("results").get(1).getAsJsonObject().get("value").getAsString());

    Run bad = pipe("txn if mod tx/j == x then put tx/j 2\ntxn if version tx/j = 1 put tx/j 2\n", "plain");
    assertEquals(1, bad.status());
    assertLines(
        bad.errLines().stream().filter(l -> !l.startsWith("connected to ")).toList(),
        List.of("error: txn: 'x' is not a number", "error: txn: expected 'then' or 'and' at 'put'; usage: txn .*"));
  }

  @Test
  void historyCommandsReadThePastDeleteRangesShowPreviousValuesAndCompact() throws Exception {
    long r1 = client.put("hist/a", "one").revision();
    long r2 = client.put("hist/a", "two").revision();
    client.put("hist/b", "x");
    client.put("hist/c", "y");
    Run r =
        pipe(
            "get hist/a --rev " + r1 + "\n"
                + "scan --prefix hist/ --rev " + r2 + "\n"
                + "put hist/a three --prev\n"
                + "del hist/b hist/c --prev\n"
                + "del --prefix hist/ --prev\n"
                + "compact " + r2 + "\n"
                + "get hist/a --rev " + r1 + "\n",
            "plain");
    assertEquals(1, r.status(), "the last read is refused");
    assertLines(
        r.outLines(),
        List.of(
            "one",
            "hist/a\ttwo",
            "OK \\(revision \\d+\\)",
            "previous: two \\(revision " + r2 + "\\)",
            "deleted 1",
            "hist/b\tx",
            "deleted 2",
            "hist/a\tthree",
            "hist/c\ty",
            "compacted: revisions before " + r2 + " can no longer be read"));
    assertLines(
        r.errLines().stream().filter(l -> !l.startsWith("connected to ")).toList(),
        List.of("error: .*revision " + r1 + " has been compacted; the oldest readable revision is " + r2 + ".*"));
  }

  @Test
  void watchPrintsChangesFromARevisionAndStopsAfterCount() throws Exception {
    long r1 = client.put("wt/a", "1").revision();
    client.delete("wt/a");
    client.put("other", "x");
    client.put("wt/b", "2");
    Run r = pipe("watch wt/ --prefix --rev " + r1 + " --count 3\n", "table");
    assertEquals(0, r.status(), r.err());
    assertLines(
        r.outLines(),
        List.of(r1 + " PUT wt/a 1", (r1 + 1) + " DELETE wt/a", (r1 + 3) + " PUT wt/b 2"));
    Run plain = pipe("watch wt/a --rev " + r1 + " --count 2 --prev\n", "plain");
    assertLines(plain.outLines(), List.of("PUT wt/a 1", "DELETE wt/a\t1"));
    Run bad = pipe("watch wt/a --rev 0\nwatch\n", "plain");
    assertEquals(1, bad.status());
    assertLines(
        bad.errLines().stream().filter(l -> !l.startsWith("connected to ")).toList(),
        List.of(
            "error: watch: --rev must be a positive revision, not '0'",
            "error: watch: wrong number of arguments",
            Pattern.quote("usage: " + WatchCommand.USAGE)));
  }

  @Test
  void backupThenRestoreThroughTheLauncher() throws Exception {
    client.put("bk/a", "1");
    Path file = dir.resolve("cluster.tbk");
    Run r = pipe("backup " + file + "\n", "plain");
    assertEquals(0, r.status(), r.err());
    assertLines(
        r.outLines(),
        List.of(
            "backup of revision \\d+ \\([\\d,]+ keys, [\\d,]+ bytes\\) from n\\d written to " + Pattern.quote(file.toString()),
            "sha256 [0-9a-f]{64}"));
    String members = "n1=127.0.0.1:7001/127.0.0.1:8001";
    Path target = dir.resolve("restored-n1");
    Run restored = tern("", "restore", file.toString(), "--data-dir", target.toString(), "--id", "n1", "--members", members);
    assertEquals(0, restored.status(), restored.err());
    assertLines(
        restored.outLines(),
        List.of(
            "restored revision \\d+ \\([\\d,]+ keys\\) into " + Pattern.quote(target.toString()),
            Pattern.quote("start it with: tern server --id n1 --data-dir " + target + " --members " + members)));

    Run again = tern("", "restore", file.toString(), "--data-dir", target.toString(), "--id", "n1", "--members", members);
    assertEquals(1, again.status());
    assertLines(
        again.errLines().stream().filter(l -> !l.startsWith("restoring ")).toList(),
        List.of("error: data directory " + Pattern.quote(target.toString()) + " is not empty; restore only into a new directory"));

    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 1;
    Path corrupt = dir.resolve("corrupt.tbk");
    Files.write(corrupt, bytes);
    Path other = dir.resolve("other-n1");
    Run bad = tern("", "restore", corrupt.toString(), "--data-dir", other.toString(), "--id", "n1", "--members", members);
    assertEquals(1, bad.status());
    assertLines(
        bad.errLines().stream().filter(l -> !l.startsWith("restoring ")).toList(),
        List.of("error: backup " + Pattern.quote(corrupt.toString()) + " is unusable: .*"));
    assertFalse(Files.exists(other), "nothing left behind");

    Run usage = tern("", "restore", file.toString(), "--id", "n1", "--members", members);
    assertEquals(2, usage.status());
    assertTrue(usage.err().startsWith("error: Missing required option: '--data-dir=DIR'"), usage.err());
  }

  @Test
  void aTransactionOverSeveralLines() throws Exception {
    Run r =
        pipe(
            "put ml/counter 1\n"
                + "txn\n"
                + "  if value ml/counter = 1\n"
                + "  then put ml/counter 2\n"
                + "       put ml/done yes\n"
                + "  else get ml/counter\n"
                + "end\n"
                + "get ml/done\n"
                + "txn\n"
                + "then put ml/never 1\n",
            "plain");
    assertEquals(1, r.status(), "the unclosed block at the end fails");
    assertLines(
        r.outLines(),
        List.of("OK \\(revision \\d+\\)", "succeeded \\(revision \\d+\\)", "put ml/counter: OK", "put ml/done: OK", "yes"));
    assertLines(
        r.errLines().stream().filter(l -> !l.startsWith("connected to ")).toList(),
        List.of("error: txn: the input ended before the line with just 'end'; nothing was run"));
    assertTrue(client.get("ml/never").isEmpty());
  }

  @Test
  void leaseCommandsGrantAttachRenewInspectAndRevoke() throws Exception {
    Run granted = pipe("lease grant 60s\n", "plain");
    assertEquals(0, granted.status(), granted.err());
    long id = Long.parseLong(granted.out().strip());
    Run r =
        pipe(
            "put l/a 1 --lease " + id + "\n"
                + "lease ttl " + id + "\n"
                + "lease list\n"
                + "lease keepalive " + id + " --count 2\n"
                + "lease revoke " + id + "\n"
                + "get l/a\n"
                + "lease ttl " + id + "\n",
            "table");
    assertEquals(0, r.status(), r.err());
    assertLines(
        r.outLines(),
        List.of(
            "OK \\(revision \\d+\\)",
            "lease " + id + ": \\d+ ms left of 60000 ms; 1 keys",
            "  l/a",
            String.valueOf(id),
            "lease " + id + " kept alive \\(TTL 60000 ms\\)",
            "lease " + id + " kept alive \\(TTL 60000 ms\\)",
            "lease " + id + " revoked; deleted 1",
            "\\(not found\\)",
            "lease " + id + " not found \\(expired or revoked\\)"));

    Run bad = pipe("put l/b 1 --lease " + id + "\nlease grant soon\nlease keepalive " + id + " --count 1\n", "plain");
    assertEquals(1, bad.status());
    List<String> errors = bad.errLines().stream().filter(l -> l.startsWith("error:")).toList();
    assertEquals(3, errors.size(), bad.err());
    assertTrue(errors.get(0).contains("lease " + id + " not found"), errors.get(0));
    assertEquals("error: lease: 'soon' is not a TTL (e.g. 500ms, 10s, 5m, 1h)", errors.get(1));
    assertTrue(errors.get(2).contains("lease " + id + " not found"), errors.get(2));
  }

  @Test
  void scanFromWithoutTo() throws Exception {
    Run r = pipe("put ~from/a a\nput ~from/b b\nput ~from/c c\nscan ~from/b --limit 2\nscan ~from/c ~from/d\n", "plain");
    assertEquals(0, r.status(), r.err());
    assertEquals(List.of("~from/b\tb", "~from/c\tc", "~from/c\tc"), r.outLines().subList(3, r.outLines().size()));
  }

  @Test
  void hexModeShowsEveryKeyAndValueAsHex() {
    Run r = tern("", "shell", "--endpoints", endpoints, "--hex", "--output", "plain", "-c", "put hx/k 0x00ff; put hx/t text; get hx/k; get hx/t; scan --prefix hx/");
    assertEquals(0, r.status(), r.err());
    assertEquals(List.of("0x00ff", "0x74657874", "0x68782f6b\t0x00ff", "0x68782f74\t0x74657874"), r.outLines().subList(2, 6));
  }

  @Test
  void membershipCommandsRefuseMalformedAndUnsafeRequests() throws Exception {
    String leader = leaderId();
    Run r =
        pipe(
            String.join(
                "\n",
                "member",
                "member add n4 127.0.0.1:1",
                "member add n4 127.0.0.1:1/127.0.0.1:2 --timeout soon",
                "member add n/4 127.0.0.1:1/127.0.0.1:2",
                "member add n1 127.0.0.1:1/127.0.0.1:2",
                "member remove n9",
                "leader move n2",
                "leader transfer n9",
                "leader transfer " + leader),
            "table");
    assertEquals(1, r.status());
    String usage = Pattern.quote(MemberCommands.MEMBER_USAGE);
    assertLines(
        r.errLines(),
        List.of(
            "connected to .*",
            "error: member: name a subcommand; usage: " + usage,
            "error: member: '127.0.0.1:1' is not CLIENT_HOST:PORT/RAFT_HOST:PORT; usage: " + usage,
            Pattern.quote("error: member: --timeout 'soon' is not a duration (e.g. 30s, 5m)"),
            "error: node id 'n/4' must be 1-64 letters, digits, '-' or '_'",
            "error: .*FAILED_PRECONDITION n1 is already a voter: .*",
            "error: .*FAILED_PRECONDITION n9 is not a member; members: n1, n2, n3",
            "error: leader: usage: leader transfer ID",
            "error: .*FAILED_PRECONDITION n9 is not a member; members: n1, n2, n3"));
    assertEquals("leader is now " + leader + "\n", r.out(), "a transfer to the leader itself changes nothing");
  }

  @Test
  void failedCommandsGiveOneLineErrorsAndNonZeroStatus() throws Exception {
    Run r = pipe("put\nget \"\"\nfrobnicate\nscan --limit x\nimport /no/such/file.jsonl\nget ok/after-errors --consistency stale\n", "table");
    assertEquals(1, r.status());
    assertLines(
        r.errLines(),
        List.of("connected to .*", "error: put: wrong number of arguments", "usage: put KEY VALUE \\[--lease ID\\] \\[--prev\\]", "error: .*key.*", "error: unknown command 'frobnicate'; try help",
            "error: --limit must be a positive number, not 'x'", "error: no such file: /no/such/file.jsonl"));
    assertEquals("(not found)\n", r.out(), "commands after an error still run");

    assertEquals(0, tern("", "shell", "--endpoints", endpoints, "-c", "put c/x 1; get c/x").status());
    assertEquals(1, tern("", "shell", "--endpoints", endpoints, "-c", "get").status());
    Path script = dir.resolve("script.tern");
    Files.writeString(script, "put s/1 one\n# a comment\nget s/1; del s/1\n");
    Run s = tern("", "shell", "--endpoints", endpoints, "--output", "plain", script.toString());
    assertEquals(0, s.status(), s.err());
    assertLines(s.outLines(), List.of("OK \\(revision \\d+\\)", "one", "deleted 1"));

    Run missing = tern("", "shell", "--endpoints", endpoints, dir.resolve("nope.tern").toString());
    assertEquals(1, missing.status());
    assertEquals("error: no such file: " + dir.resolve("nope.tern") + "\n", missing.err());

    int[] free = LocalCluster.freePorts(1);
    Run down = tern("", "shell", "--endpoints", "127.0.0.1:" + free[0], "--timeout", "500", "-c", "get a");
    assertEquals(1, down.status());
    assertEquals("error: no leader reachable at 127.0.0.1:" + free[0] + " (is the cluster running?)\n", down.err());
  }

  @Test
  void pipedStdinThroughTheLauncher() {
    Run r = tern("put launch/a 1\nget launch/a\nget launch/none\n", "shell", "--endpoints", endpoints, "--output", "json");
    assertEquals(0, r.status(), r.err());
    List<JsonObject> lines = jsonLines(r.out());
    assertEquals(3, lines.size(), r.out());
    assertEquals("1", lines.get(1).get("value").getAsString());
    assertEquals(false, lines.get(2).get("found").getAsBoolean());
    assertTrue(r.err().startsWith("connected to "), r.err());
    assertFalse(r.out().contains("tern 127.0.0.1"), "no prompt on piped input");
  }

  @Test
  void demoTakesPipedCommandsAndKeepsItsData() throws Exception {
    Path data = dir.resolve("demo");
    Run first = tern("put a 1\nget a\nmembers\n", "demo", "--nodes", "1", "--data-dir", data.toString());
    assertEquals(0, first.status(), first.err());
    List<String> out = first.outLines();
    assertEquals("starting a 1-node TernKV cluster in " + data + " ...", out.get(0));
    assertTrue(out.get(1).matches("endpoints: 127\\.0\\.0\\.1:\\d+"), out.get(1));
    assertTrue(out.get(2).matches("leader: n1 at 127\\.0\\.0\\.1:\\d+"), out.get(2));
    assertLines(
        out.subList(5, out.size()),
        List.of("OK \\(revision 1\\)", KV_HEADER, DASHES, kvRow("a", 1, "1"), "ID +CLIENT +RAFT +ROLE *", DASHES,
            "n1 +127\\.0\\.0\\.1:\\d+ +127\\.0\\.0\\.1:\\d+ +voter +leader", "stopping the cluster \\.\\.\\.", Pattern.quote("stopped; data kept in " + data)));

    Run again = tern("get a\n", "demo", "--nodes", "1", "--data-dir", data.toString());
    assertEquals(0, again.status(), again.err());
    assertTrue(again.outLines().stream().anyMatch(l -> l.matches(kvRow("a", 1, "1"))), "data kept: " + again.out());

    Run wrongSize = tern("", "demo", "--nodes", "3", "--data-dir", data.toString());
    assertEquals(1, wrongSize.status());
    assertEquals("error: " + data + " holds a 1-node cluster, not 3 nodes; use another data directory\n", wrongSize.err());

    for (String n : List.of("0", "10")) {
      Run bad = tern("", "demo", "--nodes", n, "--data-dir", dir.resolve("never").toString());
      assertEquals(2, bad.status());
      assertEquals("error: --nodes must be between 1 and 9, was " + n + "\n", bad.err());
    }
    assertFalse(Files.exists(dir.resolve("never")), "a bad --nodes creates nothing");
  }

  @Test
  void tabCompletesKeysThatReadBackAsTyped() throws Exception {
    client.put("cmp/apple", "1");
    client.put("cmp/apricot", "1");
    client.put("cmp/two words", "1");
    client.put("cmp/0xab", "1");
    client.put(new byte[] {'c', 'm', 'p', '/', (byte) 0xff}, new byte[] {1});
    Shell shell = new Shell(client, new Shell.Settings(), System.out, System.err, false);
    assertEquals(Set.of("cmp/apple", "cmp/apricot"), complete(shell, "get cmp/ap"));
    assertEquals(Set.of("cmp/0xab", "cmp/apple", "cmp/apricot"), complete(shell, "del cmp/"));
  }

  static Set<String> complete(Shell shell, String line) {
    List<Candidate> candidates = new ArrayList<>();
    new ShellCompleter(shell).complete(null, new DefaultParser().parse(line, line.length(), Parser.ParseContext.COMPLETE), candidates);
    Set<String> values = new TreeSet<>();
    candidates.forEach(c -> values.add(c.value()));
    return values;
  }

  @Test
  void interruptingAWaitingCommandPrintsOneCancelledLine() throws Exception {
    int[] nobody = LocalCluster.freePorts(1);
    try (TernClient unreachable = TernClient.builder().endpoints("127.0.0.1:" + nobody[0]).requestTimeout(Duration.ofSeconds(30)).build()) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Shell shell =
          new Shell(unreachable, ShellCommand.settings("table", "linearizable", false, false), new PrintStream(new ByteArrayOutputStream()),
              new PrintStream(err, true, StandardCharsets.UTF_8), false);
      AtomicBoolean ok = new AtomicBoolean(true);
      Thread t = new Thread(() -> ok.set(shell.runLine("get k; put after 1")));
      t.start();
      Thread.sleep(300);
      t.interrupt();
      t.join(TimeUnit.SECONDS.toMillis(10));
      assertFalse(t.isAlive(), "stopped long before the 30 s request timeout");
      assertFalse(ok.get());
      assertEquals("cancelled\n", err.toString(StandardCharsets.UTF_8), "one line, and the rest of the line skipped");
    }
  }

  @Test
  void importAndExportRoundTripOneHundredThousandRowsWithBinaryAndRepeatedKeys() throws Exception {
    int n = 100_000;
    Random random = new Random(42);
    Map<String, String> expected = new HashMap<>(); // base64 key -> base64 value, the last line's
    List<byte[]> keys = new ArrayList<>();
    StringBuilder b = new StringBuilder();
    Base64.Encoder b64 = Base64.getEncoder();
    for (int i = 0; i < n; i++) {
      byte[] key;
      if (i % 10 == 9) {
        key = keys.get(Math.max(0, i - 1 - random.nextInt(300))); // a key again, within a batch's reach
      } else {
        byte[] text = String.format("bulk/%06d", i).getBytes(StandardCharsets.UTF_8);
        key = i % 7 == 0 ? Arrays.copyOf(text, text.length + 2) : text;
        if (i % 7 == 0) {
          key[text.length] = (byte) 0xff; // not UTF-8
          key[text.length + 1] = (byte) 0xfe;
        }
      }
      keys.add(key);
      byte[] value = new byte[1 + random.nextInt(32)];
      random.nextBytes(value);
      String keyJson = i % 7 == 0 || i % 10 == 9 ? "{\"base64\":\"" + b64.encodeToString(key) + "\"}" : "\"" + new String(key, StandardCharsets.UTF_8) + "\"";
      b.append("{\"key\":").append(keyJson).append(",\"value\":{\"base64\":\"").append(b64.encodeToString(value)).append("\"}}\n");
      expected.put(b64.encodeToString(key), b64.encodeToString(value));
    }
    Path in = dir.resolve("in.jsonl");
    Files.writeString(in, b);
    Path out = dir.resolve("out.jsonl");
    Run r = pipe("import " + in + "\nexport --prefix bulk/ " + out + "\n", "table");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().contains("imported 100,000 rows"), r.err());
    assertTrue(r.err().contains("exported " + String.format("%,d", expected.size()) + " rows"), r.err());
    assertEquals(90_000, expected.size());
    Map<String, String> actual = new HashMap<>();
    for (String line : Files.readAllLines(out)) {
      byte[][] kv = BulkIo.parseLine(line);
      actual.put(b64.encodeToString(kv[0]), b64.encodeToString(kv[1]));
    }
    assertEquals(expected, actual);
    assertFalse(Files.exists(dir.resolve("out.jsonl.partial")));
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
    assertEquals(in + ":271: missing \"value\" (270 rows before it were imported, none after)", r.errLines().get(1).substring("error: ".length()));
    List<KeyValue> written = client.range(KeyRange.prefix("bad/"), 0).kvs();
    assertEquals(270, written.size(), "every line before the bad one, none after");
    assertEquals("bad/269", written.get(written.size() - 1).keyUtf8());
  }
}
