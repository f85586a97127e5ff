-- The state machines of runs, task instances, attempts and backfills, enforced by the database as
-- well as by the engine: a state column holds only known states, and a change of state that the
-- transition table does not list fails the statement. The rows of state_transition are the same as
-- the engine's transition tables (TaskState, RunState, AttemptState, BackfillState); a test checks it.

ALTER TABLE dag_run ADD CONSTRAINT dag_run_state
    CHECK (state IN ('queued', 'running', 'success', 'failed'));
ALTER TABLE dag_run ADD CONSTRAINT dag_run_unfinished_tasks CHECK (unfinished_tasks >= 0);
ALTER TABLE task_instance ADD CONSTRAINT task_instance_state
    CHECK (state IN ('none', 'scheduled', 'running', 'success', 'failed', 'up_for_retry', 'up_for_reschedule',
                     'upstream_failed', 'skipped'));
ALTER TABLE task_attempt ADD CONSTRAINT task_attempt_state
    CHECK (state IN ('running', 'success', 'failed', 'skipped', 'rescheduled'));
ALTER TABLE backfill ADD CONSTRAINT backfill_state
    CHECK (state IN ('running', 'paused', 'completed', 'cancelled'));

CREATE TABLE state_transition (
    entity     text NOT NULL,
    from_state text NOT NULL,
    to_state   text NOT NULL,
    PRIMARY KEY (entity, from_state, to_state)
);
INSERT INTO state_transition (entity, from_state, to_state) VALUES
    ('dag_run', 'queued', 'running'),
    ('dag_run', 'queued', 'success'),
    ('dag_run', 'queued', 'failed'),
    ('dag_run', 'running', 'success'),
    ('dag_run', 'running', 'failed'),
    ('dag_run', 'success', 'running'),
    ('dag_run', 'failed', 'running'),
    ('dag_run', 'success', 'failed'),
    ('dag_run', 'failed', 'success'),
    ('task_instance', 'none', 'scheduled'),
    ('task_instance', 'none', 'skipped'),
    ('task_instance', 'none', 'upstream_failed'),
    ('task_instance', 'none', 'success'),
    ('task_instance', 'none', 'failed'),
    ('task_instance', 'scheduled', 'running'),
    ('task_instance', 'scheduled', 'success'),
    ('task_instance', 'scheduled', 'failed'),
    ('task_instance', 'running', 'success'),
    ('task_instance', 'running', 'failed'),
    ('task_instance', 'running', 'skipped'),
    ('task_instance', 'running', 'up_for_retry'),
    ('task_instance', 'running', 'up_for_reschedule'),
    ('task_instance', 'up_for_retry', 'running'),
    ('task_instance', 'up_for_retry', 'success'),
    ('task_instance', 'up_for_retry', 'failed'),
    ('task_instance', 'up_for_reschedule', 'running'),
    ('task_instance', 'up_for_reschedule', 'success'),
    ('task_instance', 'up_for_reschedule', 'failed'),
    ('task_instance', 'success', 'none'),
    ('task_instance', 'failed', 'none'),
    ('task_instance', 'upstream_failed', 'none'),
    ('task_instance', 'skipped', 'none'),
    ('task_attempt', 'running', 'success'),
    ('task_attempt', 'running', 'failed'),
    ('task_attempt', 'running', 'skipped'),
    ('task_attempt', 'running', 'rescheduled'),
    ('backfill', 'running', 'paused'),
    ('backfill', 'running', 'completed'),
    ('backfill', 'running', 'cancelled'),
    ('backfill', 'paused', 'running'),
    ('backfill', 'paused', 'cancelled');

CREATE FUNCTION check_state_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM state_transition
                   WHERE entity = TG_TABLE_NAME AND from_state = OLD.state AND to_state = NEW.state) THEN
        RAISE EXCEPTION '% % cannot move from state % to %', TG_TABLE_NAME, OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER dag_run_transition BEFORE UPDATE OF state ON dag_run
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION check_state_transition();
CREATE TRIGGER task_instance_transition BEFORE UPDATE OF state ON task_instance
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION check_state_transition();
CREATE TRIGGER task_attempt_transition BEFORE UPDATE OF state ON task_attempt
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION check_state_transition();
CREATE TRIGGER backfill_transition BEFORE UPDATE OF state ON backfill
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION check_state_transition();

-- Workers: how many attempts each runs at once, and which session of it holds its attempts. A worker
-- that lost its database session (and so its advisory lock) starts a new epoch: attempts claimed in
-- an earlier epoch are failed, never finished by it.
ALTER TABLE worker ADD COLUMN slots integer NOT NULL DEFAULT 1;

-- Why an attempt failed: its task's own fault ('task'), which uses up a try, or the infrastructure's
-- ('infrastructure': its worker died or lost its session, its DAG version was not loaded), which
-- gives the try back. infrastructure_retries counts the latter, so that a task that kills its worker
-- every time ends failed instead of looping.
ALTER TABLE task_attempt ADD COLUMN failure_cause text CHECK (failure_cause IN ('task', 'infrastructure'));
ALTER TABLE task_instance ADD COLUMN infrastructure_retries integer NOT NULL DEFAULT 0;
