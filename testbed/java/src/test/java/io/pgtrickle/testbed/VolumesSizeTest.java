package io.pgtrickle.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VolumesSizeTest {

  @AfterEach
  void unset() {
    System.clearProperty("testbed.volumesSize");
  }

  @Test
  void fourGigabytesUnlessTheSystemPropertySaysOtherwise() {
    assertThat(PodHost.volumesSize()).isEqualTo("4g");
    System.setProperty("testbed.volumesSize", " 8g ");
    assertThat(PodHost.volumesSize()).isEqualTo("8g");
    System.setProperty("testbed.volumesSize", "8589934592");
    assertThat(PodHost.volumesSize()).isEqualTo("8589934592");
  }

  @Test
  void anythingButASizeTmpfsTakesIsRefusedNamingTheProperty() {
    for (String bad : new String[] {"", "0", "8G", "8gb", "-1g", "8g,mode=0777", "50%"}) {
      System.setProperty("testbed.volumesSize", bad);
      assertThatThrownBy(PodHost::volumesSize)
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("testbed.volumesSize");
    }
  }
}
