-- One row per authenticated request: the spend record (DESIGN.md §5).
CREATE TABLE request_logs (
    id                TEXT PRIMARY KEY,
    request_id        TEXT NOT NULL,
    started_at        INTEGER NOT NULL,          -- unix milliseconds
    latency_ms        REAL NOT NULL,
    ttft_ms           REAL,
    overhead_ms       REAL,
    route             TEXT NOT NULL,
    call_type         TEXT NOT NULL,
    model             TEXT NOT NULL,             -- as requested
    model_group       TEXT,
    deployment_id     TEXT,
    provider          TEXT,
    upstream_model    TEXT,
    key_hash          TEXT,
    key_alias         TEXT,
    user_id           TEXT,
    team_id           TEXT,
    organization_id   TEXT,
    end_user          TEXT,
    stream            INTEGER NOT NULL,
    status            INTEGER NOT NULL,
    error             TEXT,
    input_tokens      INTEGER NOT NULL,
    output_tokens     INTEGER NOT NULL,
    cached_tokens     INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    reasoning_tokens  INTEGER NOT NULL,
    cost              REAL,
    cache_hit         INTEGER NOT NULL,
    attempts          INTEGER NOT NULL,
    tags              TEXT,                      -- JSON array
    metadata          TEXT,                      -- JSON object
    request_body      TEXT,
    response_body     TEXT
);
CREATE INDEX request_logs_started ON request_logs (started_at);
CREATE INDEX request_logs_request_id ON request_logs (request_id);
CREATE INDEX request_logs_key ON request_logs (key_hash, started_at);
CREATE INDEX request_logs_team ON request_logs (team_id, started_at);
CREATE INDEX request_logs_group ON request_logs (model_group, started_at);
