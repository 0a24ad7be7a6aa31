package io.ternkv.bench.load;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load driver's settings, parsed from {@code --name value} flags. Every bad flag or value is
 * an {@link IllegalArgumentException} whose message names it.
 */
record LoadOptions(
    String target,
    List<String> endpoints,
    List<Integer> inFlight,
    List<String> phases,
    Duration warmup,
    Duration duration,
    int keys,
    int keySize,
    int valueSize,
    boolean preload,
    Path csv,
    int round,
    Duration requestTimeout,
    Duration shedPause) {

  static final String USAGE =
      """
      Usage: LoadDriver --target ternkv|etcd (--endpoints HOST:PORT,... | --local) [options]

      A closed-loop load driver: keeps N requests in flight, phase by phase, and prints one line
      per phase (target, phase, in-flight, ops/s, p50, p99, p99.9 latency, errors, shed) and
      appends the same to a CSV file. Latencies are recorded in HdrHistogram, in microseconds.

        --target NAME          ternkv (the Java client's async API) or etcd (jetcd)
        --endpoints LIST       comma-separated client addresses of the cluster
        --local                ternkv only: start a 3-node in-process cluster with data on disk
        --inflight LIST        requests kept in flight, e.g. 1,16,64 (default 1,16,64)
        --phases LIST          phases in order (default put,get):
                                 put              16-byte keys, values of --value-size
                                 get              one phase per read level of the target
                                 get-LEVEL        ternkv: linearizable, lease, session, stale;
                                                  etcd: linearizable, serializable
                                 ycsb-a ycsb-b    50/50 and 95/5 linearizable read/update mixes
                                 ycsb-c ycsb-f    read only; 50% read, 50% read-modify-write
        --warmup DURATION      untimed load before each measured phase (default 5s)
        --duration DURATION    measured time per phase and in-flight (default 10s)
        --keys N               key space, preloaded before the phases (default 10000)
        --key-size BYTES       key length, at least 12 (default 16)
        --value-size BYTES     value length, up to 1MiB (default 256; KiB and MiB suffixes)
        --no-preload           do not write the keys first (they exist from an earlier run)
        --csv FILE             append rows here (header written when the file is new)
        --round N              round number written in the CSV (default 1)
        --request-timeout DUR  client request timeout (default 10s)
        --shed-pause DURATION  pause of a slot after a RESOURCE_EXHAUSTED answer (default 20ms)
        --help                 this text

      Durations: a number with ms, s or m. Keys are picked uniformly at random.
      """;

  /**
   * Parses flags.
   *
   * @throws IllegalArgumentException naming the bad flag or value
   * @return null when --help was given
   */
  static LoadOptions parse(String... args) {
    String target = null;
    List<String> endpoints = List.of();
    boolean local = false;
    List<Integer> inFlight = List.of(1, 16, 64);
    List<String> phases = List.of("put", "get");
    Duration warmup = Duration.ofSeconds(5);
    Duration duration = Duration.ofSeconds(10);
    int keys = 10_000;
    int keySize = 16;
    int valueSize = 256;
    boolean preload = true;
    Path csv = null;
    int round = 1;
    Duration requestTimeout = Duration.ofSeconds(10);
    Duration shedPause = Duration.ofMillis(20);
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      switch (flag) {
        case "--help", "-h" -> {
          return null;
        }
        case "--local" -> {
          local = true;
          continue;
        }
        case "--no-preload" -> {
          preload = false;
          continue;
        }
        default -> {}
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(
            flag.startsWith("--") ? flag + " needs a value" : "unknown argument '" + flag + "'");
      }
      String v = args[++i];
      switch (flag) {
        case "--target" -> target = v;
        case "--endpoints" -> endpoints = split(v);
        case "--inflight" -> {
          List<Integer> n = new ArrayList<>();
          for (String s : split(v)) {
            n.add((int) atLeast(flag, number(flag, s), 1));
          }
          inFlight = List.copyOf(n);
        }
        case "--phases" -> phases = split(v);
        case "--warmup" -> warmup = duration(flag, v);
        case "--duration" -> duration = duration(flag, v);
        case "--keys" -> keys = (int) atLeast(flag, number(flag, v), 1);
        case "--key-size" -> keySize = (int) atLeast(flag, number(flag, v), 12);
        case "--value-size" -> {
          valueSize = (int) atLeast(flag, bytes(flag, v), 0);
          if (valueSize > 1024 * 1024) {
            throw new IllegalArgumentException("--value-size must be at most 1MiB, not " + v);
          }
        }
        case "--csv" -> csv = Path.of(v);
        case "--round" -> round = (int) atLeast(flag, number(flag, v), 0);
        case "--request-timeout" -> requestTimeout = duration(flag, v);
        case "--shed-pause" -> shedPause = duration(flag, v);
        default -> throw new IllegalArgumentException("unknown flag '" + flag + "' (see --help)");
      }
    }
    if (target == null || !(target.equals("ternkv") || target.equals("etcd"))) {
      throw new IllegalArgumentException("--target must be ternkv or etcd" + (target == null ? "" : ", not '" + target + "'"));
    }
    if (local == !endpoints.isEmpty()) {
      throw new IllegalArgumentException("give either --endpoints or --local");
    }
    if (local && !target.equals("ternkv")) {
      throw new IllegalArgumentException("--local starts a TernKV cluster; etcd needs --endpoints");
    }
    if (duration.isZero()) {
      throw new IllegalArgumentException("--duration must be more than 0");
    }
    if (String.valueOf(keys - 1).length() > keySize - 1) {
      throw new IllegalArgumentException("--key-size " + keySize + " is too short for " + keys + " keys");
    }
    return new LoadOptions(
        target, endpoints, inFlight, phases, warmup, duration, keys, keySize, valueSize, preload, csv,
        round, requestTimeout, shedPause);
  }

  private static List<String> split(String v) {
    List<String> parts = Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("empty list '" + v + "'");
    }
    return parts;
  }

  private static long number(String flag, String v) {
    try {
      return Long.parseLong(v.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " takes a whole number, not '" + v + "'");
    }
  }

  private static long atLeast(String flag, long n, long min) {
    if (n < min) {
      throw new IllegalArgumentException(flag + " must be at least " + min + ", not " + n);
    }
    return n;
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)");
  private static final Pattern BYTES = Pattern.compile("(\\d+)(KiB|MiB)?");

  static Duration duration(String flag, String v) {
    Matcher m = DURATION.matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException(flag + " takes a duration like 500ms, 10s or 2m, not '" + v + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      default -> Duration.ofMinutes(n);
    };
  }

  private static long bytes(String flag, String v) {
    Matcher m = BYTES.matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException(flag + " takes bytes like 256, 4KiB or 1MiB, not '" + v + "'");
    }
    long n = Long.parseLong(m.group(1));
    return m.group(2) == null ? n : n * (m.group(2).equals("KiB") ? 1024 : 1024 * 1024);
  }
}
