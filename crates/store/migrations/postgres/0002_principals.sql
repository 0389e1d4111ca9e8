-- Keys, users, teams, organizations, customers and budgets: each a JSON
-- document (the admin API's shape), with its spend counters beside it so
-- that spend flushes never rewrite documents.
CREATE TABLE principals (
    kind              TEXT NOT NULL,
    id                TEXT NOT NULL,
    doc               TEXT NOT NULL,
    spend             DOUBLE PRECISION NOT NULL DEFAULT 0,
    budget_reset_at   BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- Spend against per-model budgets (`model_max_budget`).
CREATE TABLE model_spend (
    kind              TEXT NOT NULL,
    id                TEXT NOT NULL,
    model             TEXT NOT NULL,
    spend             DOUBLE PRECISION NOT NULL DEFAULT 0,
    budget_reset_at   BIGINT,
    PRIMARY KEY (kind, id, model)
);

-- Every admin change: who, what, when, before and after.
CREATE TABLE audit_log (
    id                TEXT PRIMARY KEY,
    at                BIGINT NOT NULL,
    actor             TEXT NOT NULL,
    action            TEXT NOT NULL,
    object_type       TEXT NOT NULL,
    object_id         TEXT NOT NULL,
    before_doc        TEXT,
    after_doc         TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, at);
