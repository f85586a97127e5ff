-- A claim takes the runnable task instances of one DAG and pool in priority order, at most as many
-- as it has room for. This index holds them in that order, so that a claim reads the rows it takes
-- and not every task instance of every run that has one runnable.
CREATE INDEX task_instance_claimable ON task_instance (dag_id, pool, priority_weight DESC, backfill, eligible_at, id)
    WHERE state IN ('scheduled', 'up_for_retry', 'up_for_reschedule');
