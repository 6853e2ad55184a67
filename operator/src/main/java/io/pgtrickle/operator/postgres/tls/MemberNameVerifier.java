package io.pgtrickle.operator.postgres.tls;

import java.util.Properties;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;
import org.postgresql.ssl.PGjdbcHostnameVerifier;

/**
 * The PostgreSQL driver's host name check for the operator's connections to members: the server's
 * certificate must carry the member's DNS name ({@link MemberJdbc#SERVER_NAME_PROPERTY}), whatever
 * address the connection went to (the operator connects by pod IP). The names are compared by the
 * driver's own verifier (subject alternative names, wildcards). The driver makes it by class name
 * ({@code sslhostnameverifier}) with the connection's properties.
 */
public final class MemberNameVerifier implements HostnameVerifier {

  private final String serverName;

  /**
   * @throws IllegalArgumentException when the properties carry no server name
   */
  public MemberNameVerifier(Properties info) {
    String name = info.getProperty(MemberJdbc.SERVER_NAME_PROPERTY);
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "no server name to verify (" + MemberJdbc.SERVER_NAME_PROPERTY + " not set)");
    }
    this.serverName = name;
  }

  /** Ignores the connected address; checks the certificate against the member's name. */
  @Override
  public boolean verify(String connectedHost, SSLSession session) {
    return PGjdbcHostnameVerifier.INSTANCE.verify(serverName, session);
  }
}
