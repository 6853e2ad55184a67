package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.Lsn;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrontierTest {

  @Test
  void roundTrip() {
    Frontier f =
        new Frontier(
            Map.of(16390L, Lsn.parse("0/2"), 16384L, Lsn.parse("1/A2B3C4")),
            Lsn.parse("1/A2B3C4"),
            Map.of(16390L, Lsn.parse("0/1")),
            Map.of(16384L, "abc"));
    String json = f.toJson();
    assertThat(json)
        .isEqualTo(
            "{\"sources\":{\"16384\":\"1/A2B3C4\",\"16390\":\"0/2\"},\"data_lsn\":\"1/A2B3C4\","
                + "\"upstream\":{\"16390\":\"0/1\"},\"schemas\":{\"16384\":\"abc\"}}");
    assertThat(Frontier.parse(json)).isEqualTo(f);
    assertThat(Frontier.parse(json).source(16384)).isEqualTo(Lsn.parse("1/A2B3C4"));
    assertThat(Frontier.parse(json).source(1)).isNull();
  }

  @Test
  void contractShapeAndPgTrickleShapeAndNull() {
    assertThat(Frontier.parse("{\"sources\": {\"5\": \"0/10\"}}").sources())
        .containsEntry(5L, Lsn.parse("0/10"));
    assertThat(Frontier.parse("{\"sources\": {\"5\": {\"lsn\": \"0/10\"}}}").sources())
        .containsEntry(5L, Lsn.parse("0/10"));
    assertThat(Frontier.parse(null)).isEqualTo(Frontier.EMPTY);
    assertThat(Frontier.parse("{}").dataLsn()).isNull();
    assertThatThrownBy(() -> Frontier.parse("{\"sources\": {\"x\": \"0/1\"}}"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
