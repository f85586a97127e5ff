package dev.sluice.tasks.ingest;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Loads a CSV file into a table through a named connection (Postgres, or Trino for Iceberg), one
 * data interval at a time: with an interval column, the run for logical date D loads the rows whose
 * date falls in D's data interval (read in the DAG's time zone) and replaces the rows of that range,
 * so a rerun duplicates and loses nothing. Without one, the whole table is replaced.
 *
 * <p>Rows with a missing required field or an unparsable value are bad: they are counted, the first
 * ones are logged with their line, and the task fails only past its {@link BadRowLimit}, before it
 * writes anything.
 */
public final class CsvIngest implements TaskBody {
    private final String file;
    private final IngestTarget target;

    private CsvIngest(String file, IngestTarget target) {
        this.file = file;
        this.target = target;
    }

    /** A load of {@code file} (a path, which may be a template such as {@code prices/{{ ds }}.csv}). */
    public static Builder file(String file) {
        return new Builder(file);
    }

    @Override
    public Object run(TaskContext context) throws Exception {
        Path path = Path.of(context.render(file));
        Optional<TableWriter.Range> range = Ingestion.range(target, context);
        RowParser parser = new RowParser(target, range, false);
        return Ingestion.load(target, context, range, parser, new Ingestion.Source() {
            @Override
            public String name() {
                return path.getFileName().toString();
            }

            @Override
            public String positionUnit() {
                return "line";
            }

            @Override
            public List<Object[]> read(RowParser rows) throws IOException {
                return CsvIngest.this.read(path, rows);
            }
        });
    }

    private List<Object[]> read(Path path, RowParser parser) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR, "no file " + path + " to load into " + target.table());
        }
        CsvMapper mapper = new CsvMapper();
        mapper.enable(CsvParser.Feature.TRIM_SPACES);
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        List<Object[]> rows = new ArrayList<>();
        try (MappingIterator<Map<String, String>> records =
                mapper.readerFor(Map.class).with(schema).readValues(path.toFile())) {
            boolean headerChecked = false;
            while (true) {
                Map<String, String> record;
                long line;
                try {
                    if (!records.hasNextValue()) {
                        break;
                    }
                    record = records.nextValue();
                    line = records.getParser().currentTokenLocation().getLineNr();
                } catch (RuntimeException | IOException e) {
                    parser.malformed(
                            records.getCurrentLocation().getLineNr(),
                            "malformed CSV: "
                                    + e.getMessage().lines().findFirst().orElse(""));
                    continue;
                }
                if (!headerChecked) {
                    parser.checkFields(record.keySet(), path.toString());
                    headerChecked = true;
                }
                parser.parse(record, line).ifPresent(rows::add);
            }
        }
        return rows;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", "csv_ingest");
        description.put("file", file);
        description.putAll(Ingestion.describe(target));
        return description;
    }

    public static final class Builder extends IngestBuilder<Builder> {
        private final String file;

        private Builder(String file) {
            this.file = requireNonNull(file, "file is null");
        }

        public CsvIngest build() {
            return new CsvIngest(file, target("a CSV load"));
        }
    }
}
