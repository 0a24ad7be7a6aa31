package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ternkv.client.ClusterStatus;
import io.ternkv.client.DeleteResult;
import io.ternkv.client.FollowerProgress;
import io.ternkv.client.Member;
import io.ternkv.client.ResponseHeader;
import io.ternkv.client.Role;
import io.ternkv.client.WriteResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every result in every output format, exactly as printed. */
class RenderTest {
  static final Render TABLE = new Render(Output.TABLE, false);
  static final Render PLAIN = new Render(Output.PLAIN, false);
  static final Render JSON = new Render(Output.JSON, false);
  static final Render HEX_TABLE = new Render(Output.TABLE, true);

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static final Render.Entry A = new Render.Entry(b("a"), b("one"), 3, 7, 2);
  static final Render.Entry BIN = new Render.Entry(new byte[] {(byte) 0xff, 0}, b("two words"), 12, 12, 1);

  static JsonObject parse(String line) {
    assertEquals(1, line.lines().count(), "one JSON line: " + line);
    return JsonParser.parseString(line).getAsJsonObject();
  }

  @Test
  void get() {
    assertEquals(
        "KEY  CREATE  MOD  VERSION  VALUE\n"
            + "---  ------  ---  -------  -----\n"
            + "a    3       7    2        one\n",
        TABLE.get(b("a"), Optional.of(A)));
    assertEquals("(not found)\n", TABLE.get(b("a"), Optional.empty()));
    assertEquals("one\n", PLAIN.get(b("a"), Optional.of(A)));
    assertEquals("\"two words\"\n", PLAIN.get(BIN.key(), Optional.of(BIN)));
    assertEquals("(not found)\n", PLAIN.get(b("a"), Optional.empty()));
    assertEquals(
        "{\"op\":\"get\",\"key\":\"a\",\"value\":\"one\",\"create_revision\":3,\"mod_revision\":7,\"version\":2}\n",
        JSON.get(b("a"), Optional.of(A)));
    assertEquals("{\"op\":\"get\",\"key\":{\"base64\":\"/wA=\"},\"found\":false}\n", JSON.get(BIN.key(), Optional.empty()));
    assertEquals(
        "KEY   CREATE  MOD  VERSION  VALUE\n"
            + "----  ------  ---  -------  --------\n"
            + "0x61  3       7    2        0x6f6e65\n",
        HEX_TABLE.get(b("a"), Optional.of(A)));
  }

  @Test
  void scan() {
    assertEquals(
        "KEY     CREATE  MOD  VERSION  VALUE\n"
            + "------  ------  ---  -------  -----------\n"
            + "a       3       7    2        one\n"
            + "0xff00  12      12   1        \"two words\"\n"
            + "(more keys; raise --limit or scan from after the last key)\n",
        TABLE.scan(List.of(A, BIN), true));
    assertEquals("(no keys)\n", TABLE.scan(List.of(), false));
    assertEquals("a\tone\n0xff00\t\"two words\"\n", PLAIN.scan(List.of(A, BIN), true));
    assertEquals("", PLAIN.scan(List.of(), false));
    JsonObject o = parse(JSON.scan(List.of(A, BIN), true));
    assertEquals("scan", o.get("op").getAsString());
    assertEquals(true, o.get("more").getAsBoolean());
    assertEquals(2, o.getAsJsonArray("kvs").size());
    assertEquals("/wA=", o.getAsJsonArray("kvs").get(1).getAsJsonObject().getAsJsonObject("key").get("base64").getAsString());
    assertEquals("two words", o.getAsJsonArray("kvs").get(1).getAsJsonObject().get("value").getAsString());
    assertEquals(12, o.getAsJsonArray("kvs").get(1).getAsJsonObject().get("mod_revision").getAsLong());
    assertEquals("{\"op\":\"scan\",\"kvs\":[],\"more\":false}\n", JSON.scan(List.of(), false));
  }

  static final List<Member> MEMBERS =
      List.of(new Member("n1", "127.0.0.1:7001", "127.0.0.1:8001", true), new Member("n2", "127.0.0.1:7002", "127.0.0.1:8002", false));

  @Test
  void members() {
    String table =
        "ID  CLIENT          RAFT            ROLE     \n"
            + "--  --------------  --------------  -------  ------\n"
            + "n1  127.0.0.1:7001  127.0.0.1:8001  voter    \n"
            + "n2  127.0.0.1:7002  127.0.0.1:8002  learner  leader\n";
    assertEquals(table, TABLE.members(MEMBERS, "n2"));
    assertEquals(table, PLAIN.members(MEMBERS, "n2"), "plain has no shorter form for members");
    assertEquals(
        "{\"op\":\"members\",\"members\":["
            + "{\"id\":\"n1\",\"client\":\"127.0.0.1:7001\",\"raft\":\"127.0.0.1:8001\",\"voter\":true,\"leader\":false},"
            + "{\"id\":\"n2\",\"client\":\"127.0.0.1:7002\",\"raft\":\"127.0.0.1:8002\",\"voter\":false,\"leader\":true}]}\n",
        JSON.members(MEMBERS, "n2"));
  }

