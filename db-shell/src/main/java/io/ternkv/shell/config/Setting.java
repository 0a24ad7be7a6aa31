package io.ternkv.shell.config;

import io.ternkv.server.HostPort;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.ServerConfig;
import io.ternkv.server.apply.RequestLimits;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every setting of {@code tern server}, each with one name used everywhere: the flag is {@code
 * --NAME}, the environment variable {@code TERN_NAME} (upper case, {@code -} as {@code _}), the
 * config file key {@code NAME}. Defaults are {@link ServerConfig}'s and {@link RequestLimits}'s,
 * parsed by the same code as any other value.
 *
 * <p>Durations are a whole number with {@code ms}, {@code s} or {@code m}; a bare number is
 * milliseconds. Byte sizes are a whole number, optionally with {@code KiB}, {@code MiB} or {@code
 * GiB}.
 *
 * <p>Each constant's meaning is its {@link #description()}, shown by {@code tern server --help} and
 * listed with its default in {@code docs/configuration.md} (a test keeps the two in step).
 *
 * <p>Threading: immutable.
 */
public enum Setting {
  ID("ID", null, "required", "This node's id; must appear in members.", (d, v) -> {
    MemberSpec.checkId(v);
    d.id = v;
  }),
  DATA_DIR("DIR", null, "required", "Directory for this node's log, snapshots and store (created if missing).",
      (d, v) -> d.dataDir = path(v)),
  MEMBERS("LIST", null, "required",
      "Every initial member as id=clientHost:port/raftHost:port, comma-separated (in YAML also a list).",
      (d, v) -> {
        var members = MemberSpec.parseList(v);
        MemberSpec.checkUnique(members);
        d.members = members;
      }),
  JOIN("true|false", "false", null,
      "Start without forming a group and wait to be added to a running cluster (member add on the leader); members then needs only this node's entry (as a flag, --join alone means true).",
      (d, v) -> d.join = bool(v)),
  CLIENT("HOST:PORT", null, "this node's entry in members", "Address to serve clients on; its port must match the entry.",
      (d, v) -> d.client = HostPort.parse(v)),
  RAFT("HOST:PORT", null, "this node's entry in members", "Address for Raft peers; its port must match the entry.",
      (d, v) -> d.raft = HostPort.parse(v)),
  METRICS("HOST:PORT", null, "off",
      "Serve Prometheus metrics on http://HOST:PORT/metrics, bound to that address only (port 0: any free port).",
      (d, v) -> d.metrics = HostPort.parse(v)),
  SNAPSHOT_THRESHOLD("N", String.valueOf(ServerConfig.DEFAULT_SNAPSHOT_THRESHOLD), null,
      "Entries applied between snapshots.", (d, v) -> d.snapshotThreshold = atLeast(number(v), 1)),
  HISTORY_RETENTION("N", String.valueOf(ServerConfig.DEFAULT_HISTORY_RETENTION), null,
      "Revisions of history kept for reads at a revision and watches; the leader compacts older ones. 0: never (compact by hand).",
      (d, v) -> d.historyRetention = atLeast(number(v), 0)),
  LOG_SEGMENT_BYTES("BYTES", "8MiB", null, "Largest Raft log segment, at least 4KiB.",
      (d, v) -> d.logSegmentBytes = atLeast(bytes(v), 4096)),
  ELECTION_TIMEOUT_MIN("DURATION", millis(ServerConfig.DEFAULT_ELECTION_TIMEOUT_MIN), null,
      "Shortest election timeout, at least 50ms; LEASE reads last 0.9 of it.",
      (d, v) -> d.electionTimeoutMin = atLeast(duration(v), Duration.ofMillis(50))),
  ELECTION_TIMEOUT_MAX("DURATION", millis(ServerConfig.DEFAULT_ELECTION_TIMEOUT_MAX), null,
      "Longest election timeout; more than election-timeout-min.", (d, v) -> d.electionTimeoutMax = duration(v)),
  STORE_COMMIT_WRITES("N", String.valueOf(ServerConfig.DEFAULT_STORE_COMMIT_WRITES), null,
      "Applied writes after which the store is committed (the Raft log is the durable record).",
      (d, v) -> d.storeCommitWrites = atLeast(number(v), 1)),
  STORE_COMMIT_INTERVAL("DURATION", millis(ServerConfig.DEFAULT_STORE_COMMIT_INTERVAL), null,
      "Longest an applied write stays uncommitted in the store, at least 1ms.",
      (d, v) -> d.storeCommitInterval = atLeast(duration(v), Duration.ofMillis(1))),
  MAX_KEY_BYTES("BYTES", "4KiB", null, "Largest key accepted.",
      (d, v) -> d.maxKeyBytes = (int) between(bytes(v), 1, Integer.MAX_VALUE)),
  MAX_VALUE_BYTES("BYTES", "1MiB", null, "Largest value accepted, at most 3MiB.",
      (d, v) -> d.maxValueBytes = (int) between(bytes(v), 0, 3L * 1024 * 1024)),
  MAX_INFLIGHT_REQUESTS("N", String.valueOf(ServerConfig.DEFAULT_MAX_INFLIGHT_REQUESTS), null,
      "Most KV requests (reads and writes) the node works on at once; more are refused with RESOURCE_EXHAUSTED, which clients retry after a pause.",
      (d, v) -> d.maxInflightRequests = (int) between(number(v), 1, Integer.MAX_VALUE)),
  AUTH_TOKEN_TTL("DURATION", millis(ServerConfig.DEFAULT_AUTH_TOKEN_TTL), null,
      "How long a login token this node issues is valid, at least 1s; clients log in again when it expires.",
      (d, v) -> d.authTokenTtl = atLeast(duration(v), Duration.ofSeconds(1))),
  TLS_CERT("FILE", null, "off (plaintext)",
      "PEM certificate (chain) for TLS on the client port; with tls-key. Reloaded when it changes and on SIGHUP.",
      (d, v) -> d.tlsCert = path(v)),
  TLS_KEY("FILE", null, "off", "PEM private key (unencrypted PKCS#8) of tls-cert.", (d, v) -> d.tlsKey = path(v)),
  TLS_CA("FILE", null, "none",
      "PEM CA certificates that sign client certificates and the other nodes' client-port certificates.",
      (d, v) -> d.tlsCa = path(v)),
  CLIENT_CERT_AUTH("true|false", "false", null,
      "Refuse clients without a certificate signed by tls-ca (as a flag, --client-cert-auth alone means true).",
      (d, v) -> d.clientCertAuth = bool(v)),
  PEER_TLS_CERT("FILE", null, "off (plaintext)",
      "PEM certificate for mutual TLS on the Raft port; with peer-tls-key and peer-tls-ca. Reloaded like tls-cert.",
      (d, v) -> d.peerTlsCert = path(v)),
  PEER_TLS_KEY("FILE", null, "off", "PEM private key (unencrypted PKCS#8) of peer-tls-cert.",
      (d, v) -> d.peerTlsKey = path(v)),
  PEER_TLS_CA("FILE", null, "off", "PEM CA certificates a peer's certificate must be signed by.",
      (d, v) -> d.peerTlsCa = path(v));

