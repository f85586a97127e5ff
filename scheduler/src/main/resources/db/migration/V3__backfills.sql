-- Backfills run inside the scheduler: the plan is stored, and the engine creates its runs as room allows.

CREATE TABLE backfill (
    id              bigserial PRIMARY KEY,
    dag_id          text        NOT NULL REFERENCES dag (dag_id),
    from_date       date        NOT NULL,
    to_date         date        NOT NULL,
    reprocess       text        NOT NULL,
    max_active_runs integer     NOT NULL,
    run_backwards   boolean     NOT NULL,
    state           text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX backfill_active ON backfill (dag_id) WHERE state IN ('running', 'paused');

-- One row per logical date of the plan, in the order the runs are made.
CREATE TABLE backfill_run (
    backfill_id  bigint      NOT NULL REFERENCES backfill (id) ON DELETE CASCADE,
    position     integer     NOT NULL,
    logical_date timestamptz NOT NULL,
    action       text        NOT NULL,
    run_pk       bigint,
    PRIMARY KEY (backfill_id, position)
);
CREATE INDEX backfill_run_pending ON backfill_run (backfill_id, position) WHERE run_pk IS NULL AND action <> 'skip';

ALTER TABLE dag_run ADD COLUMN backfill_id bigint REFERENCES backfill (id);
CREATE INDEX dag_run_backfill ON dag_run (backfill_id, state) WHERE backfill_id IS NOT NULL;

-- Backfill work yields to scheduled and manual work when both are runnable.
ALTER TABLE task_instance ADD COLUMN backfill boolean NOT NULL DEFAULT false;

-- Files or providers that failed to load, as last reported by their source.
CREATE TABLE dag_load_error (
    location text PRIMARY KEY,
    line     integer,
    message  text        NOT NULL,
    at       timestamptz NOT NULL
);
