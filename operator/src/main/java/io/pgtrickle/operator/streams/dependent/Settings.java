package io.pgtrickle.operator.streams.dependent;

import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.spec.PipelineImages;
import io.pgtrickle.operator.streams.spec.PipelineSettings;

/** The settings the dependents build from, with the operator's default images. */
final class Settings {

  private Settings() {}

  static PipelineSettings of(StreamTableCluster stc) {
    return PipelineSettings.of(stc, PipelineImages.OPERATOR);
  }
}
