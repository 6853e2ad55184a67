package io.pgtrickle.testbed;

import java.util.List;

/**
 * What the test bed runs for a container whose image it knows (the "image" of a program pod): the
 * command, to which the container's {@code args} are appended, as an image's entrypoint gets them.
 * See {@link Launchers} for the project's own programs.
 */
@FunctionalInterface
public interface Launcher {

  /**
   * @param launch the pod, its container and what the test bed gives it
   * @return the command line, without the container's args
   */
  List<String> command(Launch launch);
}
