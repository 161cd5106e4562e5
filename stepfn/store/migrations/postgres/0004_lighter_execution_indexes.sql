-- Writing an execution cost one index entry per index, also for the columns most
-- executions leave empty. Executions without a version, an alias or a Map Run are left
-- out of those indexes (a query on one of them names it, so the partial index serves
-- it), and the index on status goes: ListExecutions always names a machine or a Map
-- Run, whose index finds the rows its status filter then checks.
DROP INDEX executions_by_status;
DROP INDEX executions_by_version;
DROP INDEX executions_by_alias;
DROP INDEX executions_by_map_run;
CREATE INDEX executions_by_version ON executions (version_arn, start_date, arn)
    WHERE version_arn IS NOT NULL;
CREATE INDEX executions_by_alias ON executions (alias_arn, start_date, arn)
    WHERE alias_arn IS NOT NULL;
CREATE INDEX executions_by_map_run ON executions (map_run_arn, start_date, arn)
    WHERE map_run_arn IS NOT NULL;
