package io.pgtrickle.operator.api;

/** Backup repository type. */
public enum DestinationType {
  PVC,
  S3,
  GCS,
  Azure
}
