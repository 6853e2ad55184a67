package io.pgtrickle.adapter.custommetrics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Discovery documents of {@code custom.metrics.k8s.io} (pure). The aggregator reads {@code /apis}
 * (a plain APIGroupList makes it fall back to {@code /apis/GROUP/VERSION}) and the HPA's client
 * finds the preferred version in the group. Resources are named {@code <resource.group>/<metric>},
 * as custom-metrics-apiserver names them.
 */
public final class Discovery {

  private Discovery() {}

  /** {@code /apis}: the one group this server has. */
  public static ObjectNode apiGroupList() {
    ObjectNode list = Shapes.JSON.createObjectNode();
    list.put("kind", "APIGroupList");
    list.put("apiVersion", "v1");
    list.putArray("groups").add(group());
    return list;
  }

  /** {@code /apis/custom.metrics.k8s.io}. */
  public static ObjectNode apiGroup() {
    ObjectNode g = group();
    ObjectNode out = Shapes.JSON.createObjectNode();
    out.put("kind", "APIGroup");
    out.put("apiVersion", "v1");
    out.setAll(g);
    return out;
  }

  private static ObjectNode group() {
    ObjectNode g = Shapes.JSON.createObjectNode();
    g.put("name", ApiPaths.GROUP);
    ArrayNode versions = g.putArray("versions");
    for (String v : ApiPaths.VERSIONS) {
      versions.addObject().put("groupVersion", ApiPaths.GROUP + "/" + v).put("version", v);
    }
    g.putObject("preferredVersion")
        .put("groupVersion", ApiPaths.GROUP + "/" + ApiPaths.VERSIONS.get(0))
        .put("version", ApiPaths.VERSIONS.get(0));
    return g;
  }

  /**
   * {@code /apis/custom.metrics.k8s.io/VERSION}.
   *
   * @param version the version
   * @param resources {@code <resource.group>/<metric>} names
   * @return the APIResourceList
   */
  public static ObjectNode apiResourceList(String version, List<String> resources) {
    ObjectNode list = Shapes.JSON.createObjectNode();
    list.put("kind", "APIResourceList");
    list.put("apiVersion", "v1");
    list.put("groupVersion", ApiPaths.GROUP + "/" + version);
    ArrayNode items = list.putArray("resources");
    for (String r : resources) {
      ObjectNode item = items.addObject();
      item.put("name", r);
      item.put("singularName", "");
      item.put("namespaced", true);
      item.put("kind", "MetricValueList");
      item.putArray("verbs").add("get");
    }
    return list;
  }
}
