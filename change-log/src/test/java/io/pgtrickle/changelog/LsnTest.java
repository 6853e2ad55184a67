package io.pgtrickle.changelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LsnTest {

  @Test
  void rendersAndParsesLikePostgres() {
    assertThat(Lsn.parse("0/1A3B4C0").value()).isEqualTo(0x1A3B4C0L);
    assertThat(Lsn.of(0x1A3B4C0L)).hasToString("0/1A3B4C0");
    assertThat(Lsn.parse("16/B374D848")).hasToString("16/B374D848");
    assertThat(Lsn.parse("ffffffff/ffffffff")).hasToString("FFFFFFFF/FFFFFFFF");
    assertThat(Lsn.ZERO).hasToString("0/0");
  }

  @Test
  void comparesAsUnsigned() {
    Lsn high = Lsn.parse("FFFFFFFF/0");
    assertThat(high.value()).isNegative();
    assertThat(high).isGreaterThan(Lsn.parse("7FFFFFFF/FFFFFFFF"));
    assertThat(Lsn.parse("1/0")).isGreaterThan(Lsn.parse("0/FFFFFFFF"));
    assertThat(Lsn.max(Lsn.of(3), high)).isEqualTo(high);
    assertThat(Lsn.of(5).next()).isEqualTo(Lsn.of(5, 1)).isLessThan(Lsn.of(6));
    assertThat(Lsn.of(5).isAfter(Lsn.of(4))).isTrue();
    assertThat(Lsn.parse("0/10")).isEqualTo(Lsn.of(16)).hasSameHashCodeAs(Lsn.of(16));
  }

  @Test
  void refusesMalformedText() {
    for (String bad : new String[] {"", "12", "/1", "1/", "1/2/3", "G/1", "123456789/0", "-1/0"}) {
      assertThatThrownBy(() -> Lsn.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> Lsn.of(7, Integer.MAX_VALUE).next())
        .isInstanceOf(ArithmeticException.class);
    for (String bad : new String[] {"0/1.", "0/1.x", "0/1.-1", "0/1.2147483648", "0/1.1.2"}) {
      assertThatThrownBy(() -> Lsn.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> Lsn.of(1, -1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void subPositionsOrderAfterTheWalPosition() {
    Lsn commit = Lsn.parse("16/B374D848");
    Lsn third = Lsn.of(commit.value(), 3);
    assertThat(third).hasToString("16/B374D848.3").isEqualTo(Lsn.parse("16/B374D848.3"));
    assertThat(third.seq()).isEqualTo(3);
    assertThat(third.walText()).isEqualTo("16/B374D848");
    assertThat(third.walPosition()).isEqualTo(commit);
    assertThat(commit.walPosition()).isSameAs(commit);
    assertThat(third).isGreaterThan(commit).isLessThan(Lsn.of(commit.value() + 1));
    assertThat(third).isNotEqualTo(commit);
    assertThat(Lsn.max(third, commit)).isEqualTo(third);
  }
}