  /** Environment variables every {@code TERN_} setting variable shares its prefix with. */
  public static final String ENV_PREFIX = "TERN_";

  private final String key;
  private final String label;
  private final String defaultValue;
  private final String whenUnset;
  private final String description;
  private final BiConsumer<Draft, String> parse;

  Setting(String label, String defaultValue, String whenUnset, String description, BiConsumer<Draft, String> parse) {
    this.key = name().toLowerCase(Locale.ROOT).replace('_', '-');
    this.label = label;
    this.defaultValue = defaultValue;
    this.whenUnset = whenUnset;
    this.description = description;
    this.parse = parse;
  }

  /** The config file key, e.g. {@code data-dir}. */
  public String key() {
    return key;
  }

  /** The flag, e.g. {@code --data-dir}. */
  public String flag() {
    return "--" + key;
  }

  /** The environment variable, e.g. {@code TERN_DATA_DIR}. */
  public String env() {
    return ENV_PREFIX + name();
  }

  /** What the value looks like in usage text, e.g. {@code DURATION}. */
  public String label() {
    return label;
  }

  /** The default value, parsed like any other; empty when the setting has none. */
  public Optional<String> defaultValue() {
    return Optional.ofNullable(defaultValue);
  }

  /** What a setting without a default means when unset: {@code required}, {@code off}... */
  public String whenUnset() {
    return defaultValue != null ? defaultValue : whenUnset;
  }

