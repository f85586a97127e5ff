-- Sluice's own tables. Every scheduling decision is a row change in one of them.

CREATE TABLE dag (
    dag_id            text PRIMARY KEY,
    current_version   text        NOT NULL,
    is_paused         boolean     NOT NULL DEFAULT false,
    is_active         boolean     NOT NULL DEFAULT true,
    schedule          text        NOT NULL,
    timezone          text        NOT NULL,
    max_active_runs   integer     NOT NULL,
    max_active_tasks  integer     NOT NULL,
    -- The logical date of the next scheduled run to create (Airflow's next_dagrun); null: none yet.
    next_logical_date timestamptz,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE dag_version (
    dag_id          text        NOT NULL REFERENCES dag (dag_id),
    version         text        NOT NULL,
    origin_kind     text        NOT NULL,
    origin_location text        NOT NULL,
    origin_digest   text        NOT NULL,
    structure       jsonb       NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (dag_id, version)
);

CREATE TABLE dag_run (
    id                  bigserial PRIMARY KEY,
    dag_id              text        NOT NULL REFERENCES dag (dag_id),
    run_id              text        NOT NULL,
    run_type            text        NOT NULL,
    logical_date        timestamptz NOT NULL,
    data_interval_start timestamptz NOT NULL,
    data_interval_end   timestamptz NOT NULL,
    state               text        NOT NULL,
    dag_version         text        NOT NULL,
    conf                jsonb       NOT NULL DEFAULT '{}',
    -- Task instances not yet in a final state; the run ends when this reaches zero.
    unfinished_tasks    integer     NOT NULL,
    created_at          timestamptz NOT NULL,
    started_at          timestamptz,
    ended_at            timestamptz,
    UNIQUE (dag_id, run_id),
    UNIQUE (dag_id, logical_date),
    FOREIGN KEY (dag_id, dag_version) REFERENCES dag_version (dag_id, version)
);
CREATE INDEX dag_run_active ON dag_run (dag_id, logical_date) WHERE state IN ('queued', 'running');

CREATE TABLE pool (
    name        text PRIMARY KEY,
    slots       integer NOT NULL CHECK (slots >= 0),
    description text    NOT NULL DEFAULT ''
);
INSERT INTO pool (name, slots, description) VALUES ('default_pool', 128, 'Tasks that name no pool');

CREATE TABLE worker (
    id           text PRIMARY KEY,
    hostname     text        NOT NULL,
    pid          bigint      NOT NULL,
    -- A session advisory lock held while the worker's process lives: a lock that can be taken
    -- means the worker is gone, at once, without waiting for its heartbeat to age.
    lock_key     bigint      NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);

CREATE TABLE task_instance (
    id                 bigserial PRIMARY KEY,
    run_pk             bigint      NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
    dag_id             text        NOT NULL,
    task_id            text        NOT NULL,
    state              text        NOT NULL,
    try_number         integer     NOT NULL DEFAULT 0,
    max_tries          integer     NOT NULL,
    pool               text        NOT NULL,
    priority_weight    integer     NOT NULL,
    -- When a scheduled, up_for_retry or up_for_reschedule task may start.
    eligible_at        timestamptz,
    attempt_started_at timestamptz,
    started_at         timestamptz,
    ended_at           timestamptz,
    worker_id          text,
    output             jsonb,
    UNIQUE (run_pk, task_id)
);
CREATE INDEX task_instance_runnable ON task_instance (eligible_at)
    WHERE state IN ('scheduled', 'up_for_retry', 'up_for_reschedule');
CREATE INDEX task_instance_running ON task_instance (dag_id, pool) WHERE state = 'running';

CREATE TABLE task_attempt (
    id             bigserial PRIMARY KEY,
    task_instance  bigint      NOT NULL REFERENCES task_instance (id) ON DELETE CASCADE,
    try_number     integer     NOT NULL,
    state          text        NOT NULL,
    worker_id      text        NOT NULL,
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    error_category text,
    error          text,
    output         jsonb
);
CREATE INDEX task_attempt_by_instance ON task_attempt (task_instance, id);

CREATE TABLE task_log (
    attempt   bigint      NOT NULL REFERENCES task_attempt (id) ON DELETE CASCADE,
    seq       integer     NOT NULL,
    logged_at timestamptz NOT NULL,
    level     text        NOT NULL,
    message   text        NOT NULL,
    PRIMARY KEY (attempt, seq)
);
