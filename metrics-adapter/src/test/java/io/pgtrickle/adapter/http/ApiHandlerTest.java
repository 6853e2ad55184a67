package io.pgtrickle.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.adapter.auth.AuthenticatorTest;
import io.pgtrickle.adapter.auth.Authorizer;
import io.pgtrickle.adapter.custommetrics.ApiException;
import io.pgtrickle.adapter.custommetrics.MetricValue;
import io.pgtrickle.adapter.tls.KeyAndChain;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiHandlerTest {

  private static final String LAG =
      "/apis/custom.metrics.k8s.io/v1beta2/namespaces/prod/streamtableclusters.trickle-labs.io/orders/pg_trickle_cdc_lag_p95_ms";

  private final List<String> asked = new ArrayList<>();

  private final ApiHandler handler =
      new ApiHandler(
          () -> AuthenticatorTest.CONFIG,
          (user, a) -> {
            asked.add(user.name() + " " + a.describe());
            return new Authorizer.Decision(!user.name().equals("mallory"), "no RBAC rule");
          },
          q -> {
            if (!q.name().equals("orders")) {
              throw ApiException.notFound(
                  "streamtableclusters.trickle-labs.io \"" + q.name() + "\" not found");
            }
            return List.of(
                new MetricValue(
                    new MetricValue.DescribedObject(
                        "trickle-labs.io/v1alpha1", "StreamTableCluster", "prod", "orders"),
                    q.metric(),
                    250,
                    Instant.parse("2026-11-30T12:00:00Z"),
                    60L));
          });

  private static X509Certificate[] frontProxy() {
    return AuthenticatorTest.FRONT_PROXY_CA
        .issueClient("CN=front-proxy-client", Duration.ofHours(1))
        .chain()
        .toArray(X509Certificate[]::new);
  }

  private static Map<String, List<String>> as(String user) {
    return Map.of("X-Remote-User", List.of(user), "X-Remote-Group", List.of("g"));
  }

  private ApiHandler.Response get(
      String path, X509Certificate[] chain, Map<String, List<String>> h) {
    int q = path.indexOf('?');
    return handler.handle(
        new ApiHandler.Request(
            "GET",
            q < 0 ? path : path.substring(0, q),
            q < 0 ? null : path.substring(q + 1),
            chain,
            h));
  }

  @Test
  void anAuthorizedUserGetsTheValue() {
    var r = get(LAG, frontProxy(), as("system:kube-controller-manager"));
    assertThat(r.code()).isEqualTo(200);
    assertThat(r.body().at("/items/0/value").asText()).isEqualTo("250");
    assertThat(r.kind()).isEqualTo("object");
    assertThat(asked)
        .containsExactly(
            "system:kube-controller-manager get resource \"streamtableclusters.trickle-labs.io/pg_trickle_cdc_lag_p95_ms\""
                + " in API group \"custom.metrics.k8s.io\" in the namespace \"prod\"");
  }

  @Test
  void withoutACertificateIs401AndNothingIsAsked() {
    var r = get(LAG, null, as("system:masters"));
    assertThat(r.code()).isEqualTo(401);
    assertThat(r.body().get("reason").asText()).isEqualTo("Unauthorized");
    assertThat(asked).isEmpty();
  }

  @Test
  void anUnauthorizedUserIs403() {
    var r = get(LAG, frontProxy(), as("mallory"));
    assertThat(r.code()).isEqualTo(403);
    assertThat(r.body().get("kind").asText()).isEqualTo("Status");
    assertThat(r.body().get("message").asText())
        .startsWith("user \"mallory\" cannot get resource")
        .endsWith(": no RBAC rule");
  }

  @Test
  void headersOfAPlainClientAreIgnored() {
    X509Certificate[] alice =
        AuthenticatorTest.CLIENT_CA
            .issueClient("CN=mallory", Duration.ofHours(1))
            .chain()
            .toArray(X509Certificate[]::new);
    var r = get(LAG, alice, as("system:kube-controller-manager"));
    assertThat(r.code()).isEqualTo(403);
    assertThat(asked).allMatch(a -> a.startsWith("mallory "));
  }

  @Test
  void unknownObjectsAndPathsAre404() {
    assertThat(get(LAG.replace("/orders/", "/nope/"), frontProxy(), as("u")).code()).isEqualTo(404);
    var r = get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/prod/pods", frontProxy(), as("u"));
    assertThat(r.code()).isEqualTo(404);
    assertThat(r.body().get("reason").asText()).isEqualTo("NotFound");
    // ...but only to who may read the path.
    assertThat(get("/apis/custom.metrics.k8s.io/v9", frontProxy(), as("mallory")).code())
        .isEqualTo(403);
  }

  @Test
  void discoveryAndItsFallbackUserWithoutGroups() {
    var r =
        get(
            "/apis/custom.metrics.k8s.io/v1beta2",
            frontProxy(),
            Map.of("X-Remote-User", List.of("system:kube-aggregator")));
    assertThat(r.code()).isEqualTo(200);
    assertThat(r.body().get("kind").asText()).isEqualTo("APIResourceList");
    assertThat(get("/apis", frontProxy(), as("u")).body().get("kind").asText())
        .isEqualTo("APIGroupList");
  }

  @Test
  void onlyGet() {
    var r = handler.handle(new ApiHandler.Request("POST", LAG, null, frontProxy(), as("u")));
    assertThat(r.code()).isEqualTo(405);
  }

  @SuppressWarnings("unused")
  private static String pem(KeyAndChain k) {
    return k.chainPem();
  }

  @Test
  void aPodStartingIsA503LoggedAtInfoOtherServerFailuresWarn() {
    ApiException starting = ApiException.starting("pod prod/orders-cdc-0 is unreachable");
    assertThat(starting.code()).isEqualTo(503);
    assertThat(starting.reason()).isEqualTo("ServiceUnavailable");
    assertThat(ApiHandler.warns(starting)).as("expected while the pipeline starts").isFalse();
    assertThat(ApiHandler.warns(ApiException.unavailable("a ready pod is unreachable"))).isTrue();
    assertThat(ApiHandler.warns(ApiException.notFound("no such stream table cluster"))).isFalse();
  }
}
