-- Deployments added through the admin API (`/model/new`), beside the
-- config file's `model_list`. `definition` is the `model_list` entry as
-- JSON, encrypted by the gateway (it holds provider credentials).
CREATE TABLE deployments (
    id            TEXT PRIMARY KEY,
    model_name    TEXT NOT NULL,
    definition    TEXT NOT NULL,
    created_by    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
