-- Who did what: the user (the access token's name) who triggered a run, who last cleared or marked
-- it, who created a backfill and who last paused, resumed or cancelled it, who paused or unpaused a
-- DAG. Null for what the scheduler did itself, and for what was done before this column existed.
ALTER TABLE dag_run ADD COLUMN triggered_by text;
ALTER TABLE dag_run ADD COLUMN changed_by text;
ALTER TABLE dag_run ADD COLUMN changed_at timestamptz;
ALTER TABLE backfill ADD COLUMN created_by text;
ALTER TABLE backfill ADD COLUMN changed_by text;
ALTER TABLE dag ADD COLUMN paused_by text;
