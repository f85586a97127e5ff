package dev.sluice.scheduler.cli;

import java.io.PrintWriter;
import java.util.Map;

/** Named values one per line, names aligned: the head of a {@code show} command. */
final class Fields {
    private Fields() {}

    static void print(PrintWriter out, Map<String, ?> fields) {
        int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0);
        fields.forEach(
                (name, value) -> out.println(name + " ".repeat(width - name.length() + 2) + Formats.text(value)));
    }
}
