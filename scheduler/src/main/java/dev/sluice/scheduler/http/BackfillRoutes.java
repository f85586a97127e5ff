package dev.sluice.scheduler.http;

import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Operations;
import io.javalin.http.HttpStatus;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Backfills: plan (dry run), create, list, progress, pause, resume, cancel. */
final class BackfillRoutes {
    private static final Set<String> REQUEST_FIELDS =
            Set.of("dagId", "from", "to", "reprocess", "maxActiveRuns", "runBackwards", "intervalsPerRun");

    private static final int DEFAULT_PAGE = 100;
    private static final int LARGEST_PAGE = 1000;

    private BackfillRoutes() {}

    static List<ApiRoute> routes(Operations operations) {
        return List.of(
                ApiRoute.post(
                        "/backfills/plan",
                        Access.VIEWER,
                        context -> context.json(operations.planBackfill(
                                request(operations, context.body()),
                                Parameters.queryInteger(context, "offset", 0, 0, Integer.MAX_VALUE),
                                Parameters.queryInteger(context, "limit", DEFAULT_PAGE, 1, LARGEST_PAGE)))),
                ApiRoute.post(
                        "/backfills",
                        Access.OPERATOR,
                        context -> context.status(HttpStatus.CREATED)
                                .json(ApiServer.actor(context, operations)
                                        .createBackfill(request(operations, context.body())))),
                ApiRoute.get(
                        "/backfills",
                        Access.VIEWER,
                        context -> context.json(operations.listBackfills(Parameters.query(context, "dagId")))),
                ApiRoute.get(
                        "/backfills/{backfillId}",
                        Access.VIEWER,
                        context -> context.json(operations.backfill(Parameters.pathLong(context, "backfillId")))),
                ApiRoute.post("/backfills/{backfillId}/pause", Access.OPERATOR, context -> {
                    JsonBody.parse(context.body(), Set.of());
                    context.json(ApiServer.actor(context, operations)
                            .pauseBackfill(Parameters.pathLong(context, "backfillId")));
                }),
                ApiRoute.post("/backfills/{backfillId}/resume", Access.OPERATOR, context -> {
                    JsonBody.parse(context.body(), Set.of());
                    context.json(ApiServer.actor(context, operations)
                            .resumeBackfill(Parameters.pathLong(context, "backfillId")));
                }),
                ApiRoute.post("/backfills/{backfillId}/cancel", Access.OPERATOR, context -> {
                    JsonBody.parse(context.body(), Set.of());
                    context.json(ApiServer.actor(context, operations)
                            .cancelBackfill(Parameters.pathLong(context, "backfillId")));
                }));
    }

    /**
     * Without {@code maxActiveRuns}, the backfill may have as many active runs as the DAG allows, as in
     * Airflow; without {@code intervalsPerRun}, each run covers one schedule tick.
     */
    private static BackfillRequest request(Operations operations, String text) {
        JsonBody body = JsonBody.parse(text, REQUEST_FIELDS);
        String dagId = body.requiredText("dagId");
        return new BackfillRequest(
                dagId,
                body.date("from"),
                body.date("to"),
                body.text("reprocess").map(BackfillRoutes::reprocess).orElse(BackfillRequest.Reprocess.NONE),
                body.integer("maxActiveRuns")
                        .orElseGet(() -> operations.dag(dagId).maxActiveRuns()),
                body.bool("runBackwards").orElse(false),
                body.integer("intervalsPerRun").orElse(1));
    }

    private static BackfillRequest.Reprocess reprocess(String value) {
        return Arrays.stream(BackfillRequest.Reprocess.values())
                .filter(reprocess -> reprocess.name().toLowerCase(Locale.ROOT).equals(value))
                .findFirst()
                .orElseThrow(() -> new OperationException.Invalid(
                        "field 'reprocess' must be none, failed or completed, not '" + value + "'"));
    }
}
