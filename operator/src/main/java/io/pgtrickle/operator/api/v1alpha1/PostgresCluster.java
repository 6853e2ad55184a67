package io.pgtrickle.operator.api.v1alpha1;

import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code postgres.example.com/v1alpha1}: the version the reference README's examples (seed 003)
 * use, served with exactly the schema, printer columns and rules of {@code v1} (inherited), so the
 * API server converts between the two by changing {@code apiVersion} alone (conversion strategy
 * None, no webhook). Objects are stored as {@code v1}, and the operator reconciles them as {@code
 * v1}. Deprecated: {@code kubectl} warns users to move to {@code v1}.
 *
 * <p>If {@code v1}'s schema ever changes incompatibly, this version needs a conversion webhook or
 * to stop being served; {@code CrdVersionsTest} fails when the two schemas differ.
 */
@Group(io.pgtrickle.operator.api.PostgresCluster.GROUP)
@Version(
    value = PostgresCluster.VERSION,
    storage = false,
    served = true,
    deprecated = true,
    deprecationWarning =
        "postgres.example.com/v1alpha1 PostgresCluster is deprecated; use postgres.example.com/v1"
            + " (the same fields)")
@Kind("PostgresCluster")
@Plural("postgresclusters")
@Singular("postgrescluster")
@ShortNames("pgc")
public class PostgresCluster extends io.pgtrickle.operator.api.PostgresCluster {

  public static final String VERSION = "v1alpha1";
}
