package dev.sluice.scheduler.http;

import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Operations;
import io.javalin.http.Context;
import java.util.List;
import java.util.Set;

/** DAGs: list, details with tasks, versions and their differences, pause and unpause, load errors. */
final class DagRoutes {
    private DagRoutes() {}

    static List<ApiRoute> routes(Operations operations) {
        return List.of(
                ApiRoute.get("/dags", Access.VIEWER, context -> context.json(operations.listDags())),
                ApiRoute.get(
                        "/dags/{dagId}",
                        Access.VIEWER,
                        context -> context.json(operations.dag(context.pathParam("dagId")))),
                ApiRoute.patch("/dags/{dagId}", Access.OPERATOR, context -> {
                    JsonBody body = JsonBody.parse(context.body(), Set.of("paused"));
                    boolean paused = body.bool("paused")
                            .orElseThrow(
                                    () -> new OperationException.Invalid("field 'paused' is required: true or false"));
                    context.json(ApiServer.actor(context, operations).setPaused(context.pathParam("dagId"), paused));
                }),
                ApiRoute.get(
                        "/dags/{dagId}/versions",
                        Access.VIEWER,
                        context -> context.json(operations.versions(context.pathParam("dagId")))),
                ApiRoute.get(
                        "/dags/{dagId}/difference",
                        Access.VIEWER,
                        context -> context.json(operations.difference(
                                context.pathParam("dagId"),
                                requiredQuery(context, "from"),
                                requiredQuery(context, "to")))),
                ApiRoute.get("/load-errors", Access.VIEWER, context -> context.json(operations.loadErrors())));
    }

    private static String requiredQuery(Context context, String name) {
        return Parameters.query(context, name)
                .orElseThrow(() -> new OperationException.Invalid("query parameter '" + name + "' is required"));
    }
}