  /** Whether the server cannot start without it. */
  public boolean required() {
    return "required".equals(whenUnset);
  }

  /** One sentence for help and docs. */
  public String description() {
    return description;
  }

  /** Whether the flag may be given without a value (then it means {@code true}). */
  public boolean isSwitch() {
    return this == CLIENT_CERT_AUTH || this == JOIN;
  }

  /** The setting whose key is {@code key}, if any. */
  public static Optional<Setting> byKey(String key) {
    for (Setting s : values()) {
      if (s.key.equals(key)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /**
   * Parses {@code value} into {@code draft}.
   *
   * @throws IllegalArgumentException saying what is wrong with the value (not naming the setting)
   */
  void apply(Draft draft, String value) {
    parse.accept(draft, value);
  }

  /** Settings parsed so far; {@link ServerSettings} turns them into a {@link ServerConfig}. */
  static final class Draft {
    String id;
    Path dataDir;
    java.util.List<MemberSpec> members;
    boolean join;
    HostPort client;
    HostPort raft;
    HostPort metrics;
    long snapshotThreshold;
    long historyRetention;
    long logSegmentBytes;
    Duration electionTimeoutMin;
    Duration electionTimeoutMax;
    long storeCommitWrites;
    Duration storeCommitInterval;
    int maxKeyBytes;
    int maxValueBytes;
    int maxInflightRequests;
    Duration authTokenTtl;
    Path tlsCert;
    Path tlsKey;
    Path tlsCa;
    boolean clientCertAuth;
    Path peerTlsCert;
    Path peerTlsKey;
    Path peerTlsCa;
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m)?");
  private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(KiB|MiB|GiB)?");

  private static String millis(Duration d) {
    return d.toMillis() + "ms";
  }

  static long number(String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a whole number");
    }
  }

  static Duration duration(String v) {
    Matcher m = DURATION.matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration (a whole number with ms, s or m)");
    }
    long n = number(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    try {
      Duration d =
          switch (unit) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofMillis(n);
          };
      d.toNanos(); // Ratis and the store work in nanoseconds
      return d;
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("too long");
    }
  }

  static long bytes(String v) {
    Matcher m = BYTES.matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a size (a whole number, optionally with KiB, MiB or GiB)");
    }
    long n = number(m.group(1));
    long unit =
        m.group(2) == null
            ? 1
            : switch (m.group(2)) {
              case "KiB" -> 1024L;
              case "MiB" -> 1024L * 1024;
              default -> 1024L * 1024 * 1024;
            };
    if (n > Long.MAX_VALUE / unit) {
      throw new IllegalArgumentException("too large");
    }
    return n * unit;
  }

  static boolean bool(String v) {
    return switch (v) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("not true or false");
    };
  }

  private static Path path(String v) {
    try {
      return Path.of(v);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("not a path: " + e.getReason());
    }
  }

  private static long atLeast(long n, long min) {
    if (n < min) {
      throw new IllegalArgumentException("must be at least " + min);
    }
    return n;
  }

  private static long between(long n, long min, long max) {
    if (n < min || n > max) {
      throw new IllegalArgumentException("must be between " + min + " and " + max);
    }
    return n;
  }

  private static Duration atLeast(Duration d, Duration min) {
    if (d.compareTo(min) < 0) {
      throw new IllegalArgumentException("must be at least " + min.toMillis() + "ms");
    }
    return d;
  }
}
