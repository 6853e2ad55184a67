package io.pgtrickle.testbed;

import java.nio.file.Path;

/**
 * For {@link LoopbackPortsTest}: another JVM that reserves every port of {@code [FROM, TO)} with
 * lock files in {@code DIR}, prints {@code held}, and keeps them until its standard input closes.
 */
public final class PortHolderMain {

  private PortHolderMain() {}

  public static void main(String[] args) throws Exception {
    int from = Integer.parseInt(args[1]);
    int to = Integer.parseInt(args[2]);
    LoopbackPorts ports = new LoopbackPorts(Path.of(args[0]), new int[] {from, to});
    for (int i = from; i < to; i++) {
      ports.next();
    }
    System.out.println("held");
    System.out.flush();
    while (System.in.read() >= 0) {
      // Until the parent closes our stdin (or dies).
    }
  }
}
