package io.pgtrickle.operator.api;

/** Service exposure type. */
public enum ServiceType {
  ClusterIP,
  NodePort,
  LoadBalancer
}
