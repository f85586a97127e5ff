package dev.sluice.tasks.dremio;

import static java.util.Objects.requireNonNull;

import dev.sluice.tasks.auth.AccessTokens;
import dev.sluice.tasks.connection.Secret;

/**
 * How Sluice logs in to Dremio: a user name and password (exchanged for a session token at
 * connect), a personal access token, or the access token of an OAuth client such as Sluice's
 * Keycloak service account (for a Dremio that takes the identity provider's tokens), fetched at
 * connect. Secrets print as {@code ****}.
 */
public sealed interface DremioCredentials {
    /** The secret, to register with a masker and to hand to the driver. */
    Secret secret();

    static DremioCredentials password(String user, String password) {
        return new UserPassword(user, Secret.of(password));
    }

    static DremioCredentials token(String token) {
        return new AccessToken(Secret.of(token));
    }

    /** The tokens of an OAuth client; {@link #secret()} is the client's secret. */
    record ServiceAccount(AccessTokens tokens) implements DremioCredentials {
        public ServiceAccount {
            requireNonNull(tokens, "tokens is null");
        }

        @Override
        public Secret secret() {
            return tokens.client().clientSecret();
        }

        @Override
        public String toString() {
            return "ServiceAccount[client=" + tokens.client().clientId() + ", issuer="
                    + tokens.client().issuer() + "]";
        }
    }

    record UserPassword(String user, Secret password) implements DremioCredentials {
        public UserPassword {
            requireNonNull(user, "user is null");
            requireNonNull(password, "password is null");
            if (user.isBlank()) {
                throw new IllegalArgumentException("the Dremio user name is blank");
            }
        }

        @Override
        public Secret secret() {
            return password;
        }
    }

    record AccessToken(Secret token) implements DremioCredentials {
        public AccessToken {
            requireNonNull(token, "token is null");
            if (token.isEmpty()) {
                throw new IllegalArgumentException("the Dremio access token is empty");
            }
        }

        @Override
        public Secret secret() {
            return token;
        }
    }
}
