package io.pgtrickle.adapter.custommetrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The JSON the API answers with, exactly as k8s.io/metrics defines it (pure):
 *
 * <pre>
 * v1beta2: {"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/v1beta2","metadata":{},
 *   "items":[{"describedObject":{"kind":..,"namespace":..,"name":..,"apiVersion":..},
 *             "metric":{"name":..[,"selector":{..}]},"timestamp":"2026-05-01T10:00:00Z",
 *             "windowSeconds":60,"value":"1250"}]}
 * v1beta1: items have "metricName", "selector" and "window" instead of "metric" and "windowSeconds"
 * Status:  {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":..,
 *           "reason":"NotFound","code":404}
 * </pre>
 *
 * Values are {@code resource.Quantity} strings: an integer ({@code "1250"}) or milli-units ({@code
 * "1250500m"}), the canonical forms the HPA reads with {@code MilliValue()}.
 */
public final class Shapes {

  public static final ObjectMapper JSON = new ObjectMapper();

  private Shapes() {}

  /**
   * A MetricValueList.
   *
   * @param version {@code v1beta1} or {@code v1beta2}
   * @param values the items
   * @param metricSelector the metricLabelSelector the request had (echoed per item), or empty
   * @return the document
   */
  public static ObjectNode metricValueList(
      String version, List<MetricValue> values, LabelSelector metricSelector) {
    ObjectNode list = JSON.createObjectNode();
    list.put("kind", "MetricValueList");
    list.put("apiVersion", ApiPaths.GROUP + "/" + version);
    list.putObject("metadata");
    ArrayNode items = list.putArray("items");
    for (MetricValue v : values) {
      ObjectNode item = items.addObject();
      ObjectNode ref = item.putObject("describedObject");
      ref.put("kind", v.object().kind());
      if (v.object().namespace() != null) {
        ref.put("namespace", v.object().namespace());
      }
      ref.put("name", v.object().name());
      ref.put("apiVersion", v.object().apiVersion());
      if (version.equals("v1beta1")) {
        item.put("metricName", v.metric());
        item.put("timestamp", timestamp(v.timestamp()));
        if (v.windowSeconds() != null) {
          item.put("window", v.windowSeconds());
        }
        item.put("value", quantity(v.value()));
        if (metricSelector.isEmpty()) {
          item.putNull("selector");
        } else {
          item.set("selector", selector(metricSelector));
        }
      } else {
        ObjectNode metric = item.putObject("metric");
        metric.put("name", v.metric());
        if (!metricSelector.isEmpty()) {
          metric.set("selector", selector(metricSelector));
        }
        item.put("timestamp", timestamp(v.timestamp()));
        if (v.windowSeconds() != null) {
          item.put("windowSeconds", v.windowSeconds());
        } else {
          item.putNull("windowSeconds");
        }
        item.put("value", quantity(v.value()));
      }
    }
    return list;
  }

  /**
   * A failure Status.
   *
   * @param e the error
   * @return the document
   */
  public static ObjectNode status(ApiException e) {
    ObjectNode s = JSON.createObjectNode();
    s.put("kind", "Status");
    s.put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Failure");
    s.put("message", e.getMessage());
    s.put("reason", e.reason());
    s.put("code", e.code());
    return s;
  }

  /**
   * A value as a Quantity string, rounded to milli-units.
   *
   * @param value the value
   * @return e.g. {@code "12"}, {@code "12500m"}, {@code "-3"}
   */
  public static String quantity(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("not a finite value: " + value);
    }
    BigDecimal milli =
        BigDecimal.valueOf(value).movePointRight(3).setScale(0, RoundingMode.HALF_UP);
    if (milli.remainder(BigDecimal.valueOf(1000)).signum() == 0) {
      return milli.movePointLeft(3).setScale(0, RoundingMode.UNNECESSARY).toPlainString();
    }
    return milli.toPlainString() + "m";
  }

  /** RFC 3339 in UTC with whole seconds, as {@code metav1.Time} marshals. */
  static String timestamp(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
  }

  static ObjectNode selector(LabelSelector s) {
    ObjectNode out = JSON.createObjectNode();
    ObjectNode matchLabels = JSON.createObjectNode();
    ArrayNode expressions = JSON.createArrayNode();
    for (LabelSelector.Requirement r : s.requirements()) {
      if (r.operator() == LabelSelector.Operator.EQUALS) {
        matchLabels.put(r.key(), r.values().iterator().next());
        continue;
      }
      ObjectNode e = expressions.addObject();
      e.put("key", r.key());
      e.put(
          "operator",
          switch (r.operator()) {
            case NOT_EQUALS, NOT_IN -> "NotIn";
            case IN -> "In";
            case EXISTS -> "Exists";
            case DOES_NOT_EXIST -> "DoesNotExist";
            case EQUALS -> throw new IllegalStateException();
          });
      if (!r.values().isEmpty()) {
        ArrayNode values = e.putArray("values");
        r.values().forEach(values::add);
      }
    }
    if (!matchLabels.isEmpty()) {
      out.set("matchLabels", matchLabels);
    }
    if (!expressions.isEmpty()) {
      out.set("matchExpressions", expressions);
    }
    return out;
  }
}
