-- Durable waits: a parked execution's work item becomes claimable when its earliest
-- timer is due (park_work reads min(due) by execution), and an execution's timers go
-- when it ends (delete_timers_of).
CREATE INDEX timers_by_execution ON timers (execution_arn, due);