  @Test
  void status() {
    List<Render.NodeStatus> nodes =
        List.of(
            new Render.NodeStatus(
                MEMBERS.get(0),
                new ClusterStatus(
                    "n1", Role.LEADER, 4, Optional.of("n1"), Optional.of("127.0.0.1:7001"), 90, 89, "g", 50, 91,
                    List.of(new FollowerProgress("n3", false, 80, 11, Duration.ofMillis(12))), 1536, Duration.ofSeconds(725), 0)),
            new Render.NodeStatus(MEMBERS.get(1), null),
            new Render.NodeStatus(
                new Member("n3", "127.0.0.1:7003", "127.0.0.1:8003", false),
                new ClusterStatus(
                    "n3", Role.LISTENER, 4, Optional.of("n1"), Optional.empty(), 90, 78, "g", 60, 80, List.of(), 300,
                    Duration.ofSeconds(42), 1)));
    String table =
        "ID  CLIENT          ROLE         TERM  LEADER  COMMIT  APPLIED  MATCH  LAG  SNAPSHOT  DATA     UPTIME\n"
            + "--  --------------  -----------  ----  ------  ------  -------  -----  ---  --------  -------  ------\n"
            + "n1  127.0.0.1:7001  leader       4     n1      90      89       -      -    50        1.5 KiB  12m05s\n"
            + "n2  127.0.0.1:7002  unreachable  -     -       -       -        -      -    -         -        -\n"
            + "n3  127.0.0.1:7003  learner      4     n1      90      78       80     11   60        300 B    42s\n";
    assertEquals(table, TABLE.status(nodes));
    assertEquals(table, PLAIN.status(nodes));
    assertEquals(
        "{\"op\":\"status\",\"nodes\":["
            + "{\"id\":\"n1\",\"client\":\"127.0.0.1:7001\",\"role\":\"leader\",\"term\":4,\"leader\":\"n1\","
            + "\"commit_index\":90,\"applied_index\":89,\"last_index\":91,\"snapshot_index\":50,\"data_bytes\":1536,"
            + "\"uptime_ms\":725000,\"snapshots_installed\":0},"
            + "{\"id\":\"n2\",\"client\":\"127.0.0.1:7002\",\"role\":\"unreachable\"},"
            + "{\"id\":\"n3\",\"client\":\"127.0.0.1:7003\",\"role\":\"learner\",\"term\":4,\"leader\":\"n1\","
            + "\"commit_index\":90,\"applied_index\":78,\"last_index\":80,\"match_index\":80,\"lag\":11,"
            + "\"snapshot_index\":60,\"data_bytes\":300,\"uptime_ms\":42000,\"snapshots_installed\":1}]}\n",
        JSON.status(nodes));
  }

  @Test
  void humanSizesAndDurations() {
    assertEquals("-", Render.bytes(-1));
    assertEquals("1023 B", Render.bytes(1023));
    assertEquals("1.0 KiB", Render.bytes(1024));
    assertEquals("3.2 MiB", Render.bytes(3_355_443));
    assertEquals("59s", Render.duration(Duration.ofSeconds(59)));
    assertEquals("1h00m", Render.duration(Duration.ofSeconds(3600)));
    assertEquals("2d04h", Render.duration(Duration.ofHours(52)));
  }

  @Test
  void membershipChanges() {
    List<Member> after = List.of(MEMBERS.get(0), new Member("n4", "127.0.0.1:7004", "127.0.0.1:8004", true));
    assertEquals("added n4 as a voter; members: n1, n4\n", TABLE.memberChange("member add", "n4", after));
    assertEquals(
        "removed n2; members: n1, n2 (learner)\n", TABLE.memberChange("member remove", "n2", MEMBERS));
    assertEquals(
        "{\"op\":\"member add\",\"id\":\"n4\",\"members\":["
            + "{\"id\":\"n1\",\"client\":\"127.0.0.1:7001\",\"raft\":\"127.0.0.1:8001\",\"voter\":true},"
            + "{\"id\":\"n4\",\"client\":\"127.0.0.1:7004\",\"raft\":\"127.0.0.1:8004\",\"voter\":true}]}\n",
        JSON.memberChange("member add", "n4", after));
    assertEquals("leader is now n3\n", TABLE.leaderTransferred("n3"));
    assertEquals("{\"op\":\"leader transfer\",\"leader\":\"n3\"}\n", JSON.leaderTransferred("n3"));
  }

  @Test
  void writesAndBulkResults() {
    WriteResult w = new WriteResult(new ResponseHeader("n1", 42, 99, 3));
    assertEquals("OK (revision 42)\n", TABLE.put(b("k"), w));
    assertEquals("OK (revision 42)\n", PLAIN.put(b("k"), w));
    assertEquals("{\"op\":\"put\",\"key\":\"k\",\"revision\":42,\"index\":99}\n", JSON.put(b("k"), w));
    DeleteResult d = new DeleteResult(1, new ResponseHeader("n1", 43, 100, 3));
    assertEquals("deleted 1\n", TABLE.del(b("k"), d));
    assertEquals("{\"op\":\"del\",\"key\":\"k\",\"deleted\":1,\"revision\":43}\n", JSON.del(b("k"), d));
    assertEquals("", TABLE.bulk("import", "f.jsonl", 5), "the summary goes to stderr");
    assertEquals("{\"op\":\"import\",\"file\":\"f.jsonl\",\"rows\":5}\n", JSON.bulk("import", "f.jsonl", 5));
  }
}
