package io.pgtrickle.operator.streams.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The last step of deleting a pipeline: whatever replication slot of its consumers is still there
 * (a decommission Job that could not run, say in a namespace being deleted) is dropped by the
 * operator itself, with its publication, so no slot outlives the pipeline and pins WAL. Only slots
 * nobody streams from: the consumers are stopped by then.
 */
public final class SlotSweep {

  static final String LEFTOVERS =
      "SELECT slot_name FROM pg_replication_slots WHERE starts_with(slot_name, ?) AND NOT active";

  private SlotSweep() {}

  /**
   * @param c a connection to the primary
   * @param slotPrefix the pipeline's slot prefix
   * @return the slots dropped
   * @throws SQLException on a database error
   */
  public static List<String> dropLeftovers(Connection c, String slotPrefix) throws SQLException {
    List<String> slots = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(LEFTOVERS)) {
      ps.setString(1, slotPrefix);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          slots.add(rs.getString(1));
        }
      }
    }
    for (String slot : slots) {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        ps.setString(1, slot);
        ps.execute();
      }
      // The consumer's publication is named after its slot (cdc-consumer's default).
      try (Statement s = c.createStatement()) {
        s.execute("DROP PUBLICATION IF EXISTS " + quote(slot));
      }
    }
    return slots;
  }

  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
