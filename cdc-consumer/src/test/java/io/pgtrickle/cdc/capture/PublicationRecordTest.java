package io.pgtrickle.cdc.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PublicationRecordTest {

  @Test
  void roundTripsThroughTheComment() {
    PublicationRecord r = new PublicationRecord(true, Set.of(16390L, 16384L));
    assertThat(r.format()).isEqualTo("pg_trickle cdc-consumer: created=true added=16384,16390");
    assertThat(PublicationRecord.parse(r.format())).isEqualTo(r);
    assertThat(PublicationRecord.parse(r.without(16384).with(7).format()))
        .isEqualTo(new PublicationRecord(true, Set.of(7L, 16390L)));
    assertThat(PublicationRecord.parse(new PublicationRecord(false, Set.of()).format()))
        .isEqualTo(new PublicationRecord(false, Set.of()));
  }

  @Test
  void aPublicationWithoutOurCommentIsNotOurs() {
    assertThat(PublicationRecord.parse(null)).isEqualTo(new PublicationRecord(false, Set.of()));
    assertThat(PublicationRecord.parse("the team's publication"))
        .isEqualTo(new PublicationRecord(false, Set.of()));
  }
}
