package io.ternkv.shell;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Where the launcher's logs go: one line per event, prefixed with the node (or "demo"), to stderr
 * for a server and to a file for the demo (whose terminal belongs to the person using it).
 */
final class Logging {
  private Logging() {}

  /** Only errors, to stderr: a shell's output is for its user. */
  static void quiet() {
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setTarget("System.err");
    install(console, "shell", Level.ERROR);
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.ERROR);
  }

  /** Logs to stderr, each line prefixed with {@code prefix}. */
  static void toStderr(String prefix) {
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setTarget("System.err");
    install(console, prefix, Level.INFO);
  }

  /** Logs to {@code file}; only errors reach stderr. */
  static void toFile(Path file, String prefix) {
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setFile(file.toString());
    appender.setAppend(true);
    install(appender, prefix, Level.INFO);
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setTarget("System.err");
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    console.setContext(ctx);
    console.setEncoder(encoder(ctx, prefix));
    ch.qos.logback.classic.filter.ThresholdFilter errorsOnly = new ch.qos.logback.classic.filter.ThresholdFilter();
    errorsOnly.setLevel("ERROR");
    errorsOnly.start();
    console.addFilter(errorsOnly);
    console.start();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(console);
  }

  private static void install(OutputStreamAppender<ILoggingEvent> appender, String prefix, Level level) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    appender.setContext(ctx);
    appender.setEncoder(encoder(ctx, prefix));
    appender.start();
    Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(appender);
    ctx.getLogger("io.ternkv").setLevel(level);
    ctx.getLogger("org.apache.ratis").setLevel(Level.WARN);
  }

  private static PatternLayoutEncoder encoder(LoggerContext ctx, String prefix) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [" + prefix + "] %logger{0} - %msg%n");
    encoder.start();
    return encoder;
  }
}
