package io.ternkv.shell;

import io.ternkv.client.AuthAdmin;
import io.ternkv.client.AuthStatus;
import io.ternkv.client.KeyRange;
import io.ternkv.client.PermissionType;
import io.ternkv.client.RoleInfo;
import io.ternkv.client.RolePermission;
import io.ternkv.client.TernClient;
import io.ternkv.client.UserInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/**
 * {@code auth}, {@code user} and {@code role}: the shell's authentication commands, each one call
 * to the cluster. Passwords come from the command line, {@code --password-file} or a prompt; the
 * line editor keeps {@code user add} and {@code user passwd} lines out of the history file.
 */
final class AuthCommands {
  static final String AUTH_USAGE = "auth enable | auth disable | auth status";
  static final String USER_USAGE =
      "user add|passwd NAME [PASSWORD | --password-file FILE] | user delete NAME | user grant-role|revoke-role NAME ROLE | user list | user get NAME";
  static final String ROLE_USAGE =
      "role add|delete|get NAME | role list | role grant NAME read|write|readwrite KEY [END] | role grant NAME TYPE --prefix P | role revoke NAME KEY [END] | role revoke NAME --prefix P";

  /** History patterns (JLine globs) of lines that may hold a password. */
  static final String HISTORY_IGNORE = "*user add*:*user passwd*:*USER ADD*:*USER PASSWD*";

  private AuthCommands() {}

  static void auth(Args args, TernClient client, PrintStream out) {
    args.done(1, 1);
    AuthAdmin admin = client.auth();
    switch (args.positional(0).text().toLowerCase(Locale.ROOT)) {
      case "enable" -> {
        admin.enable();
        out.println("authentication enabled");
      }
      case "disable" -> {
        admin.disable();
        out.println("authentication disabled");
      }
      case "status" -> {
        AuthStatus s = admin.status();
        out.println(
            "authentication " + (s.enabled() ? "enabled" : "disabled") + s.user().map(u -> "; you are " + u).orElse(""));
      }
      default -> throw new IllegalArgumentException("auth: usage: " + AUTH_USAGE);
    }
  }

  static void user(Args args, TernClient client, PrintStream out, Function<String, String> prompt) throws IOException {
    if (args.count() == 0) {
      throw new IllegalArgumentException("user: name a subcommand; usage: " + USER_USAGE);
    }
    AuthAdmin admin = client.auth();
    String sub = args.positional(0).text().toLowerCase(Locale.ROOT);
    switch (sub) {
      case "add", "passwd" -> {
        String file = args.option("--password-file");
        args.done(2, 3);
        String name = args.positional(1).text();
        String password = password(args, file, name, prompt);
        if (sub.equals("add")) {
          admin.addUser(name, password);
          out.println("user " + name + " added");
        } else {
          admin.changePassword(name, password);
          out.println("password of " + name + " changed");
        }
      }
      case "delete", "del" -> {
        args.done(2, 2);
        admin.deleteUser(args.positional(1).text());
        out.println("user " + args.positional(1).text() + " deleted");
      }
      case "grant-role", "revoke-role" -> {
        args.done(3, 3);
        String name = args.positional(1).text();
        String role = args.positional(2).text();
        if (sub.equals("grant-role")) {
          admin.grantRole(name, role);
          out.println("role " + role + " granted to " + name);
        } else {
          admin.revokeRole(name, role);
          out.println("role " + role + " revoked from " + name);
        }
      }
      case "list" -> {
        args.done(1, 1);
        admin.users().forEach(out::println);
      }
      case "get" -> {
        args.done(2, 2);
        UserInfo u = admin.user(args.positional(1).text());
        out.println("user " + u.name() + "; roles: " + (u.roles().isEmpty() ? "(none)" : String.join(", ", u.roles())));
      }
      default -> throw new IllegalArgumentException("user: unknown subcommand '" + sub + "'; usage: " + USER_USAGE);
    }
  }

  private static String password(Args args, String file, String name, Function<String, String> prompt) throws IOException {
    if (args.count() == 3) {
      if (file != null) {
        throw new IllegalArgumentException("user: give the password or --password-file, not both");
      }
      return args.positional(2).text();
    }
    if (file != null) {
      return readPasswordFile(Path.of(file));
    }
    String typed = prompt == null ? null : prompt.apply("password for " + name + ": ");
    if (typed == null || typed.isEmpty()) {
      throw new IllegalArgumentException("user: give a password (PASSWORD or --password-file FILE)");
    }
    return typed;
  }

