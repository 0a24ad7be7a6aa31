package io.ternkv.shell;

import java.io.Console;
import java.lang.reflect.Method;

/**
 * Whether this process talks to a person at a terminal, which decides between the line editor
 * (prompts, history, completion) and plain line-by-line reading of piped or redirected input.
 *
 * <p>{@code System.console() != null} alone is wrong from JDK 22 on, where the console exists
 * even when stdin or stdout is redirected; there {@code Console.isTerminal()} (new in 22, so
 * called reflectively while the code targets 17) says whether both are terminals. Before 22 a
 * console exists only when both are. Threading: stateless.
 */
final class Terminals {
  private Terminals() {}

  /** True when stdin and stdout are both terminals. */
  static boolean interactive() {
    return interactive(System.console());
  }

  static boolean interactive(Console console) {
    if (console == null) {
      return false;
    }
    Method isTerminal;
    try {
      isTerminal = Console.class.getMethod("isTerminal");
    } catch (NoSuchMethodException e) {
      return true; // JDK 17 to 21: a console exists only when stdin and stdout are terminals
    }
    try {
      return (Boolean) isTerminal.invoke(console);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false; // when in doubt, do not take over the streams with a line editor
    }
  }
}
