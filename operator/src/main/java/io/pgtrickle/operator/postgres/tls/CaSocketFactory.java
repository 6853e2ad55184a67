package io.pgtrickle.operator.postgres.tls;

import java.util.Properties;
import org.postgresql.ssl.WrappedFactory;

/**
 * The PostgreSQL driver's TLS socket factory for the operator's connections to members: trusts
 * exactly the CA of {@link MemberJdbc#CA_PROPERTY} (see {@link ClusterTrust}). The driver makes it
 * by class name ({@code sslfactory}) with the connection's properties.
 */
public final class CaSocketFactory extends WrappedFactory {

  /**
   * @throws IllegalArgumentException when the properties carry no CA certificate
   */
  public CaSocketFactory(Properties info) {
    String ca = info.getProperty(MemberJdbc.CA_PROPERTY);
    if (ca == null || ca.isBlank()) {
      throw new IllegalArgumentException(
          "no CA to verify the server by (" + MemberJdbc.CA_PROPERTY + " not set)");
    }
    this.factory = ClusterTrust.context(ca).getSocketFactory();
  }
}
