package io.pgtrickle.operator.postgres.tls;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.ClusterServices;
import java.util.Properties;
import java.util.function.Function;

/**
 * How the operator's own JDBC connections reach a member's PostgreSQL (setting passwords, making
 * the sidecars' roles, a StreamTableCluster's database by {@code clusterRef}), pure. The operator
 * connects by pod IP (no DNS needed), and with {@code spec.tls.enabled} it uses {@code
 * sslmode=verify-full}: the server's chain must lead to the cluster's CA ({@code ca.crt} of the
 * serving Secret: the operator's own, {@code certSecret}'s or cert-manager's, see {@link
 * ClusterTls#servingSecret}) and its certificate must name the member as {@code
 * POD.NAME-pods.NAMESPACE.svc} (what replicas check too). The driver gets both through {@link
 * CaSocketFactory} and {@link MemberNameVerifier}. Without TLS, {@code sslmode=prefer}.
 */
public final class MemberJdbc {

  /** Connection property: the CA certificates (PEM) the server's chain must lead to. */
  public static final String CA_PROPERTY = "pgtrickle.tls.ca";

  /** Connection property: the DNS name the server's certificate must carry. */
  public static final String SERVER_NAME_PROPERTY = "pgtrickle.tls.serverName";

  /** Raised when TLS is on and the serving Secret has no {@code ca.crt} to verify members by. */
  public static class NoCaException extends RuntimeException {
    public NoCaException(String message) {
      super(message);
    }
  }

  /**
   * A member to connect to: its pod IP, and with TLS the name its certificate must carry and the CA
   * (PEM); {@code caPem} is null without TLS.
   */
  public record Target(String podIp, String serverName, String caPem) {
    public boolean tls() {
      return caPem != null;
    }

    @Override
    public String toString() {
      return podIp + (tls() ? " (verify-full as " + serverName + ")" : "");
    }
  }

  private MemberJdbc() {}

  /**
   * The target for member {@code pod} at {@code podIp} of {@code cluster}; {@code secrets} looks
   * Secrets up by name in the cluster's namespace (null when missing).
   *
   * @throws NoCaException when TLS is on and the serving Secret or its {@code ca.crt} is missing
   */
  public static Target target(
      PostgresCluster cluster, String pod, String podIp, Function<String, Secret> secrets) {
    if (!ClusterTls.enabled(cluster)) {
      return new Target(podIp, null, null);
    }
    String secret = ClusterTls.servingSecret(cluster);
    String ca = ClusterTls.text(secrets.apply(secret), ClusterTls.CA);
    if (ca == null || ca.isBlank()) {
      throw new NoCaException(
          "spec.tls.enabled: Secret \""
              + secret
              + "\" has no ca.crt, so the operator cannot verify "
              + pod
              + " (it connects with sslmode=verify-full against the cluster's CA); it connects"
              + " once the Secret has one");
    }
    return new Target(podIp, ClusterTls.memberHost(cluster, pod), ca);
  }

  /** The JDBC URL of {@code database} on the target's PostgreSQL port. */
  public static String url(Target target, String database) {
    return "jdbc:postgresql://"
        + target.podIp()
        + ":"
        + ClusterServices.POSTGRES_PORT
        + "/"
        + database;
  }

  /**
   * The driver's properties: login, timeouts (seconds), {@code ApplicationName pg-trickle-operator}
   * and the TLS settings of the target.
   */
  public static Properties properties(
      Target target, String user, String password, int connectTimeout, int socketTimeout) {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("connectTimeout", Integer.toString(connectTimeout));
    props.setProperty("socketTimeout", Integer.toString(socketTimeout));
    props.setProperty("ApplicationName", "pg-trickle-operator");
    tls(target, props);
    return props;
  }

  /**
   * Sets the target's TLS settings in {@code props}: {@code sslmode=verify-full} with the CA and
   * name checks, or {@code sslmode=prefer} without TLS.
   */
  public static void tls(Target target, Properties props) {
    if (target.tls()) {
      props.setProperty("sslmode", "verify-full");
      props.setProperty("sslfactory", CaSocketFactory.class.getName());
      props.setProperty("sslhostnameverifier", MemberNameVerifier.class.getName());
      props.setProperty(CA_PROPERTY, target.caPem());
      props.setProperty(SERVER_NAME_PROPERTY, target.serverName());
    } else {
      props.setProperty("sslmode", "prefer");
    }
  }
}
