package io.ternkv.shell;

import io.ternkv.server.ServerConfig;
import io.ternkv.server.TernServer;
import io.ternkv.shell.config.ServerSettings;
import io.ternkv.shell.config.Setting;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tern server}: runs one storage node until SIGTERM or SIGINT. Every {@link Setting} is a
 * flag ({@code --NAME}), an environment variable ({@code TERN_NAME}) and a config file key; flags
 * win over the environment, which wins over the file ({@code --config FILE} or {@code
 * TERN_CONFIG}), which wins over the defaults. The effective configuration is printed to stderr
 * once, before the node starts.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    modelTransformer = ServerCommand.SettingFlags.class,
    description = {
      "Runs one TernKV storage node until SIGTERM/SIGINT, then stops cleanly.",
      "Restarting with the same --data-dir rejoins the cluster with the node's data.",
      "Example (3 nodes, run once per id):",
      "  tern server --id n1 --data-dir data/n1 \\",
      "    --members n1=127.0.0.1:7001/127.0.0.1:8001,n2=127.0.0.1:7002/127.0.0.1:8002,n3=127.0.0.1:7003/127.0.0.1:8003",
      "A fourth node, then 'member add n4 127.0.0.1:7004/127.0.0.1:8004' in tern shell:",
      "  tern server --id n4 --data-dir data/n4 --join --members n4=127.0.0.1:7004/127.0.0.1:8004"
    },
    footer = {
      "",
      "Each setting is also an environment variable (TERN_ and the name in upper case, '-' as '_',",
      "e.g. TERN_DATA_DIR) and a key in the config file (Java properties, or YAML for *.yaml/*.yml).",
      "Precedence: flags > environment > config file > defaults. Durations take ms, s or m (a bare",
      "number is ms); sizes take KiB, MiB or GiB. See docs/configuration.md."
    })
final class ServerCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Config file: Java properties, or YAML when it ends in .yaml/.yml (env TERN_CONFIG).")
  Path config;

  @Spec CommandSpec spec;

  /** The process environment; tests give their own. */
  Map<String, String> env = System.getenv();

  /** Adds one {@code --NAME} flag per {@link Setting}, so the flags cannot drift from the settings. */
  static final class SettingFlags implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      for (Setting s : Setting.values()) {
        OptionSpec.Builder option =
            OptionSpec.builder(s.flag())
                .paramLabel(s.label())
                .type(String.class)
                .description(s.description() + " (default: " + s.whenUnset() + "; env " + s.env() + ")");
        if (s.isSwitch()) {
          option.arity("0..1").fallbackValue("true");
        }
        spec.addOption(option.build());
      }
      return spec;
    }
  }

  /** The setting flags given on the command line. */
  Map<Setting, String> flags() {
    Map<Setting, String> given = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      String value = spec.findOption(s.flag()).getValue();
      if (value != null) {
        given.put(s, value);
      }
    }
    return given;
  }

  /**
   * The effective settings from flags, environment and config file.
   *
   * @throws IOException when the config file cannot be read
   * @throws IllegalArgumentException naming the setting and where it came from
   */
  ServerSettings settings() throws IOException {
    return ServerSettings.resolve(config, env, flags());
  }

  /**
   * The node's configuration.
   *
   * @throws IOException when the config file cannot be read
   * @throws IllegalArgumentException naming the bad setting and where it came from
   */
  ServerConfig config() throws IOException {
    return settings().config();
  }

  @Override
  public Integer call() throws Exception {
    ServerSettings settings = settings();
    ServerConfig config = settings.config();
    Logging.toStderr(config.nodeId());
    for (String line : settings.describe()) {
      System.err.println(line);
    }
    TernServer server = TernServer.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                  System.err.flush();
                  // A stop on request is a clean exit, not death by signal (which would be 143).
                  Runtime.getRuntime().halt(0);
                },
                "tern-shutdown"));
    if (config.clientTls().isPresent() || config.peerTls().isPresent()) {
      onHangup(
          () -> {
            List<String> changes = server.reloadCertificates();
            System.err.println(
                "tern server " + config.nodeId() + ": SIGHUP: "
                    + (changes.isEmpty() ? "no certificate file changed" : String.join("; ", changes)));
          });
    }
    System.err.println(
        "tern server "
            + config.nodeId()
            + " serving clients on "
            + config.clientAddress()
            + (config.clientTls().isPresent() ? " (TLS)" : "")
            + server.metricsAddress().map(a -> ", metrics on http://" + a + "/metrics").orElse("")
            + " (SIGTERM stops it)");
    stopped.await();
    return 0;
  }

  /**
   * Runs {@code action} on SIGHUP. Through reflection: {@code sun.misc.Signal} is the JDK's only
   * signal API, and naming it directly draws a compiler warning that cannot be suppressed.
   */
  static void onHangup(Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object h =
          Proxy.newProxyInstance(
              handler.getClassLoader(),
              new Class<?>[] {handler},
              (proxy, method, args) -> {
                if (method.getDeclaringClass() == Object.class) {
                  return switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> "SIGHUP handler";
                  };
                }
                action.run();
                return null;
              });
      signal
          .getMethod("handle", signal, handler)
          .invoke(null, signal.getConstructor(String.class).newInstance("HUP"), h);
    } catch (ReflectiveOperationException | RuntimeException e) {
      System.err.println(
          "warning: cannot handle SIGHUP in this JVM (" + e + "); certificates are still reloaded"
              + " when their files change");
    }
  }
}
