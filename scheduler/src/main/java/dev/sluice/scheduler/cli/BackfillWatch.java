package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.scheduler.api.Views;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Set;

/**
 * {@code backfill show --watch}: polls the backfill and redraws one progress line in a terminal,
 * or prints a line whenever the progress changes otherwise, until the backfill has ended and its
 * last runs have finished.
 */
final class BackfillWatch {
    private static final Set<String> ONGOING = Set.of("running", "paused");
    private static final int BAR_WIDTH = 30;

    private final ApiOptions api;
    private final long id;
    private final Duration interval;
    private final boolean terminal;

    BackfillWatch(ApiOptions api, long id, int intervalSeconds, boolean terminal) {
        if (intervalSeconds < 1) {
            throw new CommandFailedException(
                    ExitCodes.INVALID, "--interval must be at least 1 second, not " + intervalSeconds);
        }
        this.api = api;
        this.id = id;
        this.interval = Duration.ofSeconds(intervalSeconds);
        this.terminal = terminal;
    }

    int run() throws InterruptedException {
        ApiClient client = api.client();
        PrintWriter out = api.out();
        String lastState = "";
        while (true) {
            Views.Backfill backfill =
                    client.get(ApiClient.path("backfills", id)).as(new TypeReference<>() {});
            BackfillProgress progress = BackfillProgress.of(backfill);
            boolean ended = !ONGOING.contains(backfill.state()) && !progress.active();
            String line = line(backfill, progress, ended);
            String state = backfill.state() + " " + progress.countsLine();
            if (terminal) {
                // Carriage return and erase-line redraw the same line in place.
                out.print("\r\033[K" + line);
            } else if (!state.equals(lastState)) {
                out.println(line);
            }
            out.flush();
            lastState = state;
            if (ended) {
                if (terminal) {
                    out.println();
                }
                out.println("backfill " + id + " is " + backfill.state() + ": " + progress.countsLine());
                out.flush();
                return progress.failed() > 0 || backfill.state().equals("cancelled") ? ExitCodes.FAILED : ExitCodes.OK;
            }
            Thread.sleep(interval);
        }
    }

    private static String line(Views.Backfill backfill, BackfillProgress progress, boolean ended) {
        String left = ended
                ? ""
                : backfill.estimatedRemaining()
                        .map(remaining -> "  ETA " + Formats.duration(remaining))
                        .orElse("");
        return progress.bar(BAR_WIDTH) + " " + progress.percent() + "%  " + progress.countsLine() + "  ("
                + backfill.state() + ")" + left;
    }
}
