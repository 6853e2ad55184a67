package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The cluster's generated credentials. Created once and never regenerated: the operator only
 * creates these Secrets, so a password survives every later reconcile, and a Secret the user
 * created beforehand under the same name is used as it is.
 */
public final class ClusterSecrets {

  public static final String USERNAME = "username";
  public static final String PASSWORD = "password";
  public static final String SUPERUSER = "postgres";
  public static final String REPLICATION_USER = "replicator";
  public static final String REWIND_USERNAME = "rewind-username";
  public static final String REWIND_PASSWORD = "rewind-password";
  public static final String REWIND_USER = "rewinder";
  public static final String RESTAPI_USERNAME = "restapi-username";
  public static final String RESTAPI_PASSWORD = "restapi-password";
  public static final String RESTAPI_USER = "patroni";

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Letters and digits only: safe in connection strings, URLs, YAML and shells. */
  private static final char[] ALPHABET =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".toCharArray();

  private ClusterSecrets() {}

  /** {@code NAME-credentials}: the superuser. */
  public static Secret credentials(PostgresCluster cluster) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(USERNAME, SUPERUSER);
    data.put(PASSWORD, password());
    return secret(cluster, ClusterNames.credentialsSecret(cluster), data);
  }

  /** {@code NAME-replication}: streaming replication, pg_rewind and Patroni's REST API users. */
  public static Secret replication(PostgresCluster cluster) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(USERNAME, REPLICATION_USER);
    data.put(PASSWORD, password());
    data.put(REWIND_USERNAME, REWIND_USER);
    data.put(REWIND_PASSWORD, password());
    data.put(RESTAPI_USERNAME, RESTAPI_USER);
    data.put(RESTAPI_PASSWORD, password());
    return secret(cluster, ClusterNames.replicationSecret(cluster), data);
  }

  /** 32 characters from a 57-letter alphabet: about 186 bits from SecureRandom. */
  static String password() {
    char[] chars = new char[32];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    return new String(chars);
  }

  private static Secret secret(PostgresCluster cluster, String name, Map<String, String> data) {
    return new SecretBuilder()
        .withMetadata(Metadata.of(cluster, name, "credentials"))
        .withType("Opaque")
        .withStringData(data)
        .build();
  }
}
