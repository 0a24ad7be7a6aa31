package io.ternkv.shell.config;

import io.ternkv.server.MemberSpec;
import io.ternkv.server.ServerConfig;
import io.ternkv.server.apply.RequestLimits;
import io.ternkv.server.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The effective configuration of {@code tern server}: each {@link Setting} from the highest layer
 * that sets it, flags over environment over config file over defaults, validated, with where each
 * value came from.
 *
 * <p>Errors name the setting and its source: an unknown key in the file, an unknown {@code TERN_}
 * variable (only {@link #LAUNCHER_ENV} are not settings), a value that does not parse, a required
 * setting set nowhere, or settings that disagree with each other (this node missing from {@code
 * members}, an address whose port differs from this node's entry, election timeouts out of order).
 *
 * <p>Threading: immutable once resolved.
 */
public final class ServerSettings {
  /** Names the config file when {@code --config} is not given. */
  public static final String CONFIG_ENV = "TERN_CONFIG";

  /**
   * {@code TERN_} variables that are not settings: the config file's location, and those the
   * {@code tern} script reads itself ({@code TERN_JAVA_OPTS}, {@code TERN_SKIP_BUILD}).
   */
  public static final Set<String> LAUNCHER_ENV = Set.of(CONFIG_ENV, "TERN_JAVA_OPTS", "TERN_SKIP_BUILD");

  /**
   * One setting's effective value.
   *
   * @param setting the setting
   * @param text its value as written, or null when unset (a setting without a default)
   * @param source where it came from
   */
  public record Value(Setting setting, String text, Source source) {}

  private final ServerConfig config;
  private final Map<Setting, Value> values;
  private final Source configFile;

  private ServerSettings(ServerConfig config, Map<Setting, Value> values, Source configFile) {
    this.config = config;
    this.values = Collections.unmodifiableMap(values);
    this.configFile = configFile;
  }

  /**
   * Resolves the layers and builds the node's configuration.
   *
   * @param configFlag the {@code --config} flag's file, or null (then {@value #CONFIG_ENV}, if set)
   * @param env the process environment; only {@code TERN_} variables are read
   * @param flags the setting flags given on the command line
   * @throws IOException when the config file cannot be read for another reason than being
   *     missing or forbidden
   * @throws IllegalArgumentException naming the setting and its source when a setting is unknown,
   *     missing or invalid, or the config file does not exist or may not be read
   */
  public static ServerSettings resolve(Path configFlag, Map<String, String> env, Map<Setting, String> flags)
      throws IOException {
    Map<Setting, Value> chosen = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      chosen.put(s, new Value(s, s.defaultValue().orElse(null), Source.DEFAULT));
    }

    Source fileSource = null;
    Path file = configFlag;
    if (file != null) {
      fileSource = Source.flag("--config");
    } else if (env.get(CONFIG_ENV) != null && !env.get(CONFIG_ENV).isBlank()) {
      file = Path.of(env.get(CONFIG_ENV));
      fileSource = Source.env(CONFIG_ENV);
    }
    if (file != null) {
      Source from = Source.file(file.toString());
      Map<String, String> entries;
      try {
        entries = ConfigFile.read(file);
      } catch (NoSuchFileException | AccessDeniedException e) {
        throw new IllegalArgumentException(
            "config file " + file + " (" + fileSource + ") "
                + (e instanceof NoSuchFileException ? "does not exist" : "cannot be read: permission denied"),
            e);
      }
      for (Map.Entry<String, String> e : entries.entrySet()) {
        Setting s =
            Setting.byKey(e.getKey())
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "unknown setting '" + e.getKey() + "' in " + from + " (tern server --help lists them)"));
        chosen.put(s, new Value(s, e.getValue(), from));
      }
    }

    // Sorted, so that with several unknown variables the error is always about the same one.
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(Setting.ENV_PREFIX) || LAUNCHER_ENV.contains(name)) {
        continue;
      }
      Setting s = byEnv(name);
      if (s == null) {
        throw new IllegalArgumentException(
            "unknown setting in env " + name + " (tern server --help lists the TERN_ variables)");
      }
      chosen.put(s, new Value(s, e.getValue(), Source.env(name)));
    }

    flags.forEach((s, v) -> chosen.put(s, new Value(s, v, Source.flag(s.flag()))));

    Setting.Draft d = new Setting.Draft();
    for (Value v : chosen.values()) {
      if (v.text() == null) {
        if (v.setting().required()) {
          Setting s = v.setting();
          throw new IllegalArgumentException(
              s.key() + " is not set: give " + s.flag() + ", " + s.env() + " or " + s.key() + " in a config file");
        }
        continue;
      }
      String text = v.text().trim();
      try {
        if (text.isEmpty()) {
          throw new IllegalArgumentException("must not be empty");
        }
        v.setting().apply(d, text);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "invalid " + v.setting().key() + " '" + text + "' (" + v.source() + "): " + e.getMessage(), e);
      }
    }
    crossCheck(d, chosen);

    ServerConfig.Builder b =
        ServerConfig.builder()
            .nodeId(d.id)
            .dataDir(d.dataDir)
            .members(d.members)
            .join(d.join)
            .clientAddress(d.client)
            .raftAddress(d.raft)
            .metricsAddress(d.metrics)
            .snapshotThreshold(d.snapshotThreshold)
            .historyRetention(d.historyRetention)
            .logSegmentBytes(d.logSegmentBytes)
            .electionTimeout(d.electionTimeoutMin, d.electionTimeoutMax)
            .storeCommit(d.storeCommitWrites, d.storeCommitInterval)
            .limits(new RequestLimits(d.maxKeyBytes, d.maxValueBytes))
            .maxInflightRequests(d.maxInflightRequests)
            .authTokenTtl(d.authTokenTtl)
            .clientTls(d.tlsCert == null ? null : new TlsFiles(d.tlsCert, d.tlsKey, d.tlsCa), d.clientCertAuth)
            .peerTls(d.peerTlsCert == null ? null : new TlsFiles(d.peerTlsCert, d.peerTlsKey, d.peerTlsCa));
    ServerConfig config;
    try {
      config = b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid configuration: " + e.getMessage(), e);
    }
    return new ServerSettings(config, chosen, fileSource == null ? null : Source.file(file.toString()));
  }

  private static Setting byEnv(String name) {
    for (Setting s : Setting.values()) {
      if (s.env().equals(name)) {
        return s;
      }
    }
    return null;
  }

  private static void crossCheck(Setting.Draft d, Map<Setting, Value> chosen) {
    MemberSpec self = d.members.stream().filter(m -> m.id().equals(d.id)).findFirst().orElse(null);
    if (self == null) {
      throw new IllegalArgumentException(
          "id '" + d.id + "' (" + chosen.get(Setting.ID).source() + ") is not one of members ("
              + chosen.get(Setting.MEMBERS).source() + "): "
              + d.members.stream().map(MemberSpec::id).collect(Collectors.joining(", "))
              + (d.join ? " (to join, members needs this node's own entry, id=clientHost:port/raftHost:port)" : ""));
    }
    if (d.client != null && d.client.port() != self.clientAddress().port()) {
      throw portMismatch(Setting.CLIENT, d.client.toString(), self, chosen);
    }
    if (d.raft != null && d.raft.port() != self.raftAddress().port()) {
      throw portMismatch(Setting.RAFT, d.raft.toString(), self, chosen);
    }
    checkTls(d, chosen);
    if (d.electionTimeoutMax.compareTo(d.electionTimeoutMin) <= 0) {
      throw new IllegalArgumentException(
          "election-timeout-max " + d.electionTimeoutMax.toMillis() + "ms ("
              + chosen.get(Setting.ELECTION_TIMEOUT_MAX).source() + ") must be more than election-timeout-min "
              + d.electionTimeoutMin.toMillis() + "ms (" + chosen.get(Setting.ELECTION_TIMEOUT_MIN).source() + ")");
    }
  }

  /** TLS files come in sets: a certificate with its key; client-cert-auth and peer TLS need a CA. */
  private static void checkTls(Setting.Draft d, Map<Setting, Value> chosen) {
    together(chosen, d.tlsCert != null, Setting.TLS_CERT, d.tlsKey != null, Setting.TLS_KEY);
    if (d.tlsCa != null && d.tlsCert == null) {
      throw new IllegalArgumentException(
          "tls-ca (" + chosen.get(Setting.TLS_CA).source() + ") needs TLS on the client port: give tls-cert and tls-key too");
    }
    if (d.clientCertAuth && d.tlsCa == null) {
      throw new IllegalArgumentException(
          "client-cert-auth (" + chosen.get(Setting.CLIENT_CERT_AUTH).source()
              + ") needs tls-ca, the CA that signs the client certificates (and tls-cert, tls-key)");
    }
    together(chosen, d.peerTlsCert != null, Setting.PEER_TLS_CERT, d.peerTlsKey != null, Setting.PEER_TLS_KEY);
    together(chosen, d.peerTlsCert != null, Setting.PEER_TLS_CERT, d.peerTlsCa != null, Setting.PEER_TLS_CA);
  }

  private static void together(Map<Setting, Value> chosen, boolean aSet, Setting a, boolean bSet, Setting b) {
    if (aSet != bSet) {
      Setting given = aSet ? a : b;
      Setting missing = aSet ? b : a;
      throw new IllegalArgumentException(
          given.key() + " (" + chosen.get(given).source() + ") needs " + missing.key() + " too: give "
              + missing.flag() + ", " + missing.env() + " or " + missing.key() + " in a config file");
    }
  }

  private static IllegalArgumentException portMismatch(
      Setting s, String address, MemberSpec self, Map<Setting, Value> chosen) {
    return new IllegalArgumentException(
        s.key() + " " + address + " (" + chosen.get(s).source() + ") must have the port of this node's entry in members ("
            + chosen.get(Setting.MEMBERS).source() + "): " + self);
  }

  /** The node's configuration. */
  public ServerConfig config() {
    return config;
  }

  /** Each setting's effective value and source, in {@link Setting} order. */
  public Map<Setting, Value> values() {
    return values;
  }

  /**
   * The effective configuration for a person to read: a heading, then one line per setting with
   * its value and where it came from; unset optional settings show what they amount to.
   */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    lines.add(
        "tern server configuration (flags > env > file > defaults"
            + (configFile == null ? "; no config file" : "; " + configFile)
            + "):");
    for (Value v : values.values()) {
      String shown;
      String from;
      if (v.text() != null) {
        shown = v.text().trim();
        from = v.source().toString();
      } else {
        shown =
            switch (v.setting()) {
              case CLIENT -> config.clientAddress().toString();
              case RAFT -> config.raftAddress().toString();
              default -> v.setting().whenUnset();
            };
        from = "default: " + v.setting().whenUnset();
        if (shown.equals(v.setting().whenUnset())) {
          from = "default";
        }
      }
      lines.add(String.format("  %-22s %s  (%s)", v.setting().key(), shown, from));
    }
    return List.copyOf(lines);
  }
}
