-- Data-aware scheduling: for each DAG scheduled on Iceberg tables (Schedule.onTables), and each of
-- its tables, the snapshot on the lakehouse's main that the DAG last consumed and the newest one the
-- catalog poll saw. A run is due when the newest differs from the consumed one (for every table, or
-- any one); the transaction that creates it moves consumed to newest, guarded by the values it read.
CREATE TABLE dag_table_snapshot (
    dag_id                text        NOT NULL REFERENCES dag (dag_id),
    table_name            text        NOT NULL,
    connection            text        NOT NULL,
    -- What the DAG's last asset-triggered run consumed, or the snapshot first seen (no run for that).
    -- Null: the table had no snapshot (or did not exist).
    consumed_snapshot_id  bigint,
    -- The newest snapshot seen on main, and the catalog commit (Nessie's) it was seen at.
    latest_snapshot_id    bigint,
    latest_commit         text,
    seen_at               timestamptz NOT NULL,
    consumed_at           timestamptz NOT NULL,
    PRIMARY KEY (dag_id, table_name)
);
