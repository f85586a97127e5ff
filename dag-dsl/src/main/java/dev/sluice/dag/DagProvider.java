package dev.sluice.dag;

import java.util.List;

/**
 * A source of DAGs found with {@link java.util.ServiceLoader}: list the implementing class in
 * {@code META-INF/services/dev.sluice.dag.DagProvider} of a jar, or on the classpath.
 */
public interface DagProvider {
    List<Dag> dags();
}
