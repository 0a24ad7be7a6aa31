package io.ternkv.shell.config;

/**
 * Where a setting's value came from. Immutable.
 *
 * @param kind the layer
 * @param where the flag, environment variable or file; empty for a default
 */
public record Source(Kind kind, String where) {
  /** The layers, lowest precedence first. */
  public enum Kind {
    DEFAULT,
    FILE,
    ENV,
    FLAG
  }

  /** The built-in default. */
  public static final Source DEFAULT = new Source(Kind.DEFAULT, "");

  /** A value from the config file {@code path}. */
  public static Source file(String path) {
    return new Source(Kind.FILE, path);
  }

  /** A value from the environment variable {@code name}. */
  public static Source env(String name) {
    return new Source(Kind.ENV, name);
  }

  /** A value from the flag {@code name} (with its dashes). */
  public static Source flag(String name) {
    return new Source(Kind.FLAG, name);
  }

  /** {@code default}, {@code file PATH}, {@code env NAME} or {@code flag --NAME}. */
  @Override
  public String toString() {
    return kind == Kind.DEFAULT ? "default" : kind.name().toLowerCase(java.util.Locale.ROOT) + " " + where;
  }
}
