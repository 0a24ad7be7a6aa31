package io.ternkv.shell.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads a config file into key/value text: YAML when the name ends in {@code .yaml} or {@code
 * .yml}, else Java properties. Either way the file is flat, {@code key: value} or {@code
 * key=value}, with the keys of {@link Setting}; in YAML a list (for {@code members}) is joined with
 * commas. Values are kept as text (YAML's {@code 010} is not octal, {@code on} not a boolean) and
 * trimmed; {@link ServerSettings} parses them.
 *
 * <p>Threading: stateless.
 */
public final class ConfigFile {
  private ConfigFile() {}

  /**
   * The file's keys and values, in file order; unknown keys are kept for the caller to reject.
   *
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException naming the file when it is not valid properties or YAML, has
   *     a key twice, or a value that is not text (a nested mapping)
   */
  public static Map<String, String> read(Path file) throws IOException {
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return name.endsWith(".yaml") || name.endsWith(".yml") ? yaml(file, in) : properties(file, in);
    }
  }

  private static Map<String, String> properties(Path file, Reader in) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    Properties p =
        new Properties() {
          @Override
          public synchronized Object put(Object key, Object value) {
            if (out.put((String) key, ((String) value).trim()) != null) {
              throw new IllegalArgumentException("config file " + file + " sets '" + key + "' twice");
            }
            return super.put(key, value);
          }
        };
    try {
      p.load(in);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("config file")) {
        throw e;
      }
      throw new IllegalArgumentException("config file " + file + " is not valid properties: " + e.getMessage(), e);
    }
    return Collections.unmodifiableMap(out);
  }

  private static Map<String, String> yaml(Path file, Reader in) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setAllowRecursiveKeys(false);
    // No implicit types: every scalar stays the text it was written as.
    Resolver textOnly =
        new Resolver() {
          @Override
          protected void addImplicitResolvers() {}
        };
    Yaml yaml =
        new Yaml(
            new SafeConstructor(options),
            new Representer(new org.yaml.snakeyaml.DumperOptions()),
            new org.yaml.snakeyaml.DumperOptions(),
            options,
            textOnly);
    Object root;
    try {
      root = yaml.load(in);
    } catch (YAMLException e) {
      throw new IllegalArgumentException(
          "config file " + file + " is not valid YAML: " + e.getMessage().replace('\n', ' '), e);
    }
    if (root == null) {
      return Map.of();
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("config file " + file + " must be a mapping of setting: value");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = String.valueOf(e.getKey());
      out.put(key, text(file, key, e.getValue()));
    }
    return Collections.unmodifiableMap(out);
  }

  private static String text(Path file, String key, Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof List<?> list) {
      List<String> items = new ArrayList<>();
      for (Object item : list) {
        if (item instanceof Map<?, ?> || item instanceof List<?>) {
          throw new IllegalArgumentException(
              "config file " + file + ": '" + key + "' must be a value or a list of values");
        }
        items.add(String.valueOf(item).trim());
      }
      return String.join(",", items);
    }
    if (value instanceof Map<?, ?>) {
      throw new IllegalArgumentException(
          "config file " + file + ": '" + key + "' must be a value, not a mapping (settings are flat)");
    }
    return String.valueOf(value).trim();
  }
}
