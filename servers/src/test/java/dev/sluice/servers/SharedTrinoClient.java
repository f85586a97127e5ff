package dev.sluice.servers;

/** A second test JVM in miniature: asks for the shared Trino and prints where it is. */
public final class SharedTrinoClient {
    private SharedTrinoClient() {}

    public static void main(String[] arguments) {
        LocalTrino trino = LocalTrino.shared();
        System.out.println("port=" + trino.port() + " pid=" + trino.pid());
        trino.lakehouse().ifPresent(lakehouse -> System.out.println("iceberg REST " + lakehouse.icebergRestUri()));
    }
}
