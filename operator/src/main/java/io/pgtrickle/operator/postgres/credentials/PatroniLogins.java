package io.pgtrickle.operator.postgres.credentials;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/** The operator's login to the members' Patroni REST API, from the cluster's Secrets. Pure. */
public final class PatroniLogins {

  private PatroniLogins() {}

  /**
   * How to log in to the members' Patroni: the REST API user of the operator's record of applied
   * credentials (with the password members started before the last change still expect), or of the
   * replication Secret before that record exists; null when neither has one.
   */
  public static PatroniClient.Login of(Secret applied, Secret replication) {
    if (applied != null && applied.getData() != null) {
      Map<String, String> data = applied.getData();
      if (data.containsKey(AppliedCredentials.RESTAPI_USER)
          && data.containsKey(AppliedCredentials.RESTAPI_PASSWORD)) {
        return new PatroniClient.Login(
            decode(data.get(AppliedCredentials.RESTAPI_USER)),
            decode(data.get(AppliedCredentials.RESTAPI_PASSWORD)),
            AppliedCredentials.previousRestApiPassword(applied));
      }
    }
    if (replication == null || replication.getData() == null) {
      return null;
    }
    Map<String, String> data = replication.getData();
    if (!data.containsKey(ClusterSecrets.RESTAPI_USERNAME)
        || !data.containsKey(ClusterSecrets.RESTAPI_PASSWORD)) {
      return null;
    }
    return new PatroniClient.Login(
        decode(data.get(ClusterSecrets.RESTAPI_USERNAME)),
        decode(data.get(ClusterSecrets.RESTAPI_PASSWORD)),
        null);
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }
}
