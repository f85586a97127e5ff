package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code sluice whoami}: who the server takes the caller for ({@code GET /api/v1/whoami}). */
@Command(
        name = "whoami",
        mixinStandardHelpOptions = true,
        description = "Show the server, and the user and roles it takes this command's credentials for.")
final class WhoamiCommand implements Callable<Integer> {
    @Mixin
    ApiOptions api;

    @Override
    public Integer call() {
        ApiClient client = api.client();
        api.print(client.get("/whoami"), new TypeReference<LoginCommand.Caller>() {}, (caller, out) -> {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("Server", client.server().uri().toString());
            fields.put("User", caller.user());
            fields.put("Roles", caller.roles());
            Fields.print(out, fields);
        });
        return ExitCodes.OK;
    }
}
