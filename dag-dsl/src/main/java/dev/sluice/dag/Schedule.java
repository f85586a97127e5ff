package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import com.cronutils.descriptor.CronDescriptor;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * When a DAG runs. A cron schedule's run for logical date {@code t} covers the data interval from
 * {@code t} to the next tick and is due once that interval has ended, as in Airflow.
 */
public sealed interface Schedule {
    Map<String, String> PRESETS = Map.of(
            "@hourly", "0 * * * *",
            "@daily", "0 0 * * *",
            "@midnight", "0 0 * * *",
            "@weekly", "0 0 * * 0",
            "@monthly", "0 0 1 * *",
            "@yearly", "0 0 1 1 *",
            "@annually", "0 0 1 1 *");

    /** A 5-field cron expression ({@code "30 17 * * 1-5"}) or a preset ({@code "@daily"}, {@code "@once"}). */
    static Schedule parse(String expression) {
        requireNonNull(expression, "expression is null");
        String trimmed = expression.trim();
        if (trimmed.equalsIgnoreCase("@once")) {
            return once();
        }
        if (trimmed.startsWith("@")) {
            String cron = PRESETS.get(trimmed.toLowerCase(Locale.ROOT));
            if (cron == null) {
                throw new IllegalArgumentException(
                        "unknown schedule preset '" + trimmed
                                + "': use one of @hourly, @daily, @weekly, @monthly, @yearly, @once or a 5-field cron expression");
            }
            return new Cron(cron, trimmed.toLowerCase(Locale.ROOT));
        }
        return new Cron(trimmed, trimmed);
    }

    static Schedule cron(String expression) {
        return parse(expression);
    }

    static Schedule once() {
        return Once.INSTANCE;
    }

    static Schedule none() {
        return None.INSTANCE;
    }

    /**
     * Runs when every one of {@code tables} has a new snapshot on the lakehouse's {@code main} since
     * the DAG's last run of this kind (Airflow's asset schedule, with the catalog as the source of truth).
     *
     * @param connection the lakehouse connection (an Iceberg REST catalog such as Nessie's) the tables are in
     * @param tables each as {@code namespace.table}
     * @throws IllegalArgumentException naming the bad connection or table name
     */
    static Schedule onTables(String connection, String... tables) {
        return new OnTables(connection, List.of(requireNonNull(tables, "tables is null")), OnTables.Condition.ALL);
    }

    /** As {@link #onTables}, but runs when any one of {@code tables} has a new snapshot. */
    static Schedule onAnyTable(String connection, String... tables) {
        return new OnTables(connection, List.of(requireNonNull(tables, "tables is null")), OnTables.Condition.ANY);
    }

    /** As the user wrote it: the cron expression or the preset's name. */
    String expression();

    /** In words, for people: "at 17:30 every day between Monday and Friday", "once", "never on its own". */
    String description();

    /** The first tick at or after {@code instant}, if the schedule has one. */
    Optional<Instant> firstTickAtOrAfter(Instant instant, ZoneId zone);

    /** The data interval of the run whose logical date is {@code logicalDate}. */
    DataInterval intervalFor(Instant logicalDate, ZoneId zone);

    record Cron(String cron, String expression) implements Schedule {
        private static final CronParser PARSER =
                new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

        public Cron {
            requireNonNull(cron, "cron is null");
            requireNonNull(expression, "expression is null");
            if (cron.trim().split("\\s+").length != 5) {
                throw new IllegalArgumentException("invalid cron expression '" + cron
                        + "': expected 5 fields (minute hour day-of-month month day-of-week)");
            }
            try {
                PARSER.parse(cron).validate();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid cron expression '" + cron + "': " + e.getMessage(), e);
            }
        }

        @Override
        public String description() {
            return CronDescriptor.instance(Locale.ENGLISH).describe(PARSER.parse(cron));
        }

        private ExecutionTime executionTime() {
            return ExecutionTime.forCron(PARSER.parse(cron));
        }

        @Override
        public Optional<Instant> firstTickAtOrAfter(Instant instant, ZoneId zone) {
            ZonedDateTime at = instant.atZone(zone);
            ExecutionTime executionTime = executionTime();
            if (executionTime.isMatch(at) && at.getSecond() == 0 && at.getNano() == 0) {
                return Optional.of(instant);
            }
            return executionTime.nextExecution(at).map(ZonedDateTime::toInstant);
        }

        public Optional<Instant> nextTickAfter(Instant instant, ZoneId zone) {
            return executionTime().nextExecution(instant.atZone(zone)).map(ZonedDateTime::toInstant);
        }

