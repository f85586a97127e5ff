package dev.sluice.dag;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
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
}
