-- The processes of the fleet on this database and the execution settings each runs
-- with (stepfn.service.fleet): a process joins only when its settings agree with
-- those of the live members; a registration is renewed while its process lives.
CREATE TABLE fleet_members (
    owner text PRIMARY KEY,
    settings text NOT NULL,
    role text NOT NULL,
    joined double precision NOT NULL,
    expires double precision NOT NULL
);
