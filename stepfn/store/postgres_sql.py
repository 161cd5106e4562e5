"""Every SQL statement the PostgreSQL store runs, by name (the schema itself is in
``migrations/postgres/*.sql``). Parameters are psycopg's named placeholders."""

from __future__ import annotations

# --------------------------------------------------------------------------- notifications
LISTEN = "LISTEN {channel}"  # channel: a psycopg Identifier
# Batch.signal: "<schema> <topic>" on SIGNAL_CHANNEL, sent at commit (never for a
# rolled-back batch); e.g. a task token answered, an activity task queued.
SIGNAL_CHANNEL = "stepfn_signal"
SIGNAL = """
SELECT pg_notify('stepfn_signal', concat_ws(' ', current_schema(), %(topic)s::text))"""
CURRENT_SCHEMA = "SELECT current_schema()"

# --------------------------------------------------------------------------- migrations
SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now())"""
# Serialises migrations of one schema across processes, for the transaction.
MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(%(key)s, 0))"
CURRENT_VERSION = "SELECT coalesce(max(version), 0) FROM schema_version"
RECORD_VERSION = "INSERT INTO schema_version (version) VALUES (%(version)s)"
TABLE_EXISTS = "SELECT to_regclass('schema_version') IS NOT NULL"
CREATE_SCHEMA = "CREATE SCHEMA IF NOT EXISTS {schema}"  # schema: a psycopg Identifier

# --------------------------------------------------------------------------- machines
INSERT_MACHINE = """
INSERT INTO state_machines (arn, name, data) VALUES (%(arn)s, %(name)s, %(data)s)
ON CONFLICT DO NOTHING"""
UPDATE_MACHINE = "UPDATE state_machines SET data=%(data)s WHERE arn=%(arn)s"
DELETE_MACHINE = "DELETE FROM state_machines WHERE arn=%(arn)s"
DELETE_MACHINE_VERSIONS = "DELETE FROM versions WHERE machine_arn=%(arn)s"
DELETE_MACHINE_ALIASES = "DELETE FROM aliases WHERE machine_arn=%(arn)s"
# The machine's own tags and those of its versions and aliases (ARN prefix "arn:").
DELETE_MACHINE_TAGS = """
DELETE FROM tags WHERE resource_arn=%(arn)s OR starts_with(resource_arn, %(prefix)s)"""
UPSERT_REVISION = """
INSERT INTO revisions (machine_arn, revision_id, data)
VALUES (%(machine_arn)s, %(revision_id)s, %(data)s)
ON CONFLICT (machine_arn, revision_id) DO UPDATE SET data=EXCLUDED.data"""
GET_MACHINE = "SELECT data FROM state_machines WHERE arn=%(arn)s"
LIST_MACHINES = """
SELECT data FROM state_machines WHERE name > %(after)s ORDER BY name LIMIT %(limit)s"""
GET_REVISION = """
SELECT data FROM revisions WHERE machine_arn=%(machine_arn)s AND revision_id=%(revision_id)s"""

# --------------------------------------------------------------------------- versions, aliases
INSERT_VERSION = """
INSERT INTO versions (arn, machine_arn, version, data)
VALUES (%(arn)s, %(machine_arn)s, %(version)s, %(data)s) ON CONFLICT DO NOTHING"""
BUMP_VERSION_COUNTER = """
UPDATE state_machines SET version_counter=greatest(version_counter, %(version)s)
WHERE arn=%(machine_arn)s"""
DELETE_VERSION = "DELETE FROM versions WHERE arn=%(arn)s"
GET_VERSION = "SELECT data FROM versions WHERE arn=%(arn)s"
LIST_VERSIONS = """
SELECT data FROM versions WHERE machine_arn=%(machine_arn)s AND version < %(below)s
ORDER BY version DESC LIMIT %(limit)s"""
VERSION_COUNTER = "SELECT version_counter FROM state_machines WHERE arn=%(arn)s"
UPSERT_ALIAS = """
INSERT INTO aliases (arn, machine_arn, name, data)
VALUES (%(arn)s, %(machine_arn)s, %(name)s, %(data)s)
ON CONFLICT (arn) DO UPDATE SET machine_arn=EXCLUDED.machine_arn, name=EXCLUDED.name,
    data=EXCLUDED.data"""
DELETE_ALIAS = "DELETE FROM aliases WHERE arn=%(arn)s"
GET_ALIAS = "SELECT data FROM aliases WHERE arn=%(arn)s"
LIST_ALIASES = """
SELECT data FROM aliases WHERE machine_arn=%(machine_arn)s AND name > %(after)s
ORDER BY name LIMIT %(limit)s"""

# --------------------------------------------------------------------------- tags, activities
UPSERT_TAG = """
INSERT INTO tags (resource_arn, key, value) VALUES (%(resource_arn)s, %(key)s, %(value)s)
ON CONFLICT (resource_arn, key) DO UPDATE SET value=EXCLUDED.value"""
DELETE_TAG = "DELETE FROM tags WHERE resource_arn=%(resource_arn)s AND key=%(key)s"
DELETE_RESOURCE_TAGS = "DELETE FROM tags WHERE resource_arn=%(arn)s"
GET_TAGS = "SELECT key, value FROM tags WHERE resource_arn=%(resource_arn)s ORDER BY key"
INSERT_ACTIVITY = """
INSERT INTO activities (arn, name, data) VALUES (%(arn)s, %(name)s, %(data)s)
ON CONFLICT DO NOTHING"""
DELETE_ACTIVITY = "DELETE FROM activities WHERE arn=%(arn)s"
DELETE_ACTIVITY_TASKS = "DELETE FROM activity_tasks WHERE activity_arn=%(arn)s"
GET_ACTIVITY = "SELECT data FROM activities WHERE arn=%(arn)s"
LIST_ACTIVITIES = """
SELECT data FROM activities WHERE name > %(after)s ORDER BY name LIMIT %(limit)s"""
INSERT_ACTIVITY_TASK = """
INSERT INTO activity_tasks (id, activity_arn, created, data)
VALUES (%(id)s, %(activity_arn)s, %(created)s, %(data)s)"""
# The oldest task no other transaction is taking: concurrent pollers of one activity
# each get a different task instead of queueing behind one row lock.
CLAIM_ACTIVITY_TASK = """
DELETE FROM activity_tasks WHERE id = (
    SELECT id FROM activity_tasks WHERE activity_arn=%(activity_arn)s
    ORDER BY created, id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING data"""

# --------------------------------------------------------------------------- executions
INSERT_EXECUTION = """
INSERT INTO executions (arn, machine_arn, version_arn, alias_arn, map_run_arn, status,
                        start_date, redrive_count, map_items, data)
VALUES (%(arn)s, %(machine_arn)s, %(version_arn)s, %(alias_arn)s, %(map_run_arn)s,
        %(status)s, %(start_date)s, %(redrive_count)s, %(map_items)s, %(data)s)
ON CONFLICT DO NOTHING"""
# Many at once, column by column (a Map Run's children); existing ARNs are left alone.
INSERT_EXECUTIONS = """
INSERT INTO executions (arn, machine_arn, version_arn, alias_arn, map_run_arn, status,
                        start_date, redrive_count, map_items, data)
SELECT * FROM unnest(%(arn)s::text[], %(machine_arn)s::text[], %(version_arn)s::text[],
                     %(alias_arn)s::text[], %(map_run_arn)s::text[], %(status)s::text[],
                     %(start_date)s::double precision[], %(redrive_count)s::integer[],
                     %(map_items)s::integer[], %(data)s::bytea[])
ON CONFLICT DO NOTHING"""
UPDATE_EXECUTION = """
UPDATE executions SET machine_arn=%(machine_arn)s, version_arn=%(version_arn)s,
    alias_arn=%(alias_arn)s, map_run_arn=%(map_run_arn)s, status=%(status)s,
    start_date=%(start_date)s, redrive_count=%(redrive_count)s, map_items=%(map_items)s,
    data=%(data)s
WHERE arn=%(arn)s"""
GET_EXECUTION = "SELECT data FROM executions WHERE arn=%(arn)s"
GET_EXECUTIONS = "SELECT arn, data FROM executions WHERE arn = ANY(%(arns)s::text[])"
# LIST_EXECUTIONS is completed by the filters given (EXECUTION_FILTERS, joined by AND).
LIST_EXECUTIONS = "SELECT data FROM executions"
EXECUTION_FILTERS = {
    "machine_arn": "machine_arn=%(machine_arn)s",
    "version_arn": "version_arn=%(version_arn)s",
    "alias_arn": "alias_arn=%(alias_arn)s",
    "map_run_arn": "map_run_arn=%(map_run_arn)s",
    "status": "status=%(status)s",
    "redriven": "redrive_count > 0",
    "not_redriven": "redrive_count = 0",
    "after": "(start_date, arn) < (%(after_date)s, %(after_arn)s)",
}
LIST_EXECUTIONS_ORDER = " ORDER BY start_date DESC, arn DESC LIMIT %(limit)s"

# --------------------------------------------------------------------------- history
# Appends to one execution's history are serialised (the lock is held to the end of
# the transaction): the insert that follows, a statement of its own, sees every append
# committed before, so its check against the highest stored id holds until commit.
LOCK_HISTORY = "SELECT pg_advisory_xact_lock(hashtextextended(%(execution_arn)s, 1))"
# All the chunks of one append in one statement (one round trip), column by column.
# The insert also tells LISTENers on EVENTS_CHANNEL which events were appended (sent at
# commit, never for a rolled-back batch): "<schema> <first id> <last id> <execution
# ARN>"; a listener reads the events themselves from the store (the event feed).
EVENTS_CHANNEL = "stepfn_events"
INSERT_CHUNKS = """
WITH chunk AS (
  INSERT INTO event_chunks (execution_arn, last_id, first_id, count, data)
  SELECT %(execution_arn)s, last_id, first_id, count, data
  FROM unnest(%(last_ids)s::integer[], %(first_ids)s::integer[], %(counts)s::integer[],
              %(data)s::bytea[]) AS chunk (last_id, first_id, count, data)
  WHERE NOT EXISTS (SELECT 1 FROM event_chunks WHERE execution_arn=%(execution_arn)s
                    AND last_id >= %(first_id)s)
  RETURNING first_id, last_id)
SELECT count(*), pg_notify('stepfn_events', concat_ws(' ', current_schema(),
                           min(first_id), max(last_id), %(execution_arn)s::text))
FROM chunk"""
# The same for the common case of one chunk, with plain parameters (no arrays to dump).
INSERT_CHUNK = """
WITH chunk AS (
  INSERT INTO event_chunks (execution_arn, last_id, first_id, count, data)
  SELECT %(execution_arn)s, %(last_id)s, %(first_id)s, %(count)s, %(data)s
  WHERE NOT EXISTS (SELECT 1 FROM event_chunks WHERE execution_arn=%(execution_arn)s
                    AND last_id >= %(first_id)s)
  RETURNING first_id, last_id)
SELECT count(*), pg_notify('stepfn_events', concat_ws(' ', current_schema(),
                           min(first_id), max(last_id), %(execution_arn)s::text))
FROM chunk"""
# A few chunks at a time: a page needs ``limit + 1`` events, and chunks of big payloads
# hold few events each, so reading every remaining chunk at once could be huge.
HISTORY_FORWARD = """
SELECT last_id, first_id, data FROM event_chunks
WHERE execution_arn=%(execution_arn)s AND last_id > %(bound)s
ORDER BY last_id LIMIT %(chunks)s"""
HISTORY_REVERSE = """
SELECT last_id, first_id, data FROM event_chunks
WHERE execution_arn=%(execution_arn)s AND first_id < %(bound)s
ORDER BY last_id DESC LIMIT %(chunks)s"""
# The whole histories of several executions (resuming what a claim leased).
HISTORIES = """
SELECT execution_arn, data FROM event_chunks WHERE execution_arn = ANY(%(arns)s::text[])
ORDER BY execution_arn, last_id"""
COUNT_EVENTS = """
SELECT coalesce(sum(count), 0) FROM event_chunks WHERE execution_arn=%(execution_arn)s"""

# --------------------------------------------------------------------------- secrets
# The first server to store a secret wins; every other one reads the winner's back.
INSERT_SECRET = """
INSERT INTO secrets (name, value) VALUES (%(name)s, %(value)s) ON CONFLICT DO NOTHING"""
GET_SECRET = "SELECT value FROM secrets WHERE name=%(name)s"

# --------------------------------------------------------------------------- fleet members
FLEET_MEMBERS = """
SELECT owner, settings, role, joined, expires FROM fleet_members
WHERE expires > %(now)s ORDER BY joined, owner"""
# Joining checks the live members and registers in one transaction, under a lock that
# makes joins wait for each other (SHARE ROW EXCLUSIVE conflicts with itself).
LOCK_FLEET = "LOCK TABLE fleet_members IN SHARE ROW EXCLUSIVE MODE"
FORGET_LAPSED_MEMBERS = "DELETE FROM fleet_members WHERE expires <= %(now)s"
DIFFERING_MEMBERS = """
SELECT owner, settings, role, joined, expires FROM fleet_members
WHERE owner <> %(owner)s AND settings <> %(settings)s ORDER BY joined, owner"""
UPSERT_FLEET_MEMBER = """
INSERT INTO fleet_members (owner, settings, role, joined, expires)
VALUES (%(owner)s, %(settings)s, %(role)s, %(joined)s, %(expires)s)
ON CONFLICT (owner) DO UPDATE SET settings = excluded.settings, expires = excluded.expires"""
RENEW_FLEET_MEMBER = """
INSERT INTO fleet_members (owner, settings, role, joined, expires)
VALUES (%(owner)s, %(settings)s, %(role)s, %(joined)s, %(expires)s)
ON CONFLICT (owner) DO UPDATE SET expires = excluded.expires"""
LEAVE_FLEET = "DELETE FROM fleet_members WHERE owner = %(owner)s"

# --------------------------------------------------------------------------- map runs
UPSERT_MAP_RUN = """
INSERT INTO map_runs (arn, execution_arn, start_date, data)
VALUES (%(arn)s, %(execution_arn)s, %(start_date)s, %(data)s)
ON CONFLICT (arn) DO UPDATE SET execution_arn=EXCLUDED.execution_arn,
    start_date=EXCLUDED.start_date, data=EXCLUDED.data"""
GET_MAP_RUN = "SELECT data FROM map_runs WHERE arn=%(arn)s"
# A Map Run's children by status (migrations/postgres/0005): the counts folded so far
# plus the deltas not folded yet, in one snapshot.
MAP_RUN_CHILD_COUNTS = """
SELECT status, sum(executions)::bigint, sum(items)::bigint FROM (
  SELECT status, executions, items FROM map_run_counts WHERE map_run_arn=%(arn)s
  UNION ALL
  SELECT status, executions, items FROM map_run_deltas WHERE map_run_arn=%(arn)s) AS counted
GROUP BY status"""
# The same, folding the deltas into the counts as it reads them (what the Map Run's
# parent does as it paces its children). The counts read are those before the statement
# plus the deltas it moved: one snapshot, so exact.
FOLD_MAP_RUN_CHILD_COUNTS = """
WITH moved AS (
  DELETE FROM map_run_deltas WHERE map_run_arn=%(arn)s
  RETURNING status, executions, items),
folded AS (
  INSERT INTO map_run_counts (map_run_arn, status, executions, items)
  SELECT %(arn)s, status, sum(executions), sum(items) FROM moved GROUP BY status
  ON CONFLICT (map_run_arn, status) DO UPDATE
  SET executions = map_run_counts.executions + EXCLUDED.executions,
      items = map_run_counts.items + EXCLUDED.items)
SELECT status, sum(executions)::bigint, sum(items)::bigint FROM (
  SELECT status, executions, items FROM map_run_counts WHERE map_run_arn=%(arn)s
  UNION ALL
  SELECT status, executions, items FROM moved) AS counted
GROUP BY status"""
LIST_MAP_RUNS = """
SELECT data FROM map_runs WHERE execution_arn=%(execution_arn)s
ORDER BY start_date DESC, arn DESC LIMIT %(limit)s"""
LIST_MAP_RUNS_AFTER = """
SELECT data FROM map_runs WHERE execution_arn=%(execution_arn)s
    AND (start_date, arn) < (%(after_date)s, %(after_arn)s)
ORDER BY start_date DESC, arn DESC LIMIT %(limit)s"""

# --------------------------------------------------------------------------- timers, tokens
UPSERT_TIMER = """
INSERT INTO timers (id, execution_arn, due, payload)
VALUES (%(id)s, %(execution_arn)s, %(due)s, %(payload)s)
ON CONFLICT (id) DO UPDATE SET execution_arn=EXCLUDED.execution_arn, due=EXCLUDED.due,
    payload=EXCLUDED.payload"""
DELETE_TIMER = "DELETE FROM timers WHERE id=%(id)s"
COUNT_DUE_TIMERS = "SELECT count(*) FROM timers WHERE due <= %(now)s"
DELETE_TIMERS_OF = "DELETE FROM timers WHERE execution_arn=%(execution_arn)s"
UPSERT_TASK_TOKEN = """
INSERT INTO task_tokens (token, execution_arn, heartbeat_deadline, data)
VALUES (%(token)s, %(execution_arn)s, %(heartbeat_deadline)s, %(data)s)
ON CONFLICT (token) DO UPDATE SET execution_arn=EXCLUDED.execution_arn,
    heartbeat_deadline=EXCLUDED.heartbeat_deadline, data=EXCLUDED.data"""
GET_TASK_TOKEN = "SELECT data FROM task_tokens WHERE token=%(token)s"
LOCK_TASK_TOKEN = "SELECT data FROM task_tokens WHERE token=%(token)s FOR UPDATE"
HEARTBEAT_TASK_TOKEN = """
UPDATE task_tokens SET heartbeat_deadline=%(deadline)s, data=%(data)s WHERE token=%(token)s"""

# --------------------------------------------------------------------------- work queue
# Statements that make work claimable also tell LISTENers on WORK_CHANNEL (sent at
# commit): "<schema> <available_at>", so idle workers claim at once (or at that time)
# instead of at their next poll.
WORK_CHANNEL = "stepfn_work"
# A leased item re-enqueued is marked requeued: completing it then hands it back
# instead of deleting it, so no wake-up is lost.
ENQUEUE_WORK = """
WITH queued AS (
  INSERT INTO work (kind, key, payload, available_at)
  VALUES (%(kind)s, %(key)s, %(payload)s, %(available_at)s)
  ON CONFLICT (key) DO UPDATE SET payload=EXCLUDED.payload,
      available_at=least(work.available_at, EXCLUDED.available_at),
      requeued=(work.lease_owner IS NOT NULL)
  RETURNING available_at)
SELECT pg_notify('stepfn_work', concat_ws(' ', current_schema(), available_at))
FROM queued"""
# One statement, two disjoint cases: a requeued item is handed back, any other deleted.
COMPLETE_WORK = """
WITH handed_back AS (
    UPDATE work SET lease_owner=NULL, lease_expires=NULL, requeued=false
    WHERE id=%(id)s AND lease_owner=%(owner)s AND requeued RETURNING id),
deleted AS (
    DELETE FROM work WHERE id=%(id)s AND lease_owner=%(owner)s AND NOT requeued
    RETURNING id)
SELECT (SELECT count(*) FROM handed_back) + (SELECT count(*) FROM deleted)"""
# Available items (never leased, or whose lease expired) that no concurrent claimer has
# locked, leased in the same statement: two workers never get the same item.
CLAIM_WORK = """
WITH picked AS (
    SELECT id FROM work
    WHERE available_at <= %(now)s
      AND (lease_expires IS NULL OR lease_expires <= %(now)s)
      AND (%(kinds)s::text[] IS NULL OR kind = ANY(%(kinds)s::text[]))
    ORDER BY available_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED)
UPDATE work SET lease_owner=%(owner)s, lease_expires=%(expires)s, attempts=attempts + 1
FROM picked WHERE work.id = picked.id
RETURNING work.id, work.kind, work.key, work.payload, work.available_at, work.attempts,
          work.lease_owner, work.lease_expires"""
RELEASE_WORK = """
WITH released AS (
  UPDATE work SET lease_owner=NULL, lease_expires=NULL, available_at=%(available_at)s
  WHERE id=%(id)s AND lease_owner=%(owner)s RETURNING available_at)
SELECT pg_notify('stepfn_work', concat_ws(' ', current_schema(), available_at))
FROM released"""

# --------------------------------------------------------------------------- execution leases
# Insert the item leased, or take it over when it is free, expired or already ours.
LEASE_WORK = """
INSERT INTO work (kind, key, payload, available_at, lease_owner, lease_expires)
VALUES (%(kind)s, %(key)s, 'null'::bytea, 0, %(owner)s, %(expires)s)
ON CONFLICT (key) DO UPDATE SET lease_owner=EXCLUDED.lease_owner,
    lease_expires=EXCLUDED.lease_expires
WHERE work.lease_owner IS NULL OR work.lease_owner=EXCLUDED.lease_owner
   OR work.lease_expires <= %(now)s"""
# FOR SHARE: a claimer's FOR UPDATE SKIP LOCKED passes over the row until this
# transaction (the holder's checkpoint) has committed.
CHECK_LEASE = "SELECT lease_owner FROM work WHERE key=%(key)s FOR SHARE"
FINISH_WORK = "DELETE FROM work WHERE key=%(key)s AND lease_owner=%(owner)s"
DROP_WORK = "DELETE FROM work WHERE key=%(key)s"
ENSURE_WORK = """
WITH created AS (
  INSERT INTO work (kind, key, payload, available_at)
  VALUES (%(kind)s, %(key)s, 'null'::bytea, %(available_at)s)
  ON CONFLICT (key) DO NOTHING RETURNING available_at)
SELECT pg_notify('stepfn_work', concat_ws(' ', current_schema(), available_at))
FROM created"""
# Many at once, claimable now (a Map Run's children): one notification for them all.
ENSURE_WORKS = """
WITH created AS (
  INSERT INTO work (kind, key, payload, available_at)
  SELECT %(kind)s, key, 'null'::bytea, %(available_at)s FROM unnest(%(keys)s::text[]) AS key
  ON CONFLICT (key) DO NOTHING RETURNING available_at)
SELECT pg_notify('stepfn_work', concat_ws(' ', current_schema(), min(available_at)))
FROM created HAVING count(*) > 0"""
# A parked execution's item: unleased, claimable at once if woken while held, else at
# its earliest timer, else never (until woken). Told to LISTENers unless never.
PARK_WORK = """
WITH parked AS (
  UPDATE work SET lease_owner=NULL, lease_expires=NULL, requeued=false,
      available_at=CASE WHEN requeued THEN %(now)s ELSE coalesce(
          (SELECT min(due) FROM timers WHERE execution_arn=%(key)s), %(never)s) END
  WHERE key=%(key)s AND lease_owner=%(owner)s RETURNING available_at)
SELECT available_at, CASE WHEN available_at < %(never)s THEN
    pg_notify('stepfn_work', concat_ws(' ', current_schema(), available_at)) END
FROM parked"""
WAKE_WORK = """
WITH woken AS (
  UPDATE work SET available_at=least(available_at, %(now)s),
      requeued=(lease_owner IS NOT NULL)
  WHERE key=%(key)s RETURNING available_at)
SELECT pg_notify('stepfn_work', concat_ws(' ', current_schema(), available_at))
FROM woken"""
COUNT_WORK = """
SELECT count(*) FILTER (WHERE lease_expires > %(now)s),
       count(*) FILTER (WHERE (lease_expires IS NULL OR lease_expires <= %(now)s)
                        AND available_at <= %(now)s),
       count(*) FILTER (WHERE lease_expires IS NULL AND available_at > %(now)s)
FROM work"""
# SKIP LOCKED: a row locked by the owner's own checkpoint in flight (FOR SHARE, maybe
# grouped with others) is renewed next round rather than waited for, which could
# deadlock; every key held is returned all the same.
RENEW_LEASES_OF = """
WITH renewed AS (
    UPDATE work SET lease_expires=%(expires)s
    WHERE id IN (SELECT id FROM work WHERE lease_owner=%(owner)s
                 ORDER BY id FOR UPDATE SKIP LOCKED))
SELECT key FROM work WHERE lease_owner=%(owner)s"""
RELEASE_LEASES_OF = """
WITH released AS (
  UPDATE work SET lease_owner=NULL, lease_expires=NULL, available_at=%(now)s
  WHERE lease_owner=%(owner)s
    AND (%(keys)s::text[] IS NULL OR key = ANY(%(keys)s::text[]))
  RETURNING 1)
SELECT count(*), CASE WHEN count(*) > 0 THEN
    pg_notify('stepfn_work', concat_ws(' ', current_schema(), %(now)s::text)) END
FROM released"""
LEASE_OWNERS = "SELECT DISTINCT lease_owner FROM work WHERE lease_owner IS NOT NULL"
