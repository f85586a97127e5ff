package dev.sluice.tasks.dremio;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.auth2.Auth2Constants;
import org.apache.arrow.flight.auth2.AuthUtilities;
import org.apache.arrow.flight.auth2.BasicCallHeaderAuthenticator;
import org.apache.arrow.flight.auth2.CallHeaderAuthenticator;
import org.apache.arrow.flight.auth2.GeneratedBearerTokenAuthenticator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hand-written stand-in for Dremio, because Dremio cannot be installed here: an Arrow Flight SQL
 * server on 127.0.0.1 that runs SQL on a real Postgres database. It logs in the way Dremio does:
 * a basic-auth handshake with user name and password that returns a bearer token, which later calls
 * carry; personal access tokens go straight in as bearer tokens.
 *
 * <p>Only what the Flight SQL JDBC driver needs to run statements is served: prepared statements,
 * their result streams (cancelled when the client cancels the stream) and their updates.
 */
public final class FlightSqlTestServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FlightSqlTestServer.class);

    private final BufferAllocator allocator;
    private final PostgresFlightSqlProducer producer;
    private final FlightServer server;

    private FlightSqlTestServer(BufferAllocator allocator, PostgresFlightSqlProducer producer, FlightServer server) {
        this.allocator = allocator;
        this.producer = producer;
        this.server = server;
    }

    /** A server that runs its statements on {@code postgres}. */
    public static Builder builder(DataSource postgres) {
        return new Builder(postgres);
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        try {
            AutoCloseables.close(server, producer, allocator);
        } catch (Exception e) {
            throw new IllegalStateException("stopping the Flight SQL test server failed", e);
        }
    }

    public static final class Builder {
        private final DataSource postgres;
        private final Map<String, String> passwords = new LinkedHashMap<>();
        private final Map<String, String> personalAccessTokens = new LinkedHashMap<>();

        private Builder(DataSource postgres) {
            this.postgres = requireNonNull(postgres, "postgres is null");
        }

        public Builder user(String user, String password) {
            passwords.put(requireNonNull(user, "user is null"), requireNonNull(password, "password is null"));
            return this;
        }

        /** A personal access token that logs in as {@code user}. */
        public Builder personalAccessToken(String token, String user) {
            personalAccessTokens.put(requireNonNull(token, "token is null"), requireNonNull(user, "user is null"));
            return this;
        }

        public FlightSqlTestServer start() {
            BufferAllocator allocator = new RootAllocator();
            Map<String, String> passwords = Map.copyOf(this.passwords);
            CallHeaderAuthenticator login =
                    new GeneratedBearerTokenAuthenticator(new BasicCallHeaderAuthenticator((user, password) -> {
                        if (!password.equals(passwords.get(user))) {
                            String message = "Unable to authenticate user " + user + ": invalid user name or password";
                            throw CallStatus.UNAUTHENTICATED
                                    .withDescription(message)
                                    .toRuntimeException();
                        }
                        return () -> user;
                    }));
            PostgresFlightSqlProducer producer = new PostgresFlightSqlProducer(postgres, allocator);
            FlightServer server = FlightServer.builder(allocator, Location.forGrpcInsecure("127.0.0.1", 0), producer)
                    .headerAuthenticator(new PersonalAccessTokens(Map.copyOf(personalAccessTokens), login))
                    .build();
            try {
                server.start();
            } catch (IOException e) {
                AutoCloseables.closeNoChecked(producer);
                AutoCloseables.closeNoChecked(allocator);
                throw new UncheckedIOException("cannot start the Flight SQL test server", e);
            }
            log.info("Flight SQL test server listening on 127.0.0.1:{}", server.getPort());
            return new FlightSqlTestServer(allocator, producer, server);
        }
    }

    /** Accepts the configured personal access tokens and hands everything else to Dremio-style login. */
    private record PersonalAccessTokens(Map<String, String> users, CallHeaderAuthenticator login)
            implements CallHeaderAuthenticator {
        @Override
        public AuthResult authenticate(CallHeaders headers) {
            String bearer = AuthUtilities.getValueFromAuthHeader(headers, Auth2Constants.BEARER_PREFIX);
            String user = bearer == null ? null : users.get(bearer);
            if (user != null) {
                return () -> user;
            }
            return login.authenticate(headers);
        }
    }
}
