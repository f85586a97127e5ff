package dev.sluice.scheduler.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link Session}s of the user, one file per server in a {@code tokens} folder beside the
 * config file ({@code ~/.config/sluice/tokens/}). On POSIX file systems the folder is made 0700
 * and each file 0600 as it is created, before a token is written to it; a file is written whole
 * to a temporary file and moved over the old one, so a reader never sees half of it. Messages
 * name the files, never what is in them.
 */
final class TokenCache {
    static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private final Path directory;
    private final boolean posix;

    TokenCache(Path directory) {
        this.directory = requireNonNull(directory, "directory is null").toAbsolutePath();
        this.posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    /** The {@code tokens} folder beside the config file. */
    static TokenCache besideConfig(Path configFile) {
        return new TokenCache(configFile.toAbsolutePath().getParent().resolve("tokens"));
    }

    Path directory() {
        return directory;
    }

    /** The server's file: its address, percent-encoded, so that every server has its own name. */
    Path file(URI server) {
        return directory.resolve(URLEncoder.encode(server.toString(), StandardCharsets.UTF_8) + ".json");
    }

    Optional<Session> read(URI server) {
        Path file = file(server);
        String json;
        try {
            json = Files.readString(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CommandFailedException(
                    ExitCodes.AUTHENTICATION,
                    "the saved tokens for " + server + " cannot be read from " + file + " ("
                            + e.getClass().getSimpleName() + "): run sluice login --server " + server);
        }
        try {
            return Optional.of(ApiClient.MAPPER.readValue(json, Session.class));
        } catch (JsonProcessingException e) {
            // Jackson's message may quote the file, tokens and all.
            throw new CommandFailedException(
                    ExitCodes.AUTHENTICATION,
                    "the saved tokens for " + server + " in " + file + " are damaged: run sluice login --server "
                            + server);
        }
    }

    void write(Session session) {
        Path file = file(session.server());
        try {
            createDirectory();
            Path temporary = posix
                    ? Files.createTempFile(directory, ".tokens-", ".tmp", PosixFilePermissions.asFileAttribute(FILE))
                    : Files.createTempFile(directory, ".tokens-", ".tmp");
            try {
                Files.writeString(temporary, ApiClient.MAPPER.writeValueAsString(session));
                move(temporary, file);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new CommandFailedException(
                    ExitCodes.FAILED, "the tokens for " + session.server() + " cannot be saved in " + file + ": " + e);
        }
    }

    /** Deletes the server's file; returns whether there was one. */
    boolean delete(URI server) {
        Path file = file(server);
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new CommandFailedException(
                    ExitCodes.FAILED, "the saved tokens in " + file + " cannot be deleted: " + e);
        }
    }

    private void createDirectory() throws IOException {
        if (!posix) {
            Files.createDirectories(directory);
            return;
        }
        FileAttribute<Set<PosixFilePermission>> owner = PosixFilePermissions.asFileAttribute(FOLDER);
        Files.createDirectories(directory.getParent());
        if (!Files.isDirectory(directory)) {
            try {
                Files.createDirectory(directory, owner);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // Made meanwhile by another sluice command.
            }
        }
        // The umask may have taken bits away at creation, never added them; a folder made by hand may be wider.
        if (!Files.getPosixFilePermissions(directory).equals(FOLDER)) {
            Files.setPosixFilePermissions(directory, FOLDER);
        }
    }

    private static void move(Path temporary, Path file) throws IOException {
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
