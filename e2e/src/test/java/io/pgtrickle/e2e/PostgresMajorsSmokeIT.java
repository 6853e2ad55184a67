package io.pgtrickle.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bootstrap and one crash failover on each PostgreSQL major the HA suite does not run in full
 * ({@code -Dit.pg.smoke.versions}, default 14,16,17,18; the full suite runs on {@code
 * -Dit.pg.version}, default 15). {@code make test-ha-matrix} runs the full suite on every major.
 */
class PostgresMajorsSmokeIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  static IntStream majors() {
    return Arrays.stream(System.getProperty("it.pg.smoke.versions", "14,16,17,18").split(","))
        .map(String::trim)
        .filter(v -> !v.isEmpty())
        .mapToInt(Integer::parseInt);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("majors")
  void bootstrapsStreamsAndFailsOver(int major) {
    try (HaCluster ha =
        HaCluster.start(NAMESPACE.testBed(), NAMESPACE.name(), "pg" + major, major, true)) {
      ha.awaitReplicationHealthy(Duration.ofSeconds(120));
      assertThat(ha.queryLong("select current_setting('server_version_num')::int / 10000"))
          .isEqualTo(major);
      ha.secondsUntilWritable("create table acked (id int primary key)");
      ha.secondsUntilWritable("insert into acked values (1)");
      String old = ha.primaryPod();
      ha.pods().crash(old);
      double seconds = ha.secondsUntilWritable("insert into acked values (2)");
      System.out.printf("PostgreSQL %d: crash recovery %.2f s%n", major, seconds);
      ha.awaitReplicationHealthy(Duration.ofSeconds(120));
      assertThat(ha.queryLong("select count(*) from acked")).isEqualTo(2);
    }
  }
}
