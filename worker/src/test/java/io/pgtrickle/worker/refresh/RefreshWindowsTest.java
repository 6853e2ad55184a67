package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.Lsn;
import java.util.List;
import org.junit.jupiter.api.Test;

class RefreshWindowsTest {

  private static final Lsn FROM = Lsn.parse("0/100");
  private static final Lsn LAST = Lsn.parse("0/180");

  private static WindowReader.Found found(long changes, long upTo, String rest) {
    return new WindowReader.Found(changes, false, false, 0, upTo, rest, List.of(), 0);
  }

  @Test
  void theSnapshotsPartIsReadFromTheBufferWhenItIsTheWindowsFirstRows() {
    RefreshWindows.Rows r =
        RefreshWindows.rows(
            7, FROM, new RefreshOpening.Visible(40, LAST, 3), found(50, 40, "[{\"lsn\": 1}]"));
    assertThat(r.visible()).isTrue();
    assertThat(r.inline()).isEqualTo("[{\"lsn\": 1}]");
    assertThat(r.after()).isEqualTo(LAST);
    assertThat(r.afterSeq()).isEqualTo(3);
    // Nothing after it: an empty rest, inline.
    assertThat(
            RefreshWindows.rows(
                    7, FROM, new RefreshOpening.Visible(50, LAST, 3), found(50, 50, null))
                .inline())
        .isEqualTo("[]");
    // A rest too long to travel inline: copied, after the snapshot's last row.
    RefreshWindows.Rows copied =
        RefreshWindows.rows(7, FROM, new RefreshOpening.Visible(40, LAST, 3), found(900, 40, null));
    assertThat(copied.visible()).isTrue();
    assertThat(copied.copied()).isTrue();
    assertThat(copied.after()).isEqualTo(LAST);
  }

  @Test
  void aSnapshotsPartThatIsNotThePrefixMakesTheWholeWindowTravel() {
    // 40 rows up to the snapshot's last row on the second connection, 39 in the snapshot: one row
    // before it was committed after the snapshot (out of order). Read nothing from the buffer.
    RefreshWindows.Rows r =
        RefreshWindows.rows(7, FROM, new RefreshOpening.Visible(39, LAST, 3), found(50, 40, "[]"));
    assertThat(r.visible()).isFalse();
    assertThat(r.copied()).isTrue();
    assertThat(r.after()).isNull();
    assertThat(r.from()).isEqualTo(FROM);
  }

  @Test
  void aWindowTheSnapshotWasNotAskedAboutTravelsWhole() {
    RefreshWindows.Rows inline = RefreshWindows.rows(7, FROM, null, found(30, 0, "[{}]"));
    assertThat(inline.visible()).isFalse();
    assertThat(inline.inline()).isEqualTo("[{}]");
    assertThat(RefreshWindows.rows(7, FROM, null, found(3000, 0, null)).copied()).isTrue();
  }

  @Test
  void relationsReadTheBufferViewAndTheRest() {
    assertThat(WindowRelations.relation(42, true, WindowRelations.Rest.INLINE))
        .isEqualTo(
            "(SELECT lsn, seq, new_row, old_row FROM pg_temp.pgt_buffer_42 UNION ALL SELECT lsn,"
                + " seq, new_row, old_row FROM jsonb_to_recordset(?::jsonb) AS r(lsn pg_lsn,"
                + " seq integer, new_row jsonb, old_row jsonb))");
    assertThat(WindowRelations.relation(42, true, WindowRelations.Rest.COPIED))
        .isEqualTo(
            "(SELECT lsn, seq, new_row, old_row FROM pg_temp.pgt_buffer_42 UNION ALL SELECT lsn,"
                + " seq, new_row, old_row FROM pg_temp.pgt_window_42)");
    assertThat(WindowRelations.relation(42, false, WindowRelations.Rest.COPIED))
        .isEqualTo("pg_temp.pgt_window_42");
    assertThat(WindowRelations.relation(42, false, WindowRelations.Rest.INLINE))
        .startsWith("(SELECT lsn, seq, new_row, old_row FROM jsonb_to_recordset(?::jsonb)");
  }
}
