package io.ternkv.shell.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class ServerSettingsTest {
  static final String MEMBERS =
      "n1=127.0.0.1:7001/127.0.0.1:8001,n2=127.0.0.1:7002/127.0.0.1:8002,n3=127.0.0.1:7003/127.0.0.1:8003";

  @TempDir Path dir;

  /** The three required settings as flags, plus {@code more}. */
  static Map<Setting, String> flags(Object... more) {
    Map<Setting, String> f = new EnumMap<>(Setting.class);
    f.put(Setting.ID, "n1");
    f.put(Setting.DATA_DIR, "data/n1");
    f.put(Setting.MEMBERS, MEMBERS);
    for (int i = 0; i < more.length; i += 2) {
      f.put((Setting) more[i], (String) more[i + 1]);
    }
    return f;
  }

  Path file(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  static String rejected(Executable e) {
    return assertThrows(IllegalArgumentException.class, e).getMessage();
  }

  static void assertContains(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), "'" + part + "' missing from: " + message);
    }
  }

  @Test
  void defaultsAreTheServersOwnDefaults() throws Exception {
    ServerConfig c = ServerSettings.resolve(null, Map.of(), flags()).config();
    ServerConfig plain =
        ServerConfig.builder()
            .nodeId("n1")
            .dataDir(Path.of("data/n1"))
            .members(io.ternkv.server.MemberSpec.parseList(MEMBERS))
            .build();
    assertEquals(plain.toString(), c.toString());
    assertEquals(plain.storeCommitWrites(), c.storeCommitWrites());
    assertEquals(plain.storeCommitInterval(), c.storeCommitInterval());
    assertEquals(plain.limits(), c.limits());
    assertTrue(c.metricsAddress().isEmpty());
  }

  @Test
  void flagsBeatEnvironmentBeatsFileBeatsDefault() throws Exception {
    Path conf = file("tern.properties", "snapshot-threshold = 500\nmax-key-bytes=100\nmax-value-bytes=200\n");
    Map<String, String> env = Map.of("TERN_SNAPSHOT_THRESHOLD", "600", "TERN_MAX_KEY_BYTES", "300");
    ServerSettings s =
        ServerSettings.resolve(conf, env, flags(Setting.SNAPSHOT_THRESHOLD, "700"));
    assertEquals(700, s.config().snapshotThreshold());
    assertEquals(Source.flag("--snapshot-threshold"), s.values().get(Setting.SNAPSHOT_THRESHOLD).source());
    assertEquals(300, s.config().limits().maxKeyBytes());
    assertEquals(Source.env("TERN_MAX_KEY_BYTES"), s.values().get(Setting.MAX_KEY_BYTES).source());
    assertEquals(200, s.config().limits().maxValueBytes());
    assertEquals(Source.file(conf.toString()), s.values().get(Setting.MAX_VALUE_BYTES).source());
    assertEquals(ServerConfig.DEFAULT_LOG_SEGMENT_BYTES, s.config().logSegmentBytes());
    assertEquals(Source.DEFAULT, s.values().get(Setting.LOG_SEGMENT_BYTES).source());
  }

  @Test
  void requiredSettingsMayComeFromAnyLayer() throws Exception {
    Path conf = file("n2.properties", "data-dir=/var/lib/tern/n2\n");
    ServerSettings s =
        ServerSettings.resolve(conf, Map.of("TERN_ID", "n2"), Map.of(Setting.MEMBERS, MEMBERS));
    assertEquals("n2", s.config().nodeId());
    assertEquals(Path.of("/var/lib/tern/n2"), s.config().dataDir());
    assertEquals("127.0.0.1:7002", s.config().clientAddress().toString());
  }

  @Test
  void configFileMayBeNamedByTheEnvironment() throws Exception {
    Path conf = file("t.properties", "snapshot-threshold=42\n");
    ServerSettings s = ServerSettings.resolve(null, Map.of("TERN_CONFIG", conf.toString()), flags());
    assertEquals(42, s.config().snapshotThreshold());
    Path other = file("u.properties", "snapshot-threshold=43\n");
    assertEquals(
        43,
        ServerSettings.resolve(other, Map.of("TERN_CONFIG", conf.toString()), flags()).config().snapshotThreshold(),
        "--config wins over TERN_CONFIG");
  }

  @Test
  void yamlTakesAMemberListUnitsAndKeepsNumbersAsWritten() throws Exception {
    Path conf =
        file(
            "n1.yaml",
            """
            # one node of three
            id: n1
            data-dir: /data/n1
            members:
              - n1=127.0.0.1:7001/127.0.0.1:8001
              - n2=127.0.0.1:7002/127.0.0.1:8002
              - n3=127.0.0.1:7003/127.0.0.1:8003
            snapshot-threshold: 010
            election-timeout-min: 1s
            election-timeout-max: 1500ms
            store-commit-interval: 1m
            log-segment-bytes: 64KiB
            metrics: 127.0.0.1:9100
            """);
    ServerConfig c = ServerSettings.resolve(conf, Map.of(), Map.of()).config();
    assertEquals(3, c.members().size());
    assertEquals(10, c.snapshotThreshold(), "010 is ten, not YAML 1.1 octal");
    assertEquals(Duration.ofSeconds(1), c.electionTimeoutMin());
    assertEquals(Duration.ofMillis(1500), c.electionTimeoutMax());
    assertEquals(Duration.ofMinutes(1), c.storeCommitInterval());
    assertEquals(64 * 1024, c.logSegmentBytes());
    assertEquals("127.0.0.1:9100", c.metricsAddress().orElseThrow().toString());
  }

  @Test
  void unknownKeyInTheFileIsNamedWithTheFile() throws Exception {
    Path conf = file("tern.properties", "snapshot-treshold=5\n");
    assertContains(
        rejected(() -> ServerSettings.resolve(conf, Map.of(), flags())),
        "unknown setting 'snapshot-treshold'",
        "file " + conf);
    Path yaml = file("tern.yml", "data_dir: /x\n");
    assertContains(rejected(() -> ServerSettings.resolve(yaml, Map.of(), flags())), "'data_dir'", "file " + yaml);
  }

  @Test
  void unknownTernVariableIsRejectedButLauncherVariablesAndOthersAreNot() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("TERN_SKIP_BUILD", "1");
    env.put("TERN_JAVA_OPTS", "-Xmx1g");
    env.put("HOME", "/root");
    env.put("DATA_DIR", "/elsewhere");
    assertEquals(Path.of("data/n1"), ServerSettings.resolve(null, env, flags()).config().dataDir());
    env.put("TERN_DATADIR", "/x");
    assertContains(rejected(() -> ServerSettings.resolve(null, env, flags())), "unknown setting in env TERN_DATADIR");
  }

  @Test
  void badValueNamesTheSettingTheValueAndWhereItCameFrom() throws Exception {
    Path conf = file("tern.properties", "election-timeout-min=soon\n");
    assertEquals(
        "invalid election-timeout-min 'soon' (file " + conf + "): not a duration (a whole number with ms, s or m)",
        rejected(() -> ServerSettings.resolve(conf, Map.of(), flags())));
    assertEquals(
        "invalid snapshot-threshold '0' (env TERN_SNAPSHOT_THRESHOLD): must be at least 1",
        rejected(() -> ServerSettings.resolve(null, Map.of("TERN_SNAPSHOT_THRESHOLD", "0"), flags())));
    assertEquals(
        "invalid max-value-bytes '4MiB' (flag --max-value-bytes): must be between 0 and 3145728",
        rejected(() -> ServerSettings.resolve(null, Map.of(), flags(Setting.MAX_VALUE_BYTES, "4MiB"))));
    assertContains(
        rejected(() -> ServerSettings.resolve(null, Map.of(), flags(Setting.METRICS, "9100"))),
        "invalid metrics '9100' (flag --metrics)",
        "not host:port");
    assertContains(
        rejected(() -> ServerSettings.resolve(null, Map.of("TERN_ID", "bad id"), Map.of(Setting.MEMBERS, MEMBERS, Setting.DATA_DIR, "d"))),
        "invalid id 'bad id' (env TERN_ID)");
    assertEquals(
        "invalid log-segment-bytes '' (env TERN_LOG_SEGMENT_BYTES): must not be empty",
        rejected(() -> ServerSettings.resolve(null, Map.of("TERN_LOG_SEGMENT_BYTES", " "), flags())));
  }

  @Test
  void missingRequiredSettingSaysHowToSetIt() {
    assertEquals(
        "data-dir is not set: give --data-dir, TERN_DATA_DIR or data-dir in a config file",
        rejected(() -> ServerSettings.resolve(null, Map.of(), Map.of(Setting.ID, "n1", Setting.MEMBERS, MEMBERS))));
  }

  @Test
  void settingsThatDisagreeAreNamedWithTheirSources() throws Exception {
    Path conf = file("tern.properties", "members=" + MEMBERS + "\ndata-dir=d\nelection-timeout-min=500\n");
    assertEquals(
        "id 'n9' (flag --id) is not one of members (file " + conf + "): n1, n2, n3",
        rejected(() -> ServerSettings.resolve(conf, Map.of(), Map.of(Setting.ID, "n9"))));
    assertContains(
        rejected(() -> ServerSettings.resolve(conf, Map.of("TERN_CLIENT", "0.0.0.0:9999"), Map.of(Setting.ID, "n1"))),
        "client 0.0.0.0:9999 (env TERN_CLIENT) must have the port of this node's entry in members (file " + conf + ")");
    assertEquals(
        "election-timeout-max 400ms (env TERN_ELECTION_TIMEOUT_MAX) must be more than election-timeout-min 500ms (file "
            + conf + ")",
        rejected(() -> ServerSettings.resolve(conf, Map.of("TERN_ELECTION_TIMEOUT_MAX", "400"), Map.of(Setting.ID, "n1"))));
    // Another host with the member's port is fine: listen on every interface, advertise one.
    assertEquals(
        "0.0.0.0:7001",
        ServerSettings.resolve(conf, Map.of("TERN_CLIENT", "0.0.0.0:7001"), Map.of(Setting.ID, "n1"))
            .config()
            .clientAddress()
            .toString());
  }

  @Test
  void malformedFilesAreRejectedNamingTheFile() throws Exception {
    Path broken = file("broken.yaml", "id: [n1\n");
    assertContains(rejected(() -> ServerSettings.resolve(broken, Map.of(), flags())), "config file " + broken, "not valid YAML");
    Path twice = file("twice.yaml", "id: n1\nid: n2\n");
    assertContains(rejected(() -> ServerSettings.resolve(twice, Map.of(), flags())), "config file " + twice);
    Path twiceProps = file("twice.properties", "id=n1\nid=n2\n");
    assertContains(
        rejected(() -> ServerSettings.resolve(twiceProps, Map.of(), flags())),
        "config file " + twiceProps + " sets 'id' twice");
    Path nested = file("nested.yaml", "raft:\n  host: 127.0.0.1\n");
    assertContains(rejected(() -> ServerSettings.resolve(nested, Map.of(), flags())), "'raft' must be a value, not a mapping");
    Path list = file("list.yaml", "- id\n");
    assertContains(rejected(() -> ServerSettings.resolve(list, Map.of(), flags())), "must be a mapping");
    assertEquals(
        "config file " + dir.resolve("missing.yaml") + " (flag --config) does not exist",
        rejected(() -> ServerSettings.resolve(dir.resolve("missing.yaml"), Map.of(), flags())));
    assertEquals(
        "config file " + dir.resolve("gone.yaml") + " (env TERN_CONFIG) does not exist",
        rejected(() -> ServerSettings.resolve(null, Map.of("TERN_CONFIG", dir.resolve("gone.yaml").toString()), flags())));
  }

  @Test
  void effectiveConfigurationIsOneLinePerSettingWithItsSource() throws Exception {
    Path conf = file("tern.properties", "snapshot-threshold=500\n");
    List<String> lines =
        ServerSettings.resolve(conf, Map.of("TERN_MAX_KEY_BYTES", "100"), flags(Setting.ELECTION_TIMEOUT_MIN, "250ms"))
            .describe();
    assertEquals(1 + Setting.values().length, lines.size(), String.join("\n", lines));
    assertContains(lines.get(0), "flags > env > file > defaults", "file " + conf);
    assertTrue(lines.contains("  id                     n1  (flag --id)"), String.join("\n", lines));
    assertTrue(lines.contains("  snapshot-threshold     500  (file " + conf + ")"), String.join("\n", lines));
    assertTrue(lines.contains("  max-key-bytes          100  (env TERN_MAX_KEY_BYTES)"), String.join("\n", lines));
    assertTrue(lines.contains("  election-timeout-min   250ms  (flag --election-timeout-min)"), String.join("\n", lines));
    assertTrue(lines.contains("  election-timeout-max   600ms  (default)"), String.join("\n", lines));
    assertTrue(
        lines.contains("  client                 127.0.0.1:7001  (default: this node's entry in members)"),
        String.join("\n", lines));
    assertTrue(lines.contains("  metrics                off  (default)"), String.join("\n", lines));
  }

  @Test
  void docsListEverySettingWithItsEnvironmentVariableAndDefault() throws Exception {
    Path docs = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/configuration.md");
    String text = Files.readString(docs);
    for (Setting s : Setting.values()) {
      String row = text.lines().filter(l -> l.startsWith("| `" + s.key() + "`")).findFirst().orElse(null);
      assertTrue(row != null, "docs/configuration.md has no table row for " + s.key());
      assertContains(row, "`" + s.env() + "`", s.whenUnset());
    }
  }
}
