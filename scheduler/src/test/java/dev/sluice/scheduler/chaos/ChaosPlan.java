package dev.sluice.scheduler.chaos;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What {@link ChaosCluster#unleash} does, decided up front from a seed: kill a server (and start
 * it again at once) or crash Postgres, each after a pause.
 */
record ChaosPlan(long seed, List<Event> events) {
    sealed interface Event {
        Duration pause();
    }

    /** {@code kill -9} of server number {@code server}, then a new process in its place. */
    record KillServer(Duration pause, int server) implements Event {}

    /** An immediate restart of Postgres, as after a crash. */
    record RestartPostgres(Duration pause) implements Event {}

    ChaosPlan {
        events = List.copyOf(events);
    }

    /**
     * {@code kills} kills of random servers among {@code servers}, with a Postgres crash halfway,
     * each after a random pause from {@code shortest} to {@code longest}. No kills make a control
     * run: nothing is killed, Postgres neither.
     */
    static ChaosPlan random(long seed, int kills, int servers, Duration shortest, Duration longest) {
        requireNonNull(shortest, "shortest is null");
        requireNonNull(longest, "longest is null");
        if (kills < 0 || servers < 1 || shortest.isNegative() || longest.compareTo(shortest) < 0) {
            throw new IllegalArgumentException("need kills, a server and a range of pauses, not " + kills + ", "
                    + servers + ", " + shortest + " to " + longest);
        }
        Random random = new Random(seed);
        List<Event> events = new ArrayList<>();
        for (int kill = 0; kill < kills; kill++) {
            if (kill == kills / 2) {
                events.add(new RestartPostgres(pause(random, shortest, longest)));
            }
            events.add(new KillServer(pause(random, shortest, longest), random.nextInt(servers)));
        }
        return new ChaosPlan(seed, events);
    }

    private static Duration pause(Random random, Duration shortest, Duration longest) {
        return Duration.ofMillis(random.nextLong(shortest.toMillis(), longest.toMillis() + 1));
    }

    long kills() {
        return events.stream().filter(KillServer.class::isInstance).count();
    }
}
