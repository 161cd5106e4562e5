-- A Distributed Map's children counted by status in the transaction that inserts a child
-- or changes its status (a trigger), so a Map Run's live counts cost a few rows to read
-- however many children it has. A child's change adds delta rows (-1 at its old status,
-- +1 at its new one, in executions and in items: its batch's size, map_items) rather than
-- updating one counter row: children ending on many workers at once never wait for one
-- another's row lock. The parent folds a run's deltas into map_run_counts as it reads
-- them (postgres_sql.COUNT_MAP_RUN_CHILDREN); other readers add the deltas left.
ALTER TABLE executions ADD COLUMN map_items integer;
UPDATE executions SET map_items = 1 WHERE map_run_arn IS NOT NULL;

CREATE TABLE map_run_counts (
    map_run_arn text NOT NULL,
    status text NOT NULL,
    executions bigint NOT NULL,
    items bigint NOT NULL,
    PRIMARY KEY (map_run_arn, status)
);
CREATE TABLE map_run_deltas (
    map_run_arn text NOT NULL,
    status text NOT NULL,
    executions integer NOT NULL,
    items integer NOT NULL
);
CREATE INDEX map_run_deltas_by_run ON map_run_deltas (map_run_arn);
INSERT INTO map_run_counts (map_run_arn, status, executions, items)
SELECT map_run_arn, status, count(*), count(*) FROM executions
WHERE map_run_arn IS NOT NULL GROUP BY map_run_arn, status;

CREATE FUNCTION stepfn_count_map_run_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.map_run_arn IS NOT NULL AND OLD.map_items > 0 THEN
        INSERT INTO map_run_deltas (map_run_arn, status, executions, items)
        VALUES (OLD.map_run_arn, OLD.status, -1, -OLD.map_items);
    END IF;
    IF NEW.map_run_arn IS NOT NULL AND NEW.map_items > 0 THEN
        INSERT INTO map_run_deltas (map_run_arn, status, executions, items)
        VALUES (NEW.map_run_arn, NEW.status, 1, NEW.map_items);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER map_run_child_inserted AFTER INSERT ON executions FOR EACH ROW
    WHEN (NEW.map_run_arn IS NOT NULL)
    EXECUTE FUNCTION stepfn_count_map_run_child();
CREATE TRIGGER map_run_child_changed AFTER UPDATE ON executions FOR EACH ROW
    WHEN ((OLD.map_run_arn IS NOT NULL OR NEW.map_run_arn IS NOT NULL)
          AND (OLD.status, OLD.map_items, OLD.map_run_arn)
              IS DISTINCT FROM (NEW.status, NEW.map_items, NEW.map_run_arn))
    EXECUTE FUNCTION stepfn_count_map_run_child();
