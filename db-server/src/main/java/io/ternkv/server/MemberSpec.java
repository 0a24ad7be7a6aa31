package io.ternkv.server;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One member of the cluster: its node id, client (gRPC) address and peer (Raft) address.
 *
 * @param id node id: letters, digits, '-' and '_', at most 64 characters
 * @param clientAddress where clients reach the node
 * @param raftAddress where the other members reach the node's Raft service
 */
public record MemberSpec(String id, HostPort clientAddress, HostPort raftAddress) {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** Validates the fields. */
  public MemberSpec {
    checkId(id);
    if (clientAddress == null || raftAddress == null) {
      throw new IllegalArgumentException("member " + id + " needs a client and a raft address");
    }
  }

  /**
   * Checks a node id.
   *
   * @throws IllegalArgumentException when the id is empty, too long or has other characters
   */
  public static void checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "node id '" + id + "' must be 1-64 letters, digits, '-' or '_'");
    }
  }

  /**
   * Parses {@code id=clientHost:port/raftHost:port}.
   *
   * @throws IllegalArgumentException naming the text when it is not of that form
   */
  public static MemberSpec parse(String text) {
    int eq = text.indexOf('=');
    int slash = text.indexOf('/', eq + 1);
    if (eq <= 0 || slash < 0) {
      throw new IllegalArgumentException(
          "member '" + text + "' is not of the form id=clientHost:port/raftHost:port");
    }
    return new MemberSpec(
        text.substring(0, eq).trim(),
        HostPort.parse(text.substring(eq + 1, slash)),
        HostPort.parse(text.substring(slash + 1)));
  }

  /**
   * Parses a comma-separated member list and checks that ids and addresses are unique.
   *
   * @throws IllegalArgumentException naming the first bad or duplicate member
   */
  public static List<MemberSpec> parseList(String text) {
    List<MemberSpec> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(parse(part.trim()));
      }
    }
    checkUnique(out);
    return List.copyOf(out);
  }

  /**
   * Checks that no two members share an id or an address.
   *
   * @throws IllegalArgumentException naming the duplicate
   */
  public static void checkUnique(List<MemberSpec> members) {
    Set<String> ids = new HashSet<>();
    Set<HostPort> addresses = new HashSet<>();
    for (MemberSpec m : members) {
      if (!ids.add(m.id())) {
        throw new IllegalArgumentException("member id '" + m.id() + "' appears twice");
      }
      for (HostPort a : List.of(m.clientAddress(), m.raftAddress())) {
        if (!addresses.add(a)) {
          throw new IllegalArgumentException("address " + a + " is used twice");
        }
      }
    }
  }

  @Override
  public String toString() {
    return id + "=" + clientAddress + "/" + raftAddress;
  }
}
