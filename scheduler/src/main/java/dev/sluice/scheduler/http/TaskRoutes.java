package dev.sluice.scheduler.http;

import dev.sluice.scheduler.api.Operations;
import java.util.List;

/**
 * Task instances: a page of a DAG's runs with theirs (the grid), those of a run with states and
 * outputs, attempts, and the log of each attempt a page at a time.
 */
final class TaskRoutes {
    private static final int DEFAULT_GRID_RUNS = 25;
    private static final int LARGEST_GRID_PAGE = 1000;
    private static final int DEFAULT_LOG_PAGE = 1000;
    private static final int LARGEST_LOG_PAGE = 10_000;

    private TaskRoutes() {}

    static List<ApiRoute> routes(Operations operations) {
        return List.of(
                ApiRoute.get(
                        "/dags/{dagId}/grid",
                        Access.VIEWER,
                        context -> context.json(operations.grid(
                                context.pathParam("dagId"),
                                Parameters.queryInteger(context, "offset", 0, 0, Integer.MAX_VALUE),
                                Parameters.queryInteger(context, "limit", DEFAULT_GRID_RUNS, 1, LARGEST_GRID_PAGE)))),
                ApiRoute.get(
                        "/dags/{dagId}/runs/{runId}/tasks",
                        Access.VIEWER,
                        context -> context.json(operations
                                .run(context.pathParam("dagId"), context.pathParam("runId"))
                                .taskInstances())),
                ApiRoute.get(
                        "/dags/{dagId}/runs/{runId}/tasks/{taskId}/attempts",
                        Access.VIEWER,
                        context -> context.json(operations.attempts(
                                context.pathParam("dagId"), context.pathParam("runId"), context.pathParam("taskId")))),
                ApiRoute.get(
                        "/dags/{dagId}/runs/{runId}/tasks/{taskId}/attempts/{tryNumber}/log",
                        Access.VIEWER,
                        context -> context.json(operations.log(
                                context.pathParam("dagId"),
                                context.pathParam("runId"),
                                context.pathParam("taskId"),
                                Parameters.pathInteger(context, "tryNumber", 1),
                                Parameters.queryInteger(context, "offset", 0, 0, Integer.MAX_VALUE),
                                Parameters.queryInteger(context, "limit", DEFAULT_LOG_PAGE, 1, LARGEST_LOG_PAGE)))));
    }
}
