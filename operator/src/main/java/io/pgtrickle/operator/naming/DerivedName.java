package io.pgtrickle.operator.naming;

import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A name or label value that the operator (or a Kubernetes controller acting on what the operator
 * created) derives from a custom resource's name, with the limit Kubernetes puts on it.
 *
 * <p>A custom resource's own name may be up to 253 characters, but what is made from it is often
 * limited to 63 (a label value, a DNS label) or less (a CronJob name: 52). Every derivation
 * consumes part of that: the longest one decides how long the resource's name may be, see {@link
 * #maxBaseLength(List)}.
 *
 * @param what what it is, e.g. "label controller-revision-hash of the StatefulSet's pods"
 * @param from the derivation at its longest: from the resource's name to the derived string (e.g.
 *     {@code n -> n + "-" + "x".repeat(10)} for a hash of up to 10 characters)
 * @param limit the most characters Kubernetes accepts for it
 * @param why why that limit holds, for the message users read
 */
public record DerivedName(String what, UnaryOperator<String> from, int limit, String why) {

  /** The longest resource name this derivation allows. */
  public int maxBaseLength() {
    String base = "n";
    return limit - (from.apply(base).length() - base.length());
  }

  /** Whether a resource called {@code name} gives a derived string within the limit. */
  public boolean fits(String name) {
    return from.apply(name).length() <= limit;
  }

  /** The derivation that limits the resource's name most. */
  public static DerivedName binding(List<DerivedName> derived) {
    return derived.stream()
        .min(Comparator.comparingInt(DerivedName::maxBaseLength))
        .orElseThrow(() -> new IllegalArgumentException("no derived names"));
  }

  /** The longest resource name every derivation in {@code derived} allows. */
  public static int maxBaseLength(List<DerivedName> derived) {
    return binding(derived).maxBaseLength();
  }

  /** {@code n} characters standing for a generated suffix (a hash, an ordinal) at its longest. */
  public static String generated(int n) {
    return "x".repeat(n);
  }
}
