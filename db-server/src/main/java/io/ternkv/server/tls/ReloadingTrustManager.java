package io.ternkv.server.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager that trusts the certificates in a PEM file (the CA), with the JDK's PKIX
 * validation and, on the client side, its host name check, and that re-reads the file when {@link
 * #reloadIfChanged} finds it changed.
 *
 * <p>Threading: thread-safe.
 */
public final class ReloadingTrustManager extends X509ExtendedTrustManager {
  private record Material(X509ExtendedTrustManager delegate, FileStamp stamp) {}

  /** At most one refusal report per this many nanoseconds, so a peer retrying does not flood the log. */
  private static final long REPORT_EVERY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

  private final Path caFile;
  private volatile Material current;
  private volatile java.util.function.Consumer<String> refusals = s -> {};
  private final java.util.concurrent.atomic.AtomicLong lastReport = new java.util.concurrent.atomic.AtomicLong();

  private ReloadingTrustManager(Path caFile, Material first) {
    this.caFile = caFile;
    this.current = first;
  }

  /**
   * Trusts the certificates in {@code caFile}.
   *
   * @throws IOException naming the file when it cannot be read or holds no certificate
   */
  public static ReloadingTrustManager load(Path caFile) throws IOException {
    return new ReloadingTrustManager(caFile, read(caFile));
  }

  private static Material read(Path caFile) throws IOException {
    FileStamp stamp = FileStamp.of(caFile);
    List<X509Certificate> cas = Pem.certificates(caFile);
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      for (TrustManager tm : f.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          return new Material(x, stamp);
        }
      }
      throw new IOException("the JDK offers no X509ExtendedTrustManager");
    } catch (GeneralSecurityException e) {
      throw new IOException(caFile + ": cannot trust these certificates: " + e.getMessage(), e);
    }
  }

  /**
   * Reads the CA file again if it changed since the last successful read.
   *
   * @return true when the new certificates are trusted from now on
   * @throws IOException when it changed but cannot be used (the old trust stays)
   */
  public boolean reloadIfChanged() throws IOException {
    if (FileStamp.of(caFile).equals(current.stamp())) {
      return false;
    }
    current = read(caFile);
    return true;
  }

  /**
   * Tells {@code report} about refused client certificates (subject, issuer and why), at most once
   * every ten seconds.
   */
  public void reportRefusalsTo(java.util.function.Consumer<String> report) {
    this.refusals = report;
  }

  private CertificateException refused(X509Certificate[] chain, CertificateException e) {
    long now = System.nanoTime();
    long last = lastReport.get();
    if ((last == 0 || now - last >= REPORT_EVERY_NANOS) && lastReport.compareAndSet(last, now == 0 ? 1 : now)) {
      String who =
          chain == null || chain.length == 0
              ? "an empty certificate chain"
              : chain[0].getSubjectX500Principal().getName() + " issued by " + chain[0].getIssuerX500Principal().getName();
      refusals.accept(who + ": " + e.getMessage());
    }
    return e;
  }

  private X509ExtendedTrustManager d() {
    return current.delegate();
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    try {
      d().checkClientTrusted(chain, authType, socket);
    } catch (CertificateException e) {
      throw refused(chain, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    d().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      d().checkClientTrusted(chain, authType, engine);
    } catch (CertificateException e) {
      throw refused(chain, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    d().checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    try {
      d().checkClientTrusted(chain, authType);
    } catch (CertificateException e) {
      throw refused(chain, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    d().checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return d().getAcceptedIssuers();
  }
}
