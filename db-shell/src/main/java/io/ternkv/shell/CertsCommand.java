package io.ternkv.shell;

import io.ternkv.shell.certs.DevCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tern certs}: a development CA and TLS certificates for a cluster. */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Creates a development PKI for a TLS cluster as PEM files in --out: a client-port CA",
      "(ca.pem), a Raft CA (peer-ca.pem), per node ID.pem/ID-key.pem (client port) and",
      "ID-peer.pem/ID-peer-key.pem (Raft port), and client.pem/client-key.pem. CAs already in",
      "--out are reused, so running it again adds nodes or renews their certificates.",
      "Certificates are valid for localhost, 127.0.0.1, the node id and --hosts.",
      "For development and tests; see docs/security.md for your own CA.",
      "Example: tern certs --out certs --nodes n1,n2,n3"
    })
final class CertsCommand implements Callable<Integer> {
  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the files (created if missing).")
  Path out;

  @Option(names = "--nodes", required = true, paramLabel = "IDS", description = "Node ids, comma-separated.")
  String nodes;

  @Option(names = "--hosts", paramLabel = "NAMES", description = "More host names or IP addresses for every node certificate, comma-separated.")
  String hosts = "";

  @Option(names = "--days", paramLabel = "N", description = "Validity of node and client certificates in days; CAs get ten times as long (default: ${DEFAULT-VALUE}).")
  int days = 365;

  @ParentCommand Tern parent;

  @Override
  public Integer call() throws Exception {
    List<Path> files =
        new DevCertificates(out, Duration.ofDays(days)).create(split(nodes), split(hosts));
    for (Path f : files) {
      parent.out.println("wrote " + f);
    }
    return 0;
  }

  private static List<String> split(String list) {
    return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
