package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ColumnFingerprintTest {

  @Test
  void sameShapeNewCatalogRowsIsAChange() {
    // Renamed and renamed back: names and types as before, the pg_attribute rows rewritten.
    assertThat(ColumnFingerprint.changed("shape/v1", "shape/v2")).isTrue();
    assertThat(ColumnFingerprint.changed("shape/v1", "other/v1")).isTrue();
    assertThat(ColumnFingerprint.changed("shape/v1", "shape/v1")).isFalse();
  }

  @Test
  void aFingerprintOfTheShapeAloneComparesTheShape() {
    // Written before 2026-12-07: an upgrade must not recompute every stream table.
    assertThat(ColumnFingerprint.changed("shape", "shape/v2")).isFalse();
    assertThat(ColumnFingerprint.changed("shape", "other/v2")).isTrue();
  }

  @Test
  void unknownBeforeIsNoChangeAndAGoneSourceIsOne() {
    assertThat(ColumnFingerprint.changed(null, "shape/v1")).isFalse();
    assertThat(ColumnFingerprint.changed("shape/v1", null)).isTrue();
    assertThat(ColumnFingerprint.changed("shape", null)).isTrue();
  }
}
