package io.pgtrickle.operator.postgres.tls;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.spec.ClusterServices;
import java.util.Properties;
import java.util.function.Function;

/**
 * How the operator's own JDBC connections reach a member's PostgreSQL (setting passwords, making
 * the sidecars' roles, a StreamTableCluster's database by {@code clusterRef}), pure. The operator
 * connects by pod IP (no DNS needed). To a member that serves TLS (its pod mounts the serving
 * Secret, see {@link ServedTls}) it uses {@code sslmode=verify-full}: the server's chain must lead
 * to the member's CA ({@link ServedTls#ca}: {@code ca.crt} of the Secret it mounts, the operator's
 * own, {@code certSecret}'s or cert-manager's) and its certificate must name the member as {@code
 * POD.NAME-pods.NAMESPACE.svc} (what replicas check too). The driver gets both through {@link
 * CaSocketFactory} and {@link MemberNameVerifier}. To a member that serves no TLS, {@code
 * sslmode=prefer}: one started before TLS was turned on has SSL off until its restart. Before, the
 * spec decided, and while TLS was turned on or off the operator could not reach the members still
 * on the old template (verify-full to a server without SSL, or no TLS where pg_hba asked for {@code
 * hostssl}).
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
   * A member to connect to: its pod IP, and with verified TLS the name its certificate must carry
   * and the CA (PEM); {@code caPem} is null otherwise. {@code sslmode} is the driver's: {@code
   * verify-full} with a CA, {@code require} for a member serving TLS with no CA known after TLS was
   * turned off, {@code prefer} for one serving no TLS.
   */
  public record Target(String podIp, String serverName, String caPem, String sslmode) {

    /** Verified TLS with {@code caPem}, or {@code prefer} without one. */
    public Target(String podIp, String serverName, String caPem) {
      this(podIp, serverName, caPem, caPem == null ? "prefer" : "verify-full");
    }

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
   * The target for {@code member} of {@code cluster}, see {@link #target(PostgresCluster, String,
   * String, String, Function)}.
   */
  public static Target target(
      PostgresCluster cluster, Member member, Function<String, Secret> secrets) {
    return target(cluster, member.name(), member.podIp(), member.tlsSecret(), secrets);
  }

  /**
   * The target for member {@code pod} at {@code podIp} of {@code cluster}, whose pod mounts {@code
   * mountedSecret} as its serving certificate (null: created without TLS); {@code secrets} looks
   * Secrets up by name in the cluster's namespace (null when missing).
   *
   * @throws NoCaException when the member serves TLS, TLS is on, and no {@code ca.crt} is known to
   *     verify it by
   */
  public static Target target(
      PostgresCluster cluster,
      String pod,
      String podIp,
      String mountedSecret,
      Function<String, Secret> secrets) {
    if (mountedSecret == null) {
      return new Target(podIp, null, null);
    }
    String ca = ServedTls.ca(cluster, mountedSecret, secrets);
    if (ca != null) {
      return new Target(podIp, ClusterTls.memberHost(cluster, pod), ca);
    }
    if (!ClusterTls.enabled(cluster)) {
      // TLS turned off, the member still serves it (and pg_hba may ask for hostssl), no CA left:
      // encrypted without verification, no weaker than the prefer the spec asks for.
      return new Target(podIp, null, null, "require");
    }
    throw new NoCaException(
        "spec.tls.enabled: Secret \""
            + mountedSecret
            + "\" has no ca.crt, so the operator cannot verify "
            + pod
            + " (it connects with sslmode=verify-full against the cluster's CA); it connects"
            + " once the Secret has one");
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
   * name checks, or the target's {@code require} or {@code prefer}.
   */
  public static void tls(Target target, Properties props) {
    if (target.tls()) {
      props.setProperty("sslmode", "verify-full");
      props.setProperty("sslfactory", CaSocketFactory.class.getName());
      props.setProperty("sslhostnameverifier", MemberNameVerifier.class.getName());
      props.setProperty(CA_PROPERTY, target.caPem());
      props.setProperty(SERVER_NAME_PROPERTY, target.serverName());
    } else {
      props.setProperty("sslmode", target.sslmode());
    }
  }
}
