package io.ternkv.shell;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The shell's commands: their usage and what they do; also what completion offers. */
final class ShellHelp {
  private ShellHelp() {}

  /** Command name to {usage, description}. */
  static final Map<String, String[]> COMMANDS = new LinkedHashMap<>();

  static {
    add(
        "put",
        "put KEY VALUE [--lease ID] [--prev]",
        "Stores VALUE under KEY (durable on a majority); with --lease, KEY is deleted when the lease ends; --prev also shows the value it replaced.");
    add(
        "get",
        "get KEY [--consistency LEVEL] [--rev N]",
        "Reads KEY; with --rev, as it was at revision N (until compacted).");
    add(
        "del",
        "del KEY [END] [--prev] | del --prefix P [--prev]",
        "Deletes KEY, every key from KEY up to END (exclusive), or every key under a prefix, at one revision; prints how many keys were deleted. --prev also shows them.");
    add(
        "scan",
        "scan [--prefix P | FROM [TO]] [--limit N] [--consistency LEVEL] [--rev N]",
        "Lists keys in order: under a prefix, or from FROM (inclusive) to TO (exclusive). Default limit 100. With --rev, as they were at revision N.");
    add(
        "watch",
        WatchCommand.USAGE,
        "Prints every change to KEY (or every key under it, with --prefix) as it happens, until Ctrl-C or --count events. "
            + "--rev N replays history from revision N first; --prev shows each key's previous value; --progress notes when the watch is up to date. "
            + "The watch moves to another node by itself if its node fails, missing and repeating nothing.");
    add(
        "compact",
        "compact REV",
        "Drops history before revision REV on every node: reads and watches at older revisions are refused from then on. The current data is unchanged.");
    add(
        "txn",
        TxnSyntax.USAGE,
        "Runs a transaction atomically, at one revision: if every COMPARE holds, the ops after 'then', else those after 'else'. "
            + "COMPARE is 'exists KEY', 'absent KEY', or 'version|create|mod|value KEY =|!=|<|> OPERAND' (a missing key has version, create and mod 0). "
            + "OP is 'put KEY VALUE', 'del KEY', 'del --prefix P' or 'get KEY'. "
            + "Example: txn if mod counter = 7 then put counter 8 else get counter. "
            + "Over several lines: a line with just 'txn', then the parts (one or more per line), then a line with just 'end'.");
    add(
        "lease",
        LeaseCommands.USAGE,
        "Leases: 'grant TTL' (500ms, 10s, 5m, 1h; at least 1s) prints the new lease's id; keys put with --lease ID are deleted on every node when it ends. "
            + "'keepalive ID' renews it every third of its TTL until Ctrl-C (or N times with --count N); 'revoke ID' ends it now; 'ttl ID' shows the time left and its keys; 'list' lists every lease.");
    add(
        "status",
        "status",
        "Shows every member's role, term, leader, commit and applied index, snapshot index, store size and uptime, "
            + "and from the leader how far each member is behind (MATCH: the highest log index it stores; LAG: entries it is missing).");
    add("members", "members", "Lists the cluster's members (voter or learner, i.e. still joining) and the leader.");
    add(
        "member",
        MemberCommands.MEMBER_USAGE,
        "Changes the membership, one change at a time. 'add' joins a node started with 'tern server --join': it catches up as a learner, "
            + "then votes; the command returns once it does (or after --timeout, default 2m, leaving a learner: add it again to finish, or remove it). "
            + "'remove' takes a member out; removing the leader first hands leadership to another voter. The last voter cannot be removed.");
    add(
        "leader",
        MemberCommands.LEADER_USAGE,
        "Makes voter ID the leader: the current leader waits until ID has the whole log, then lets it take over; writes pause for that moment.");
    add(
        "auth",
        AuthCommands.AUTH_USAGE,
        "Turns authentication on or off, or shows whether it is on and who you are. 'enable' needs a user with the root role "
            + "(user add root; user grant-role root root); from then on every command needs a login (tern shell --user NAME). 'disable' needs root.");
    add(
        "user",
        AuthCommands.USER_USAGE,
        "Manages users (root only once authentication is on). 'add' and 'passwd' take the password as an argument, from --password-file, "
            + "or ask for it at the terminal; those lines are never written to the history file. A new password or a deleted user ends its logins at once. "
            + "'grant-role NAME root' makes NAME an administrator.");
    add(
        "role",
        AuthCommands.ROLE_USAGE,
        "Manages roles and their permissions (root only once authentication is on). 'grant' allows read, write or readwrite on one KEY, "
            + "the keys from KEY to END (exclusive), or every key under a prefix (--prefix \"\" is every key); 'revoke' takes the permission on exactly those keys away. "
            + "A read, scan or watch must be allowed on its whole range. The built-in root role may do everything.");
    add(
        "import",
        "import FILE.jsonl",
        "Writes keys from a JSON-lines file: {\"key\": K, \"value\": V} per line; K and V are strings or {\"base64\": \"...\"}. Stops at the first bad line, applying none after it; Ctrl-C stops it after the current batch.");
    add("export", "export [--prefix P] FILE.jsonl", "Writes keys (all, or under a prefix) to a JSON-lines file.");
    add(
        "backup",
        "backup FILE",
        "Writes an online, consistent backup of the cluster's data (one revision, taken while writes go on) to FILE, with progress; "
            + "'tern restore FILE' turns it into a new node's data directory. The file appears only when complete and checked; Ctrl-C stops it.");
    add("set", "set consistency LEVEL | set output table|json|plain", "Changes this session's default read level or output format.");
    add("timing", "timing on|off", "Prints each command's latency.");
    add("help", "help [COMMAND]", "Lists commands, or explains one.");
    add("exit", "exit", "Leaves the shell (also: quit, Ctrl-D).");
  }

  /** Read levels, for completion and messages. */
  static final List<String> LEVELS = List.of("linearizable", "lease", "session", "stale", "log");

  private static void add(String name, String usage, String description) {
    COMMANDS.put(name, new String[] {usage, description});
  }

  static String overview() {
    StringBuilder b = new StringBuilder("commands:\n");
    COMMANDS.forEach((name, h) -> b.append(String.format("  %-62s %s%n", h[0], firstSentence(h[1]))));
    b.append("values: text, \"quoted text\" with \\n \\t \\xHH escapes, or 0xHEX for bytes; results show them the same way.\n");
    b.append("levels: ").append(String.join(", ", LEVELS)).append("; separate commands with ';'.\n");
    return b.toString();
  }

  static String of(String command) {
    String[] h = COMMANDS.get(command);
    if (h == null) {
      throw new IllegalArgumentException("unknown command '" + command + "'; try help");
    }
    return "usage: " + h[0] + "\n" + h[1] + "\n";
  }

  private static String firstSentence(String s) {
    int dot = s.indexOf(". ");
    return dot < 0 ? s : s.substring(0, dot + 1);
  }
}
