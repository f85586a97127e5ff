package dev.sluice.servers;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one call of the Hive Metastore's Thrift API that Sluice makes itself, {@code get_all_databases},
 * in Thrift's binary protocol on a plain socket (the metastore's default: no SASL, no framing). It
 * tells that a starting metastore answers from its database, not only that its port is open, without
 * bringing Thrift and the metastore's client into {@code servers}.
 */
final class HiveMetastoreThrift {
    private static final int VERSION_1 = 0x80010000;
    private static final int CALL = 1;
    private static final int REPLY = 2;
    private static final int EXCEPTION = 3;
    private static final byte STOP = 0;
    private static final byte STRING = 11;
    private static final byte STRUCT = 12;
    private static final byte LIST = 15;
    private static final String GET_ALL_DATABASES = "get_all_databases";

    private HiveMetastoreThrift() {}

    /** The names of the metastore's databases (of its default catalog, {@code hive}). */
    static List<String> allDatabases(int port, Duration timeout) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            out.writeInt(VERSION_1 | CALL);
            writeString(out, GET_ALL_DATABASES);
            out.writeInt(1);
            // The arguments: a struct without fields.
            out.writeByte(STOP);
            out.flush();
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            int header = in.readInt();
            if ((header & 0xffff0000) != VERSION_1) {
                throw new IOException("not a Thrift binary protocol answer: 0x" + Integer.toHexString(header));
            }
            String method = readString(in);
            in.readInt();
            if ((header & 0xff) == EXCEPTION) {
                throw new IOException("the metastore failed " + method + ": "
                        + firstString(in).orElse("no message"));
            }
            if ((header & 0xff) != REPLY) {
                throw new IOException("unexpected Thrift message type " + (header & 0xff) + " for " + method);
            }
            return databases(in);
        }
    }

    // The result struct: field 0 holds the list of names, field 1 a MetaException.
    private static List<String> databases(DataInputStream in) throws IOException {
        byte type = in.readByte();
        if (type == STOP) {
            throw new IOException(GET_ALL_DATABASES + " returned no result");
        }
        short field = in.readShort();
        if (field != 0 || type != LIST) {
            throw new IOException(
                    GET_ALL_DATABASES + " failed: " + firstString(in).orElse("field " + field));
        }
        byte elementType = in.readByte();
        int size = in.readInt();
        if (elementType != STRING || size < 0) {
            throw new IOException(GET_ALL_DATABASES + " returned a list of type " + elementType);
        }
        List<String> names = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            names.add(readString(in));
        }
        return List.copyOf(names);
    }

    // Exceptions (TApplicationException, MetaException) carry their message as their first string field.
    private static Optional<String> firstString(DataInputStream in) throws IOException {
        byte type = in.readByte();
        while (type != STOP) {
            in.readShort();
            if (type == STRING) {
                return Optional.of(readString(in));
            }
            if (type != STRUCT) {
                return Optional.empty();
            }
            type = in.readByte();
        }
        return Optional.empty();
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > 1 << 20) {
            throw new IOException("implausible Thrift string length " + length);
        }
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length) {
            throw new IOException("the metastore closed the connection in the middle of an answer");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
