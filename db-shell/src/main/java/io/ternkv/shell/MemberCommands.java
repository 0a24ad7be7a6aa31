package io.ternkv.shell;

import io.ternkv.client.Member;
import io.ternkv.client.TernClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code member add ID CLIENT/RAFT [--timeout D] | member remove ID} and {@code leader transfer
 * ID}: the shell's membership commands. Each is one call to the leader; the server refuses unsafe
 * ones with a message saying why.
 */
final class MemberCommands {
  static final String MEMBER_USAGE =
      "member add ID CLIENT_HOST:PORT/RAFT_HOST:PORT [--timeout DURATION] | member remove ID";
  static final String LEADER_USAGE = "leader transfer ID";

  /** How long {@code member add} waits for the node to catch up, unless told otherwise. */
  static final Duration DEFAULT_ADD_TIMEOUT = Duration.ofMinutes(2);

  private MemberCommands() {}

  static void member(Args args, TernClient client, Render render, PrintStream out) {
    String timeout = args.option("--timeout");
    if (args.count() == 0) {
      throw new IllegalArgumentException("member: name a subcommand; usage: " + MEMBER_USAGE);
    }
    String sub = args.positional(0).text().toLowerCase(Locale.ROOT);
    switch (sub) {
      case "add" -> {
        args.done(3, 3);
        String id = args.positional(1).text();
        String addresses = args.positional(2).text();
        int slash = addresses.indexOf('/');
        if (slash <= 0 || slash == addresses.length() - 1) {
          throw new IllegalArgumentException(
              "member: '" + addresses + "' is not CLIENT_HOST:PORT/RAFT_HOST:PORT; usage: " + MEMBER_USAGE);
        }
        Duration wait = timeout == null ? DEFAULT_ADD_TIMEOUT : parseTimeout(timeout);
        List<Member> members =
            client.addMember(id, addresses.substring(0, slash), addresses.substring(slash + 1), wait);
        out.print(render.memberChange("member add", id, members));
      }
      case "remove", "rm" -> {
        if (timeout != null) {
          throw new IllegalArgumentException("member: --timeout goes with member add; usage: " + MEMBER_USAGE);
        }
        args.done(2, 2);
        String id = args.positional(1).text();
        out.print(render.memberChange("member remove", id, client.removeMember(id)));
      }
      default -> throw new IllegalArgumentException("member: unknown subcommand '" + sub + "'; usage: " + MEMBER_USAGE);
    }
  }

  static void leader(Args args, TernClient client, Render render, PrintStream out) {
    if (args.count() == 0 || !args.positional(0).text().equalsIgnoreCase("transfer")) {
      throw new IllegalArgumentException("leader: usage: " + LEADER_USAGE);
    }
    args.done(2, 2);
    out.print(render.leaderTransferred(client.transferLeadership(args.positional(1).text())));
  }

  static Duration parseTimeout(String s) {
    return Args.duration(s, "member: --timeout '" + s + "' is not a duration (e.g. 30s, 5m)");
  }
}
