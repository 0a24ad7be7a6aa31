package io.ternkv.shell;

/**
 * A command stopped because its thread was interrupted (Ctrl-C in the shell). The message says
 * how far it got; the shell prints it after {@code cancelled: } and clears the interrupt flag.
 */
final class CancelledException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long rows;
  private final long lastLine;

  /**
   * @param rows rows imported or exported before it stopped
   * @param lastLine for an import, the line up to which every row is imported (0 for none);
   *     -1 otherwise
   */
  CancelledException(String message, long rows, long lastLine) {
    super(message);
    this.rows = rows;
    this.lastLine = lastLine;
  }

  long rows() {
    return rows;
  }

  long lastLine() {
    return lastLine;
  }
}
