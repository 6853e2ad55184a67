package io.pgtrickle.adapter.auth;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code kube-system/extension-apiserver-authentication} with an informer (the adapter's
 * RoleBinding to {@code extension-apiserver-authentication-reader} allows exactly this ConfigMap),
 * so a rotated front-proxy CA is trusted without a restart. Also the TLS trust manager: a client
 * certificate is accepted in the handshake when it chains to the front-proxy CA or the client CA;
 * which of them it is, and what that means, {@link Authenticator} decides per request.
 */
public final class FrontProxyWatch extends X509ExtendedTrustManager implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FrontProxyWatch.class);

  private volatile FrontProxyConfig config = FrontProxyConfig.NONE;
  private volatile boolean loaded;
  private volatile String lastError = "not read yet";
  private SharedIndexInformer<ConfigMap> informer;

  /**
   * Starts following the ConfigMap.
   *
   * @param client the Kubernetes client
   */
  public void start(KubernetesClient client) {
    informer =
        client
            .configMaps()
            .inNamespace(FrontProxyConfig.NAMESPACE)
            .withName(FrontProxyConfig.CONFIG_MAP)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(ConfigMap cm) {
                    apply(cm);
                  }

                  @Override
                  public void onUpdate(ConfigMap old, ConfigMap cm) {
                    apply(cm);
                  }

                  @Override
                  public void onDelete(ConfigMap cm, boolean unknownFinalState) {
                    LOG.warn(
                        "{}/{} was deleted: keeping the last configuration",
                        FrontProxyConfig.NAMESPACE,
                        FrontProxyConfig.CONFIG_MAP);
                  }
                });
  }

  /** Uses a configuration directly (tests). */
  public void apply(FrontProxyConfig c) {
    config = c;
    loaded = true;
    lastError = null;
  }

  private void apply(ConfigMap cm) {
    try {
      FrontProxyConfig c =
          FrontProxyConfig.fromConfigMap(cm.getData() == null ? Map.of() : cm.getData());
      apply(c);
      LOG.info(
          "front proxy: {} requestheader CA(s), allowed names {}, user headers {}, {} client CA(s)",
          c.requestHeaderCa().cas().size(),
          c.allowedNames(),
          c.usernameHeaders(),
          c.clientCa().cas().size());
      if (c.requestHeaderCa().cas().isEmpty()) {
        LOG.warn(
            "kube-apiserver has no --requestheader-client-ca-file: aggregated requests can only be"
                + " authenticated by the client CA, as the front proxy's own user");
      }
    } catch (IllegalArgumentException e) {
      lastError = e.getMessage();
      LOG.error("cannot use {}: {}", FrontProxyConfig.CONFIG_MAP, e.getMessage());
    }
  }

  public FrontProxyConfig config() {
    return config;
  }

  /** Whether the ConfigMap has been read. */
  public boolean loaded() {
    return loaded;
  }

  /** Why it is not loaded, or null. */
  public String lastError() {
    return lastError;
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.close();
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    FrontProxyConfig c = config;
    Date now = new Date();
    if (c.requestHeaderCa().accepts(chain, now)) {
      return;
    }
    c.clientCa().verify(chain, now);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a server's trust manager verifies no servers");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return config.allCas().toArray(X509Certificate[]::new);
  }
}
