package io.ternkv.shell;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.Lease;
import io.ternkv.client.LeaseInfo;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code lease grant TTL | revoke ID | keepalive ID [--count N] | ttl ID | list}: the shell's
 * lease commands. A TTL is a number with a unit ({@code 500ms}, {@code 10s}, {@code 5m},
 * {@code 1h}) or plain seconds.
 */
final class LeaseCommands {
  static final String USAGE = "lease grant TTL | lease revoke ID | lease keepalive ID [--count N] | lease ttl ID | lease list";

  private LeaseCommands() {}

  static void run(Args args, TernClient client, Render render, PrintStream out) {
    String count = args.option("--count");
    if (args.count() == 0) {
      throw new IllegalArgumentException("lease: name a subcommand; usage: " + USAGE);
    }
    String sub = args.positional(0).text().toLowerCase(Locale.ROOT);
    switch (sub) {
      case "grant" -> {
        args.done(2, 2);
        Lease lease = client.leaseGrant(parseTtl(args.positional(1).text()));
        out.print(render.leaseGranted(lease));
      }
      case "revoke" -> {
        args.done(2, 2);
        long id = parseId(args.positional(1).text());
        out.print(render.leaseRevoked(id, client.leaseRevoke(id)));
      }
      case "ttl" -> {
        args.done(2, 2);
        LeaseInfo info = client.leaseTimeToLive(parseId(args.positional(1).text()), true);
        out.print(render.leaseInfo(info));
      }
      case "list" -> {
        args.done(1, 1);
        List<Long> ids = client.leases();
        out.print(render.leases(ids));
      }
      case "keepalive", "keep-alive" -> {
        args.done(2, 2);
        long id = parseId(args.positional(1).text());
        long times = count == null ? Long.MAX_VALUE : Args.positive("lease: --count", count);
        keepAlive(client, render, out, id, times);
      }
      default -> throw new IllegalArgumentException("lease: unknown subcommand '" + sub + "'; usage: " + USAGE);
    }
  }

  /** Renews {@code times} times (or until Ctrl-C), every third of the TTL, printing each. */
  private static void keepAlive(TernClient client, Render render, PrintStream out, long id, long times) {
    for (long i = 0; i < times; i++) {
      Optional<Duration> ttl = client.leaseKeepAliveOnce(id);
      if (ttl.isEmpty()) {
        throw new TernException(ErrorCode.FAILED_PRECONDITION, "lease " + id + " not found (expired or revoked)", null);
      }
      out.print(render.leaseKeptAlive(id, ttl.get()));
      out.flush();
      if (i + 1 < times) {
        try {
          Thread.sleep(Math.max(1, ttl.get().toMillis() / 3));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TernException(ErrorCode.CANCELLED, "keep-alive stopped", e);
        }
      }
    }
  }

  static Duration parseTtl(String s) {
    return Args.duration(s, "lease: '" + s + "' is not a TTL (e.g. 500ms, 10s, 5m, 1h)");
  }

  static long parseId(String s) {
    try {
      long id = Long.parseLong(s);
      if (id <= 0) {
        throw new NumberFormatException();
      }
      return id;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("lease: '" + s + "' is not a lease id (a positive number)");
    }
  }
}
