package io.ternkv.server.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Principal;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager holding one certificate chain and its key, read from PEM files and replaced when
 * {@link #reloadIfChanged} finds the files changed. Each loaded pair gets a new alias, and the
 * previous pair stays answerable under its alias, so a handshake that picked an alias just before
 * a reload still gets a matching chain and key.
 *
 * <p>Threading: thread-safe; handshakes read volatile snapshots.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final AtomicLong GENERATION = new AtomicLong();

  private record Material(String alias, X509Certificate[] chain, PrivateKey key, FileStamp stamp) {}

  private final String name;
  private final Path certFile;
  private final Path keyFile;
  private volatile Material current;
  private volatile Material previous;

  private ReloadingKeyManager(String name, Path certFile, Path keyFile, Material first) {
    this.name = name;
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.current = first;
  }

  /**
   * Reads the certificate and key.
   *
   * @param name what the pair is for, used in alias and messages (e.g. {@code client})
   * @throws IOException naming the file when a file cannot be read, does not parse, or the key
   *     does not belong to the certificate
   */
  public static ReloadingKeyManager load(String name, Path certFile, Path keyFile) throws IOException {
    return new ReloadingKeyManager(name, certFile, keyFile, read(name, certFile, keyFile));
  }

  private static Material read(String name, Path certFile, Path keyFile) throws IOException {
    FileStamp stamp = FileStamp.of(certFile, keyFile);
    List<X509Certificate> chain = Pem.certificates(certFile);
    PrivateKey key = Pem.privateKey(keyFile);
    if (!Keys.matches(chain.get(0).getPublicKey(), key)) {
      throw new IOException(keyFile + " is not the private key of the certificate in " + certFile);
    }
    return new Material(
        name + "-" + GENERATION.incrementAndGet(), chain.toArray(X509Certificate[]::new), key, stamp);
  }

  /**
   * Reads the files again if they changed since the last successful read.
   *
   * @return true when new material is in use
   * @throws IOException when they changed but cannot be used (the old material stays in use)
   */
  public boolean reloadIfChanged() throws IOException {
    if (FileStamp.of(certFile, keyFile).equals(current.stamp())) {
      return false;
    }
    Material next = read(name, certFile, keyFile);
    previous = current;
    current = next;
    return true;
  }

  /** The certificate currently presented. */
  public X509Certificate certificate() {
    return current.chain()[0];
  }

  private String aliasFor(String keyType) {
    Material m = current;
    String algorithm = m.key().getAlgorithm();
    // TLS 1.2 may ask for "EC_EC" or "EC_RSA": the part before '_' is the key's algorithm.
    String wanted = keyType.toUpperCase(Locale.ROOT);
    int underscore = wanted.indexOf('_');
    if (underscore > 0) {
      wanted = wanted.substring(0, underscore);
    }
    boolean fits =
        wanted.equals(algorithm.toUpperCase(Locale.ROOT))
            || (wanted.equals("EDDSA") && algorithm.startsWith("Ed"));
    return fits ? m.alias() : null;
  }

  private Material byAlias(String alias) {
    Material m = current;
    if (m.alias().equals(alias)) {
      return m;
    }
    Material p = previous;
    return p != null && p.alias().equals(alias) ? p : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return chooseClientAlias(keyTypes, issuers, null);
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return Arrays.stream(keyTypes).map(this::aliasFor).filter(a -> a != null).findFirst().orElse(null);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String a = aliasFor(keyType);
    return a == null ? null : new String[] {a};
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return getServerAliases(keyType, issuers);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Material m = byAlias(alias);
    return m == null ? null : m.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Material m = byAlias(alias);
    return m == null ? null : m.key();
  }
}
