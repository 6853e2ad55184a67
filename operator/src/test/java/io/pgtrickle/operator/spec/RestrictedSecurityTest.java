package io.pgtrickle.operator.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;
import org.junit.jupiter.api.Test;

class RestrictedSecurityTest {

  @Test
  void podContextMeetsTheRestrictedStandard() {
    PodSecurityContext pod = RestrictedSecurity.pod(999);
    assertThat(pod.getRunAsNonRoot()).isTrue();
    assertThat(pod.getRunAsUser()).isEqualTo(999L);
    assertThat(pod.getRunAsGroup()).isEqualTo(999L);
    assertThat(pod.getFsGroup()).isEqualTo(999L);
    assertThat(pod.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
  }

  @Test
  void containerContextMeetsTheRestrictedStandard() {
    SecurityContext c = RestrictedSecurity.container();
    assertThat(c.getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getRunAsNonRoot()).isTrue();
    assertThat(c.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(c.getPrivileged()).isNull();
  }

  @Test
  void rootIsRefused() {
    assertThatThrownBy(() -> RestrictedSecurity.pod(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-root");
  }

  @Test
  void eachCallReturnsItsOwnObject() {
    RestrictedSecurity.container().getCapabilities().getDrop().add("NET_RAW");
    assertThat(RestrictedSecurity.container().getCapabilities().getDrop()).containsExactly("ALL");
  }
}
