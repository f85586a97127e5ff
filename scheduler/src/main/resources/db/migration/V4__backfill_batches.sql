-- A backfill run may cover several consecutive schedule intervals, up to the DAG's max backfill
-- intervals per run: the plan row's logical date is the first tick, interval_end the end of the last.
ALTER TABLE backfill ADD COLUMN intervals_per_run integer NOT NULL DEFAULT 1;
ALTER TABLE backfill_run ADD COLUMN intervals integer NOT NULL DEFAULT 1;
ALTER TABLE backfill_run ADD COLUMN interval_end timestamptz;
