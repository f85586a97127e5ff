package dev.sluice.tasks.trino;

import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.auth.AccessTokens;
import io.trino.jdbc.$internal.okhttp3.Call;
import io.trino.jdbc.$internal.okhttp3.HttpUrl;
import io.trino.jdbc.$internal.okhttp3.OkHttpClient;
import io.trino.jdbc.$internal.okhttp3.Request;
import io.trino.jdbc.NonRegisteringTrinoDriver;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * trino-jdbc, with a bearer token that stays valid however long the session lasts. The driver takes
 * only a fixed {@code accessToken}, which a task that runs longer than the token's life (five minutes
 * in Keycloak by default) would keep sending after it expired; through the driver's
 * {@link #wrapClient} hook every request to the coordinator carries {@link AccessTokens#current()}
 * instead.
 *
 * <p>The hook speaks the driver's relocated OkHttp ({@code io.trino.jdbc.$internal.okhttp3}): a
 * trino-jdbc release that moves it breaks this class's compilation, not a run.
 *
 * <p>One driver per client and coordinator, kept for the process's life like the driver
 * {@link java.sql.DriverManager} holds: each has its own connection pool.
 */
final class TrinoBearerDriver extends NonRegisteringTrinoDriver {
    private static final ConcurrentMap<Key, TrinoBearerDriver> DRIVERS = new ConcurrentHashMap<>();

    private final Key key;

    private TrinoBearerDriver(Key key) {
        this.key = key;
    }

    static TrinoBearerDriver of(AccessTokens tokens, String host, int port) {
        return DRIVERS.computeIfAbsent(new Key(tokens, host.toLowerCase(Locale.ROOT), port), TrinoBearerDriver::new);
    }

    @Override
    protected Call.Factory wrapClient(OkHttpClient client) {
        return client.newBuilder()
                .addInterceptor(chain -> {
                    Request request = chain.request();
                    // Spooled result segments may come from object storage, which must not see the token.
                    if (!key.isCoordinator(request.url())) {
                        return chain.proceed(request);
                    }
                    String token;
                    try {
                        token = key.tokens().current().reveal();
                    } catch (TaskFailedException e) {
                        throw new IOException(e.getMessage(), e);
                    }
                    return chain.proceed(request.newBuilder()
                            .header("Authorization", "Bearer " + token)
                            .build());
                })
                .build();
    }

    private record Key(AccessTokens tokens, String host, int port) {
        boolean isCoordinator(HttpUrl url) {
            return url.host().equalsIgnoreCase(host) && url.port() == port;
        }
    }
}
