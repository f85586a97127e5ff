package dev.sluice.scheduler.http;

import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Operations;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Runs: list with filters and paging, details, trigger, clear, mark success or failed. */
final class RunRoutes {
    private static final int DEFAULT_PAGE = 100;
    private static final int LARGEST_PAGE = 1000;

    private RunRoutes() {}

    static List<ApiRoute> routes(Operations operations) {
        return List.of(
                ApiRoute.get(
                        "/runs",
                        Access.VIEWER,
                        context -> listRuns(operations, context, Parameters.query(context, "dagId"))),
                ApiRoute.get(
                        "/dags/{dagId}/runs",
                        Access.VIEWER,
                        context -> listRuns(operations, context, Optional.of(context.pathParam("dagId")))),
                ApiRoute.post("/dags/{dagId}/runs", Access.OPERATOR, context -> {
                    JsonBody body = JsonBody.parse(context.body(), Set.of("logicalDate", "params"));
                    context.status(HttpStatus.CREATED)
                            .json(ApiServer.actor(context, operations)
                                    .trigger(
                                            context.pathParam("dagId"),
                                            body.instant("logicalDate"),
                                            body.object("params")));
                }),
                ApiRoute.get(
                        "/dags/{dagId}/runs/{runId}",
                        Access.VIEWER,
                        context ->
                                context.json(operations.run(context.pathParam("dagId"), context.pathParam("runId")))),
                ApiRoute.patch("/dags/{dagId}/runs/{runId}", Access.OPERATOR, context -> {
                    JsonBody body = JsonBody.parse(context.body(), Set.of("state"));
                    String state = body.requiredText("state");
                    if (!state.equals("success") && !state.equals("failed")) {
                        throw new OperationException.Invalid(
                                "field 'state' must be success or failed, not '" + state + "'");
                    }
                    context.json(ApiServer.actor(context, operations)
                            .markRun(context.pathParam("dagId"), context.pathParam("runId"), state));
                }),
                ApiRoute.post("/dags/{dagId}/runs/{runId}/clear", Access.OPERATOR, context -> {
                    JsonBody body = JsonBody.parse(context.body(), Set.of("onlyFailed", "taskIds"));
                    context.json(ApiServer.actor(context, operations)
                            .clear(
                                    context.pathParam("dagId"),
                                    context.pathParam("runId"),
                                    body.bool("onlyFailed").orElse(false),
                                    new LinkedHashSet<>(body.textList("taskIds"))));
                }));
    }

    private static void listRuns(Operations operations, Context context, Optional<String> dagId) {
        Operations.RunFilter filter = new Operations.RunFilter(
                dagId,
                Parameters.query(context, "state"),
                Parameters.query(context, "runType"),
                Parameters.queryInstant(context, "logicalDateFrom"),
                Parameters.queryInstant(context, "logicalDateTo"),
                Parameters.queryLong(context, "backfillId"));
        int offset = Parameters.queryInteger(context, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Parameters.queryInteger(context, "limit", DEFAULT_PAGE, 1, LARGEST_PAGE);
        context.json(operations.listRuns(filter, offset, limit));
    }
}
