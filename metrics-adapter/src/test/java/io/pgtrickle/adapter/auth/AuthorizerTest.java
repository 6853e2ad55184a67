package io.pgtrickle.adapter.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.adapter.custommetrics.ApiPaths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthorizerTest {

  private static final UserInfo HPA =
      new UserInfo(
          "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
          List.of("system:serviceaccounts", "system:authenticated"),
          Map.of("k", List.of("v")));

  @Test
  void aMetricIsAGetOnTheSubresourceOfTheObjects() {
    var a =
        AccessAttributes.of(
            ApiPaths.parse(
                "/apis/custom.metrics.k8s.io/v1beta2/namespaces/prod/pods/*/pg_trickle_worker_cpu_percent",
                "labelSelector=a%3Db"));
    var spec = Authorizer.review(HPA, a).getSpec();
    assertThat(spec.getUser()).isEqualTo(HPA.name());
    assertThat(spec.getGroups()).isEqualTo(HPA.groups());
    assertThat(spec.getExtra()).isEqualTo(HPA.extra());
    assertThat(spec.getNonResourceAttributes()).isNull();
    var r = spec.getResourceAttributes();
    assertThat(
            List.of(
                r.getNamespace(),
                r.getVerb(),
                r.getGroup(),
                r.getVersion(),
                r.getResource(),
                r.getSubresource(),
                r.getName()))
        .containsExactly(
            "prod",
            "get",
            "custom.metrics.k8s.io",
            "v1beta2",
            "pods",
            "pg_trickle_worker_cpu_percent",
            "*");
  }

  @Test
  void discoveryIsANonResourcePath() {
    var a = AccessAttributes.of(ApiPaths.parse("/apis/custom.metrics.k8s.io/v1beta1", null));
    var spec = Authorizer.review(HPA, a).getSpec();
    assertThat(spec.getResourceAttributes()).isNull();
    assertThat(spec.getNonResourceAttributes().getPath())
        .isEqualTo("/apis/custom.metrics.k8s.io/v1beta1");
    assertThat(spec.getNonResourceAttributes().getVerb()).isEqualTo("get");
    assertThat(a.describe()).isEqualTo("get path \"/apis/custom.metrics.k8s.io/v1beta1\"");
  }
}