        /** The last tick strictly before {@code instant}. */
        public Optional<Instant> lastTickBefore(Instant instant, ZoneId zone) {
            return executionTime().lastExecution(instant.atZone(zone)).map(ZonedDateTime::toInstant);
        }

        @Override
        public DataInterval intervalFor(Instant logicalDate, ZoneId zone) {
            Instant end = nextTickAfter(logicalDate, zone)
                    .orElseThrow(
                            () -> new IllegalStateException("cron '" + cron + "' has no tick after " + logicalDate));
            return new DataInterval(logicalDate, end);
        }
    }

    /** One run, at the DAG's start date. */
    enum Once implements Schedule {
        INSTANCE;

        @Override
        public String expression() {
            return "@once";
        }

        @Override
        public String description() {
            return "once, at the start date";
        }

        @Override
        public Optional<Instant> firstTickAtOrAfter(Instant instant, ZoneId zone) {
            return Optional.of(instant);
        }

        @Override
        public DataInterval intervalFor(Instant logicalDate, ZoneId zone) {
            return new DataInterval(logicalDate, logicalDate);
        }
    }

    /** Never on its own: runs are triggered by hand or by backfill. */
    enum None implements Schedule {
        INSTANCE;

        @Override
        public String expression() {
            return "none";
        }

        @Override
        public String description() {
            return "never on its own: triggered or backfilled";
        }

        @Override
        public Optional<Instant> firstTickAtOrAfter(Instant instant, ZoneId zone) {
            return Optional.empty();
        }

        @Override
        public DataInterval intervalFor(Instant logicalDate, ZoneId zone) {
            return new DataInterval(logicalDate, logicalDate);
        }
    }

    /**
     * Runs on new snapshots of Iceberg tables rather than on a clock: each run is for the moment it
     * was triggered, with a zero-length data interval; its context names the snapshots it was
     * triggered by ({@link TaskContext#triggeringSnapshots()}).
     *
     * @param connection the lakehouse connection the tables are in
     * @param tables each {@code namespace.table}, in the order given, without duplicates
     * @param condition whether all tables or any one must have a new snapshot
     */
    record OnTables(String connection, List<String> tables, Condition condition) implements Schedule {
        private static final Pattern CONNECTION = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]*");
        private static final Pattern PART = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*");

        public enum Condition {
            /** Every table has a new snapshot. */
            ALL,
            /** At least one table has a new snapshot. */
            ANY
        }

        public OnTables {
            requireNonNull(connection, "connection is null");
            requireNonNull(tables, "tables is null");
            requireNonNull(condition, "condition is null");
            if (!CONNECTION.matcher(connection).matches()) {
                throw new IllegalArgumentException("invalid connection name '" + connection
                        + "' for a table schedule: a letter, then letters, digits, '_', '-' or '.'");
            }
            if (tables.isEmpty()) {
                throw new IllegalArgumentException(
                        "a table schedule needs at least one table of connection " + connection);
            }
            Set<String> seen = new HashSet<>();
            for (String table : tables) {
                requireNonNull(table, "table is null");
                String[] parts = table.split("\\.", -1);
                if (parts.length != 2
                        || !PART.matcher(parts[0]).matches()
                        || !PART.matcher(parts[1]).matches()) {
                    throw new IllegalArgumentException("invalid table name '" + table
                            + "' for a table schedule: expected namespace.table, such as gold.daily_prices");
                }
                if (!seen.add(table)) {
                    throw new IllegalArgumentException("table " + table + " is named twice in a table schedule");
                }
            }
            tables = List.copyOf(tables);
        }

        /** As written in Java: {@code onTables(lakehouse: gold.a, gold.b)}. */
        @Override
        public String expression() {
            return (condition == Condition.ALL ? "onTables" : "onAnyTable") + "(" + connection + ": "
                    + String.join(", ", tables) + ")";
        }

        @Override
        public String description() {
            if (tables.size() == 1) {
                return "on new snapshots of " + tables.getFirst();
            }
            String last = tables.getLast();
            String others = String.join(", ", tables.subList(0, tables.size() - 1));
            return condition == Condition.ALL
                    ? "on new snapshots of " + others + " and " + last
                    : "on a new snapshot of any of " + others + " or " + last;
        }

        /** None: runs are made when the tables change, not at ticks. */
        @Override
        public Optional<Instant> firstTickAtOrAfter(Instant instant, ZoneId zone) {
            return Optional.empty();
        }

        /** A zero-length interval at the time the run was triggered. */
        @Override
        public DataInterval intervalFor(Instant logicalDate, ZoneId zone) {
            return new DataInterval(logicalDate, logicalDate);
        }
    }
}
