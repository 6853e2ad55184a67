package io.pgtrickle.worker.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.Lsn;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestRequestsTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void theLowestRequestNotReachedPacesTheIngest() {
    IngestRequests r = new IngestRequests(30 * SECOND);
    r.add(List.of(Lsn.parse("0/300"), Lsn.parse("0/100"), Lsn.parse("0/200")), 0);
    assertThat(r.lowest(0)).isEqualTo(Lsn.parse("0/100"));
    assertThat(r.highest(0)).isEqualTo(Lsn.parse("0/300"));
    // One source at 0/250, the other at 0/180: only 0/100 is reached by both.
    r.reached(Map.of(1L, Lsn.parse("0/250"), 2L, Lsn.parse("0/180")));
    assertThat(r.lowest(0)).isEqualTo(Lsn.parse("0/200"));
    r.reached(Map.of(1L, Lsn.parse("0/300"), 2L, Lsn.parse("0/300")));
    assertThat(r.lowest(0)).isNull();
  }

  @Test
  void aSourceNotIngestedYetReachesNothing() {
    IngestRequests r = new IngestRequests(30 * SECOND);
    r.add(List.of(Lsn.parse("0/100")), 0);
    Map<Long, Lsn> ingested = new HashMap<>();
    ingested.put(1L, Lsn.parse("0/900"));
    ingested.put(2L, null);
    r.reached(ingested);
    assertThat(r.lowest(0)).isEqualTo(Lsn.parse("0/100"));
  }

  @Test
  void withNoCapturedSourceNothingIsWaitedFor() {
    IngestRequests r = new IngestRequests(30 * SECOND);
    r.add(List.of(Lsn.parse("0/100")), 0);
    r.reached(Map.of());
    assertThat(r.highest(0)).isNull();
  }

  @Test
  void requestsExpire() {
    IngestRequests r = new IngestRequests(30 * SECOND);
    r.add(List.of(Lsn.parse("0/100")), 0);
    r.add(List.of(Lsn.parse("0/200")), 10 * SECOND);
    assertThat(r.lowest(30 * SECOND)).isEqualTo(Lsn.parse("0/100"));
    assertThat(r.lowest(30 * SECOND + 1)).isEqualTo(Lsn.parse("0/200"));
    assertThat(r.highest(40 * SECOND + 1)).isNull();
  }
}
