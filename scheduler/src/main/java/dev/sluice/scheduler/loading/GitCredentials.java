package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

/**
 * A user name and password, or token, for a git repository over HTTPS. A secret: {@link #toString()}
 * hides the password, and Sluice never logs it or puts it in an error.
 */
public record GitCredentials(String username, String password) {
    public GitCredentials {
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        if (username.isBlank()) {
            throw new IllegalArgumentException("git username is empty");
        }
        if (password.isEmpty()) {
            throw new IllegalArgumentException("git password is empty");
        }
    }

    /**
     * An access token. Hosts ignore the user name that goes with a token, but need one; GitLab
     * wants {@code oauth2} with an OAuth token: use the constructor for that.
     */
    public static GitCredentials token(String token) {
        return new GitCredentials("x-access-token", token);
    }

    @Override
    public String toString() {
        return "GitCredentials[username=" + username + ", password=****]";
    }
}
