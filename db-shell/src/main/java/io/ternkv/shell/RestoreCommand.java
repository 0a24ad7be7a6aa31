package io.ternkv.shell;

import io.ternkv.server.MemberSpec;
import io.ternkv.server.Restore;
import io.ternkv.server.ServerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tern restore FILE --data-dir DIR --id ID --members LIST}. */
@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    description = {
      "Builds a new node's data directory from a backup (the shell's 'backup FILE'), so that a",
      "fresh cluster starts with the backup's keys, leases, revision and history. Restore the",
      "same file for every node of the new cluster, then start each with 'tern server' and the",
      "same --id, --data-dir and --members. The file is checked completely first: a corrupted or",
      "truncated backup is refused and nothing is written. DIR must not exist or be empty."
    })
final class RestoreCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "The backup file.")
  Path file;

  @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "The new node's data directory.")
  Path dataDir;

  @Option(names = "--id", required = true, paramLabel = "ID", description = "The new node's id; must be one of --members.")
  String id;

  @Option(
      names = "--members",
      required = true,
      paramLabel = "LIST",
      description = "The new cluster's members, id=clientHost:port/raftHost:port, comma-separated.")
  String members;

  @picocli.CommandLine.ParentCommand Tern parent;

  @Override
  public Integer call() throws Exception {
    List<MemberSpec> list = MemberSpec.parseList(members);
    MemberSpec.checkUnique(list);
    ServerConfig config = ServerConfig.builder().nodeId(id).members(list).dataDir(dataDir).build();
    parent.err.println("restoring " + file + " into " + dataDir + " ...");
    Restore.Result r = Restore.restore(file, config);
    parent.out.printf(
        "restored revision %d (%,d keys) into %s%nstart it with: tern server --id %s --data-dir %s --members %s%n",
        r.revision(), r.keys(), dataDir, id, dataDir, members);
    return 0;
  }
}
