package io.pgtrickle.adapter.auth;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Delegates authorization to kube-apiserver with a SubjectAccessReview (the adapter's
 * ServiceAccount is bound to {@code system:auth-delegator}) and keeps each answer for a short time
 * (k8s.io/apiserver's delegated authorizer keeps allowed and denied answers 10 s). An error asking
 * is a denial that is not cached.
 */
public final class Authorizer {

  /**
   * An answer.
   *
   * @param allowed whether the request may proceed
   * @param reason the authorizer's reason (or the error asking)
   */
  public record Decision(boolean allowed, String reason) {}

  private record Key(UserInfo user, AccessAttributes attributes) {}

  private record Cached(Decision decision, Instant until) {}

  private final KubernetesClient client;
  private final Duration ttl;
  private final Clock clock;
  private final Map<Key, Cached> cache = new ConcurrentHashMap<>();

  /**
   * @param client the Kubernetes client
   * @param ttl how long an answer is reused
   * @param clock the clock
   */
  public Authorizer(KubernetesClient client, Duration ttl, Clock clock) {
    this.client = client;
    this.ttl = ttl;
    this.clock = clock;
  }

  /**
   * Decides whether a user may do something.
   *
   * @param user the user
   * @param attributes what the request does
   * @return the decision
   */
  public Decision authorize(UserInfo user, AccessAttributes attributes) {
    Key key = new Key(user, attributes);
    Instant now = clock.instant();
    Cached c = cache.get(key);
    if (c != null && now.isBefore(c.until())) {
      return c.decision();
    }
    Decision d;
    try {
      SubjectAccessReview answer =
          client.authorization().v1().subjectAccessReview().create(review(user, attributes));
      boolean allowed =
          answer.getStatus() != null && Boolean.TRUE.equals(answer.getStatus().getAllowed());
      String reason = answer.getStatus() == null ? null : answer.getStatus().getReason();
      d = new Decision(allowed, reason == null ? "" : reason);
    } catch (RuntimeException e) {
      return new Decision(false, "authorization check failed: " + e.getMessage());
    }
    if (cache.size() > 10_000) {
      cache.values().removeIf(x -> !now.isBefore(x.until()));
    }
    cache.put(key, new Cached(d, now.plus(ttl)));
    return d;
  }

  /** The review kube-apiserver is asked (pure). */
  static SubjectAccessReview review(UserInfo user, AccessAttributes a) {
    SubjectAccessReviewSpecBuilder spec =
        new SubjectAccessReviewSpecBuilder()
            .withUser(user.name())
            .withGroups(user.groups())
            .withExtra(user.extra());
    if (a.nonResource()) {
      spec.withNewNonResourceAttributes()
          .withPath(a.path())
          .withVerb(a.verb())
          .endNonResourceAttributes();
    } else {
      spec.withNewResourceAttributes()
          .withNamespace(a.namespace())
          .withVerb(a.verb())
          .withGroup(a.group())
          .withVersion(a.version())
          .withResource(a.resource())
          .withSubresource(a.subresource())
          .withName(a.name())
          .endResourceAttributes();
    }
    return new SubjectAccessReviewBuilder().withSpec(spec.build()).build();
  }
}
