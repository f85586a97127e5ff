package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModelGraphTest {
    private static final DbtManifest MANIFEST = manifest(
            node("source.p.raw.prices", "source"),
            node("model.p.a", "model", "source.p.raw.prices"),
            node("model.p.b", "model", "model.p.a"),
            node("model.p.c", "model", "model.p.b"),
            node("model.p.d", "model", "model.p.a"),
            node("test.p.not_null_a", "test", "model.p.a"),
            node("test.p.c_matches_d", "test", "model.p.c", "model.p.d"),
            node("test.p.source_test", "test", "source.p.raw.prices"));

    @Test
    void ordersTheSelectionTopologicallyAndLooksThroughUnselectedModels() {
        ModelGraph graph = ModelGraph.of(MANIFEST, Set.of("model.p.a", "model.p.c", "model.p.d"));

        assertThat(graph.runnables())
                .extracting(DbtNode::uniqueId)
                .containsExactly("model.p.a", "model.p.c", "model.p.d");
        assertThat(graph.upstreamsOf("model.p.c")).containsExactly("model.p.a");
        assertThat(graph.leaves()).extracting(DbtNode::uniqueId).containsExactly("model.p.c", "model.p.d");
    }

    @Test
    void givesATestToItsParentThatRunsLast() {
        ModelGraph graph = ModelGraph.of(MANIFEST, Set.of("model.p.a", "model.p.b", "model.p.c", "model.p.d"));

        assertThat(graph.testsOf("model.p.a")).extracting(DbtNode::uniqueId).containsExactly("test.p.not_null_a");
        assertThat(graph.testsOf("model.p.d")).extracting(DbtNode::uniqueId).containsExactly("test.p.c_matches_d");
        assertThat(graph.allTests()).extracting(DbtNode::uniqueId).doesNotContain("test.p.source_test");
    }

    private static DbtNode node(String uniqueId, String type, String... dependsOn) {
        String name = uniqueId.substring(uniqueId.lastIndexOf('.') + 1);
        return new DbtNode(
                uniqueId,
                type,
                name,
                List.of("p", name),
                "hash-" + name,
                List.of(dependsOn),
                List.of(),
                Optional.empty());
    }

    private static DbtManifest manifest(DbtNode... nodes) {
        Map<String, DbtNode> byId = new LinkedHashMap<>();
        for (DbtNode node : nodes) {
            byId.put(node.uniqueId(), node);
        }
        return new DbtManifest("p", byId);
    }
}
