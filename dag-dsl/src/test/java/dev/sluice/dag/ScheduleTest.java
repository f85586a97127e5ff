package dev.sluice.dag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ScheduleTest {
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    @Test
    void presetsAreCronExpressions() {
        assertThat(Schedule.parse("@daily")).isEqualTo(new Schedule.Cron("0 0 * * *", "@daily"));
        assertThat(Schedule.parse("@once")).isEqualTo(Schedule.once());
        assertThat(Schedule.parse("@weekly").expression()).isEqualTo("@weekly");
    }

    @Test
    void intervalRunsFromTickToNextTickAcrossAWeekend() {
        Schedule weekdays = Schedule.parse("30 17 * * 1-5");
        Instant friday = Instant.parse("2013-02-08T22:30:00Z");

        assertThat(weekdays.intervalFor(friday, NEW_YORK))
                .isEqualTo(new DataInterval(friday, Instant.parse("2013-02-11T22:30:00Z")));
        assertThat(weekdays.firstTickAtOrAfter(Instant.parse("2013-02-09T00:00:00Z"), NEW_YORK))
                .contains(Instant.parse("2013-02-11T22:30:00Z"));
        assertThat(weekdays.firstTickAtOrAfter(friday, NEW_YORK)).contains(friday);
    }

    @Test
    void tableSchedulesDescribeTheirTablesAndHaveNoTicks() {
        Schedule both = Schedule.onTables("lakehouse", "gold.a", "gold.b");
        Schedule any = Schedule.onAnyTable("lakehouse", "gold.a", "gold.b", "silver.c");
        Instant at = Instant.parse("2024-03-01T12:00:00Z");

        assertThat(both.expression()).isEqualTo("onTables(lakehouse: gold.a, gold.b)");
        assertThat(both.description()).isEqualTo("on new snapshots of gold.a and gold.b");
        assertThat(any.expression()).isEqualTo("onAnyTable(lakehouse: gold.a, gold.b, silver.c)");
        assertThat(any.description()).isEqualTo("on a new snapshot of any of gold.a, gold.b or silver.c");
        assertThat(Schedule.onTables("lakehouse", "gold.a").description()).isEqualTo("on new snapshots of gold.a");
        assertThat(both.firstTickAtOrAfter(at, NEW_YORK)).isEmpty();
        assertThat(both.intervalFor(at, NEW_YORK)).isEqualTo(new DataInterval(at, at));
    }

    @Test
    void tableSchedulesNameTheBadInput() {
        assertThatThrownBy(() -> Schedule.onTables("lakehouse", "gold"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'gold'")
                .hasMessageContaining("namespace.table");
        assertThatThrownBy(() -> Schedule.onTables("lakehouse", "iceberg.gold.a"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'iceberg.gold.a'");
        assertThatThrownBy(() -> Schedule.onAnyTable("lakehouse", "gold.a b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'gold.a b'");
        assertThatThrownBy(() -> Schedule.onTables("lakehouse", "gold.a", "gold.a"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gold.a is named twice");
        assertThatThrownBy(() -> Schedule.onTables("lakehouse"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one table");
        assertThatThrownBy(() -> Schedule.onTables("no connection", "gold.a"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'no connection'");
    }

    @Test
    void triggeringSnapshotsRoundTripThroughTheRunParam() {
        TableSnapshot snapshot = new TableSnapshot("gold.a", 42L, Optional.of("abc"));
        TableSnapshot noCommit = new TableSnapshot("gold.b", 7L, Optional.empty());

        assertThat(TableSnapshot.fromParam(List.of(snapshot.toParam(), noCommit.toParam(), "junk")))
                .containsExactly(snapshot, noCommit);
        assertThat(TableSnapshot.fromParam("junk")).isEmpty();
    }
}
