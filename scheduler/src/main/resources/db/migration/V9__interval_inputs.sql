-- What a task read for a data interval (TaskContext.recordInput), such as the Kafka offset ranges a
-- stream ingest consumed: recorded once by the first attempt, before it reads, so that every later
-- attempt and run of the same interval reads the same data again. Kept when housekeeping deletes
-- the runs and attempts: a rerun of an old interval still finds it. Replaced only by a reprocessing,
-- guarded by the version it read.
CREATE TABLE task_interval_input (
    dag_id          text        NOT NULL REFERENCES dag (dag_id),
    task_id         text        NOT NULL,
    interval_start  timestamptz NOT NULL,
    interval_end    timestamptz NOT NULL,
    input           jsonb       NOT NULL,
    version         integer     NOT NULL,
    -- The attempt that recorded this version (task_attempt.id, not a reference: the attempt may be
    -- deleted first), its run and its try number.
    attempt_id      bigint      NOT NULL,
    run_id          text        NOT NULL,
    try_number      integer     NOT NULL,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (dag_id, task_id, interval_start, interval_end)
);
