package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.http.ApiServer;
import dev.sluice.scheduler.http.Authenticator;
import picocli.CommandLine.Option;

/** Where the service's REST API listens. */
final class ApiServerOptions {
    @Option(
            names = "--api-host",
            paramLabel = "HOST",
            defaultValue = "${env:SLUICE_API_HOST:-127.0.0.1}",
            description =
                    "address the REST API listens on (env SLUICE_API_HOST, default 127.0.0.1; 0.0.0.0 for every interface)")
    String host;

    @Option(
            names = "--api-port",
            paramLabel = "PORT",
            defaultValue = "${env:SLUICE_API_PORT:-8080}",
            description = "port of the REST API (env SLUICE_API_PORT, default 8080; 0 for any free port)")
    int port;

    ApiServer start(Operations operations) {
        return ApiServer.start(operations, Authenticator.disabled(), host, port);
    }
}
