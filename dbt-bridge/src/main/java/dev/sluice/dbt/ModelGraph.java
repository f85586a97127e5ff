package dev.sluice.dbt;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The selected models (and seeds and snapshots) of a manifest in a deterministic topological order,
 * each with its nearest selected upstreams (looking through unselected nodes, so an unselected
 * model in between does not lose an ordering), and the tests that belong to each.
 */
final class ModelGraph {
    private final List<DbtNode> runnables;
    private final Map<String, Set<String>> upstreams;
    private final Map<String, List<DbtNode>> testsByOwner;

    private ModelGraph(
            List<DbtNode> runnables, Map<String, Set<String>> upstreams, Map<String, List<DbtNode>> testsByOwner) {
        this.runnables = runnables;
        this.upstreams = upstreams;
        this.testsByOwner = testsByOwner;
    }

    static ModelGraph of(DbtManifest manifest, Set<String> selected) {
        Map<String, Set<String>> upstreams = new LinkedHashMap<>();
        for (String id : selected) {
            upstreams.put(id, selectedAncestors(manifest, id, selected));
        }
        List<DbtNode> order = topologicalOrder(manifest, upstreams);
        Map<String, Integer> position = new HashMap<>();
        for (int index = 0; index < order.size(); index++) {
            position.put(order.get(index).uniqueId(), index);
        }
        Map<String, List<DbtNode>> tests = new LinkedHashMap<>();
        manifest.nodes().values().stream()
                .filter(DbtNode::isTest)
                .sorted(Comparator.comparing(DbtNode::uniqueId))
                .forEach(test -> test.dependsOn().stream()
                        .filter(position::containsKey)
                        .max(Comparator.comparing(position::get))
                        .ifPresent(owner -> tests.computeIfAbsent(owner, key -> new ArrayList<>())
                                .add(test)));
        return new ModelGraph(order, upstreams, tests);
    }

    List<DbtNode> runnables() {
        return runnables;
    }

    Set<String> upstreamsOf(String uniqueId) {
        return upstreams.get(uniqueId);
    }

    /** The tests whose last selected parent (in run order) is this node. */
    List<DbtNode> testsOf(String uniqueId) {
        return testsByOwner.getOrDefault(uniqueId, List.of());
    }

    List<DbtNode> allTests() {
        return runnables.stream()
                .flatMap(node -> testsOf(node.uniqueId()).stream())
                .toList();
    }

    /** The runnables that no other selected runnable depends on. */
    List<DbtNode> leaves() {
        Set<String> upstreamOfSomething = new HashSet<>();
        upstreams.values().forEach(upstreamOfSomething::addAll);
        return runnables.stream()
                .filter(node -> !upstreamOfSomething.contains(node.uniqueId()))
                .toList();
    }

    private static Set<String> selectedAncestors(DbtManifest manifest, String id, Set<String> selected) {
        Set<String> found = new LinkedHashSet<>();
        Set<String> seen = new HashSet<>();
        Deque<String> pending = new ArrayDeque<>(manifest.node(id).orElseThrow().dependsOn());
        while (!pending.isEmpty()) {
            String parent = pending.removeFirst();
            if (!seen.add(parent)) {
                continue;
            }
            if (selected.contains(parent)) {
                found.add(parent);
            } else {
                manifest.node(parent).ifPresent(node -> pending.addAll(node.dependsOn()));
            }
        }
        return found;
    }

    /** Kahn's algorithm; among nodes ready at once, the one first in name order goes first. */
    private static List<DbtNode> topologicalOrder(DbtManifest manifest, Map<String, Set<String>> upstreams) {
        Map<String, Integer> waiting = new HashMap<>();
        Map<String, List<String>> downstreams = new HashMap<>();
        upstreams.forEach((id, parents) -> {
            waiting.put(id, parents.size());
            parents.forEach(parent -> downstreams
                    .computeIfAbsent(parent, key -> new ArrayList<>())
                    .add(id));
        });
        PriorityQueue<String> ready = new PriorityQueue<>(
                Comparator.comparing((String id) -> manifest.nodes().get(id).name())
                        .thenComparing(Comparator.naturalOrder()));
        waiting.forEach((id, count) -> {
            if (count == 0) {
                ready.add(id);
            }
        });
        List<DbtNode> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            String id = ready.poll();
            order.add(manifest.nodes().get(id));
            for (String child : downstreams.getOrDefault(id, List.of())) {
                if (waiting.merge(child, -1, Integer::sum) == 0) {
                    ready.add(child);
                }
            }
        }
        if (order.size() != upstreams.size()) {
            throw new IllegalStateException("the dbt manifest has a dependency cycle among " + upstreams.keySet());
        }
        return order;
    }
}
