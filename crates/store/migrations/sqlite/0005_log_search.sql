-- Request log search (DESIGN.md §11, "request log search").
--
-- The table is rebuilt so that `seq`, an INTEGER PRIMARY KEY, names each row
-- in insertion order: it is the tie-breaker of the newest-first cursor (every
-- index below ends with it implicitly), the full-text index's rowid (a rowid
-- that is not an INTEGER PRIMARY KEY may change on VACUUM), and what the
-- size retention counts.
CREATE TABLE request_logs_v5 (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
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
    response_body     TEXT,
    attempt_log       TEXT                       -- JSON array
);
INSERT INTO request_logs_v5 (
    id, request_id, started_at, latency_ms, ttft_ms, overhead_ms, route, call_type, model,
    model_group, deployment_id, provider, upstream_model, key_hash, key_alias, user_id,
    team_id, organization_id, end_user, stream, status, error, input_tokens, output_tokens,
    cached_tokens, cache_write_tokens, reasoning_tokens, cost, cache_hit, attempts, tags,
    metadata, request_body, response_body, attempt_log)
SELECT
    id, request_id, started_at, latency_ms, ttft_ms, overhead_ms, route, call_type, model,
    model_group, deployment_id, provider, upstream_model, key_hash, key_alias, user_id,
    team_id, organization_id, end_user, stream, status, error, input_tokens, output_tokens,
    cached_tokens, cache_write_tokens, reasoning_tokens, cost, cache_hit, attempts, tags,
    metadata, request_body, response_body, attempt_log
FROM request_logs ORDER BY started_at, id;
DROP TABLE request_logs;
ALTER TABLE request_logs_v5 RENAME TO request_logs;

-- One index per search filter, each (filter, started_at) and implicitly
-- seq: a newest-first page is a backward range scan that stops after
-- `limit` rows, at any table size.
CREATE INDEX request_logs_started ON request_logs (started_at);
CREATE INDEX request_logs_request_id ON request_logs (request_id);
CREATE INDEX request_logs_key ON request_logs (key_hash, started_at);
CREATE INDEX request_logs_alias ON request_logs (key_alias, started_at);
CREATE INDEX request_logs_team ON request_logs (team_id, started_at);
CREATE INDEX request_logs_user ON request_logs (user_id, started_at);
CREATE INDEX request_logs_end_user ON request_logs (end_user, started_at);
CREATE INDEX request_logs_group ON request_logs (model_group, started_at);
CREATE INDEX request_logs_model ON request_logs (model, started_at);
CREATE INDEX request_logs_provider ON request_logs (provider, started_at);
-- Failures are few: a partial index finds them without reading successes.
CREATE INDEX request_logs_failures ON request_logs (started_at) WHERE status >= 400;

-- Words of the bodies and the error. Contentless (the text is in
-- request_logs already), without positions (searches are all-words, never
-- phrases), deletable (retention). Each body is indexed up to 64 KiB.
CREATE VIRTUAL TABLE request_logs_fts USING fts5(
    body, content = '', contentless_delete = 1, detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER request_logs_fts_insert AFTER INSERT ON request_logs
WHEN new.request_body IS NOT NULL OR new.response_body IS NOT NULL OR new.error IS NOT NULL
BEGIN
    INSERT INTO request_logs_fts (rowid, body) VALUES (
        new.seq,
        substr(coalesce(new.request_body, ''), 1, 65536) || ' ' ||
        substr(coalesce(new.response_body, ''), 1, 65536) || ' ' ||
        coalesce(new.error, ''));
END;
CREATE TRIGGER request_logs_fts_delete AFTER DELETE ON request_logs
WHEN old.request_body IS NOT NULL OR old.response_body IS NOT NULL OR old.error IS NOT NULL
BEGIN
    DELETE FROM request_logs_fts WHERE rowid = old.seq;
END;
INSERT INTO request_logs_fts (rowid, body)
SELECT seq,
    substr(coalesce(request_body, ''), 1, 65536) || ' ' ||
    substr(coalesce(response_body, ''), 1, 65536) || ' ' ||
    coalesce(error, '')
FROM request_logs
WHERE request_body IS NOT NULL OR response_body IS NOT NULL OR error IS NOT NULL;

-- Rollups for the dashboard (`/logs/stats`, see stats.rs), kept by the
-- writer in the transaction that inserts the rows they count: a day's chart
-- reads ~1,440 minutes, not every request of the day.
CREATE TABLE log_stats_minute (
    period            INTEGER NOT NULL, -- unix minutes
    latency_bin       INTEGER NOT NULL, -- stats.rs: two bins per doubling
    requests          INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    input_tokens      INTEGER NOT NULL,
    output_tokens     INTEGER NOT NULL,
    spend             REAL NOT NULL,
    PRIMARY KEY (period, latency_bin)
);
CREATE TABLE log_stats_hour (
    period            INTEGER NOT NULL, -- unix hours
    latency_bin       INTEGER NOT NULL, -- stats.rs: two bins per doubling
    requests          INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    input_tokens      INTEGER NOT NULL,
    output_tokens     INTEGER NOT NULL,
    spend             REAL NOT NULL,
    PRIMARY KEY (period, latency_bin)
);
CREATE TABLE log_tops_hour (
    period            INTEGER NOT NULL, -- unix hours
    kind              TEXT NOT NULL,     -- model, key, team
    name              TEXT NOT NULL,     -- model group, key hash, team id
    label             TEXT,              -- key alias
    requests          INTEGER NOT NULL,
    spend             REAL NOT NULL,
    PRIMARY KEY (period, kind, name)
);
CREATE TABLE log_tops_day (
    period            INTEGER NOT NULL, -- unix days
    kind              TEXT NOT NULL,     -- model, key, team
    name              TEXT NOT NULL,     -- model group, key hash, team id
    label             TEXT,              -- key alias
    requests          INTEGER NOT NULL,
    spend             REAL NOT NULL,
    PRIMARY KEY (period, kind, name)
);
