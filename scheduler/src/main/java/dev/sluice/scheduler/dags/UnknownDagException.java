package dev.sluice.scheduler.dags;

/** A DAG id that no loaded DAG has. */
public class UnknownDagException extends RuntimeException {
    private final String dagId;

    public UnknownDagException(String dagId) {
        super("unknown DAG '" + dagId + "'");
        this.dagId = dagId;
    }

    public String dagId() {
        return dagId;
    }
}
