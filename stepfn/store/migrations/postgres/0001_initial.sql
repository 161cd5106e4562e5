-- stepfn's PostgreSQL schema, version 1: the tables of the SQLite store, same layout.
-- Records are orjson blobs (bytea) beside the columns queries filter and sort on;
-- histories are chunks of consecutive events (one orjson array per row), encoded as
-- the SQLite store encodes them (stepfn/store/codec.py).
-- Dates are epoch seconds (double precision), as in the store's records.

CREATE TABLE state_machines (
    arn text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    data bytea NOT NULL,
    version_counter integer NOT NULL DEFAULT 0
);

CREATE TABLE revisions (
    machine_arn text NOT NULL,
    revision_id text NOT NULL,  -- '' for a machine's first revision
    data bytea NOT NULL,
    PRIMARY KEY (machine_arn, revision_id)
);

CREATE TABLE versions (
    arn text PRIMARY KEY,
    machine_arn text NOT NULL,
    version integer NOT NULL,
    data bytea NOT NULL
);
CREATE INDEX versions_by_machine ON versions (machine_arn, version);

CREATE TABLE aliases (
    arn text PRIMARY KEY,
    machine_arn text NOT NULL,
    name text NOT NULL,
    data bytea NOT NULL
);
CREATE INDEX aliases_by_machine ON aliases (machine_arn, name);

CREATE TABLE tags (
    resource_arn text NOT NULL,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (resource_arn, key)
);

CREATE TABLE activities (
    arn text PRIMARY KEY,
    name text NOT NULL,
    data bytea NOT NULL
);

CREATE TABLE activity_tasks (
    id text PRIMARY KEY,
    activity_arn text NOT NULL,
    created double precision NOT NULL,
    data bytea NOT NULL
);
CREATE INDEX activity_tasks_queue ON activity_tasks (activity_arn, created, id);

CREATE TABLE executions (
    arn text PRIMARY KEY,
    machine_arn text NOT NULL,
    version_arn text,
    alias_arn text,
    map_run_arn text,
    status text NOT NULL,
    start_date double precision NOT NULL,
    redrive_count integer NOT NULL,
    data bytea NOT NULL
);
CREATE INDEX executions_by_start ON executions (start_date, arn);
CREATE INDEX executions_by_machine ON executions (machine_arn, start_date, arn);
CREATE INDEX executions_by_version ON executions (version_arn, start_date, arn);
CREATE INDEX executions_by_alias ON executions (alias_arn, start_date, arn);
CREATE INDEX executions_by_map_run ON executions (map_run_arn, start_date, arn);
CREATE INDEX executions_by_status ON executions (status);

CREATE TABLE event_chunks (
    execution_arn text NOT NULL,
    last_id integer NOT NULL,
    first_id integer NOT NULL,
    count integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (execution_arn, last_id)
);

CREATE TABLE snapshots (
    execution_arn text PRIMARY KEY,
    data bytea NOT NULL
);

CREATE TABLE map_runs (
    arn text PRIMARY KEY,
    execution_arn text NOT NULL,
    start_date double precision NOT NULL,
    data bytea NOT NULL
);
CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, start_date, arn);

CREATE TABLE timers (
    id text PRIMARY KEY,
    execution_arn text NOT NULL,
    due double precision NOT NULL,
    payload bytea NOT NULL
);
CREATE INDEX timers_by_due ON timers (due);

CREATE TABLE task_tokens (
    token text PRIMARY KEY,
    execution_arn text NOT NULL,
    heartbeat_deadline double precision,
    data bytea NOT NULL
);
CREATE INDEX task_tokens_by_deadline ON task_tokens (heartbeat_deadline);

-- The shared work queue. A key is unique among items; enqueueing a key that is leased
-- sets requeued, so completing the item hands it back instead of deleting it.
CREATE TABLE work (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    key text NOT NULL UNIQUE,
    payload bytea NOT NULL,
    available_at double precision NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    lease_owner text,
    lease_expires double precision,
    requeued boolean NOT NULL DEFAULT false
);
CREATE INDEX work_available ON work (available_at, id);
