-- One row per authenticated request: the spend record (DESIGN.md §5).
CREATE TABLE request_logs (
    id                TEXT PRIMARY KEY,
    request_id        TEXT NOT NULL,
    started_at        BIGINT NOT NULL,           -- unix milliseconds
    latency_ms        DOUBLE PRECISION NOT NULL,
    ttft_ms           DOUBLE PRECISION,
    overhead_ms       DOUBLE PRECISION,
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
    stream            BIGINT NOT NULL,
    status            BIGINT NOT NULL,
    error             TEXT,
    input_tokens      BIGINT NOT NULL,
    output_tokens     BIGINT NOT NULL,
    cached_tokens     BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    reasoning_tokens  BIGINT NOT NULL,
    cost              DOUBLE PRECISION,
    cache_hit         BIGINT NOT NULL,
    attempts          BIGINT NOT NULL,
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
