-- Secrets the server keeps across restarts (the key that signs task tokens).
CREATE TABLE secrets (
    name text PRIMARY KEY,
    value bytea NOT NULL
);