  /** The first line of a password file, without its line end. */
  static String readPasswordFile(Path file) throws IOException {
    String content = Files.readString(file, StandardCharsets.UTF_8);
    int end = content.indexOf('\n');
    String line = end < 0 ? content : content.substring(0, end);
    if (line.endsWith("\r")) {
      line = line.substring(0, line.length() - 1);
    }
    if (line.isEmpty()) {
      throw new IllegalArgumentException("password file " + file + " is empty");
    }
    return line;
  }

  static void role(Args args, TernClient client, PrintStream out) {
    if (args.count() == 0) {
      throw new IllegalArgumentException("role: name a subcommand; usage: " + ROLE_USAGE);
    }
    AuthAdmin admin = client.auth();
    String sub = args.positional(0).text().toLowerCase(Locale.ROOT);
    switch (sub) {
      case "add" -> {
        args.done(2, 2);
        admin.addRole(args.positional(1).text());
        out.println("role " + args.positional(1).text() + " added");
      }
      case "delete", "del" -> {
        args.done(2, 2);
        admin.deleteRole(args.positional(1).text());
        out.println("role " + args.positional(1).text() + " deleted");
      }
      case "list" -> {
        args.done(1, 1);
        admin.roles().forEach(out::println);
      }
      case "get" -> {
        args.done(2, 2);
        RoleInfo r = admin.role(args.positional(1).text());
        out.println("role " + r.name() + (r.permissions().isEmpty() ? "; no permissions" : ":"));
        for (RolePermission p : r.permissions()) {
          out.println("  " + p.type().name().toLowerCase(Locale.ROOT) + " " + describe(p.keys()));
        }
      }
      case "grant" -> {
        byte[] prefix = args.option("--prefix") == null ? null : args.optionBytes("--prefix");
        args.done(prefix == null ? 4 : 3, prefix == null ? 5 : 3);
        String name = args.positional(1).text();
        PermissionType type = type(args.positional(2).text());
        KeyRange keys = keys(args, 3, prefix);
        admin.grantPermission(name, type, keys);
        out.println("role " + name + " may now " + type.name().toLowerCase(Locale.ROOT) + " " + describe(keys));
      }
      case "revoke" -> {
        byte[] prefix = args.option("--prefix") == null ? null : args.optionBytes("--prefix");
        args.done(prefix == null ? 3 : 2, prefix == null ? 4 : 2);
        String name = args.positional(1).text();
        KeyRange keys = keys(args, 2, prefix);
        admin.revokePermission(name, keys);
        out.println("permission of role " + name + " on " + describe(keys) + " revoked");
      }
      default -> throw new IllegalArgumentException("role: unknown subcommand '" + sub + "'; usage: " + ROLE_USAGE);
    }
  }

  private static KeyRange keys(Args args, int at, byte[] prefix) {
    if (prefix != null) {
      return prefix.length == 0 ? KeyRange.all() : KeyRange.prefix(prefix);
    }
    byte[] key = Values.parse(args.positional(at));
    if (args.count() > at + 1) {
      return KeyRange.between(key, Values.parse(args.positional(at + 1)));
    }
    return AuthAdmin.single(key);
  }

  private static PermissionType type(String s) {
    try {
      return PermissionType.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("role: permission type is read, write or readwrite, not '" + s + "'");
    }
  }

  static String describe(KeyRange keys) {
    if (keys.prefix().length > 0) {
      return "prefix " + Values.show(keys.prefix(), false);
    }
    byte[] start = keys.start();
    byte[] end = keys.end();
    if (start.length == 0 && end.length == 0) {
      return "every key";
    }
    if (end.length == start.length + 1 && end[start.length] == 0 && Arrays.equals(start, 0, start.length, end, 0, start.length)) {
      return "key " + Values.show(start, false);
    }
    return "keys from " + Values.show(start, false) + (end.length == 0 ? " on" : " to " + Values.show(end, false) + " (exclusive)");
  }
}
