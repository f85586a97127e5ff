package dev.sluice.tasks.kafka;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The offsets {@code [from, to)} of one topic partition that an ingest reads for a data interval, as
 * recorded in the interval's input.
 */
public record PartitionRange(String topic, int partition, long from, long to) {
    public PartitionRange {
        requireNonNull(topic, "topic is null");
        if (from < 0 || to < from) {
            throw new IllegalArgumentException(
                    "offsets " + from + " until " + to + " of " + topic + "-" + partition + " are no range");
        }
    }

    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("topic", topic);
        map.put("partition", partition);
        map.put("from", from);
        map.put("to", to);
        return map;
    }

    /** The ranges as an interval input holds them. */
    public static List<Map<String, Object>> toMaps(List<PartitionRange> ranges) {
        return ranges.stream().map(PartitionRange::toMap).toList();
    }

    /**
     * The ranges of an interval input's {@code offsets} entry.
     *
     * @throws IllegalArgumentException when the input holds no such list
     */
    public static List<PartitionRange> fromMaps(Object offsets) {
        if (!(offsets instanceof List<?> list)) {
            throw new IllegalArgumentException("the recorded input has no list of offset ranges: " + offsets);
        }
        List<PartitionRange> ranges = new ArrayList<>();
        for (Object entry : list) {
            if (!(entry instanceof Map<?, ?> map)
                    || !(map.get("topic") instanceof String topic)
                    || !(map.get("partition") instanceof Number partition)
                    || !(map.get("from") instanceof Number from)
                    || !(map.get("to") instanceof Number to)) {
                throw new IllegalArgumentException(
                        "a recorded offset range is not {topic, partition, from, to}: " + entry);
            }
            ranges.add(new PartitionRange(topic, partition.intValue(), from.longValue(), to.longValue()));
        }
        return List.copyOf(ranges);
    }
}
