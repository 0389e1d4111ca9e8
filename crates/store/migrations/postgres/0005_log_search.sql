-- Request log search (DESIGN.md §11, "request log search").
--
-- `seq` names each row in insertion order: the tie-breaker of the
-- newest-first cursor (every index below ends with it), and what the size
-- retention counts.
ALTER TABLE request_logs ADD COLUMN seq BIGSERIAL;
CREATE UNIQUE INDEX request_logs_seq ON request_logs (seq);

-- One index per search filter, each (filter, started_at, seq): a
-- newest-first page is a backward range scan that stops after `limit` rows,
-- at any table size.
DROP INDEX request_logs_started;
DROP INDEX request_logs_key;
DROP INDEX request_logs_team;
DROP INDEX request_logs_group;
CREATE INDEX request_logs_started ON request_logs (started_at, seq);
CREATE INDEX request_logs_key ON request_logs (key_hash, started_at, seq);
CREATE INDEX request_logs_alias ON request_logs (key_alias, started_at, seq);
CREATE INDEX request_logs_team ON request_logs (team_id, started_at, seq);
CREATE INDEX request_logs_user ON request_logs (user_id, started_at, seq);
CREATE INDEX request_logs_end_user ON request_logs (end_user, started_at, seq);
CREATE INDEX request_logs_group ON request_logs (model_group, started_at, seq);
CREATE INDEX request_logs_model ON request_logs (model, started_at, seq);
CREATE INDEX request_logs_provider ON request_logs (provider, started_at, seq);
-- Failures are few: a partial index finds them without reading successes.
CREATE INDEX request_logs_failures ON request_logs (started_at, seq) WHERE status >= 400;

-- Words of the bodies and the error ('simple': no stemming, no stop words,
-- as SQLite's FTS5 index). Each body is indexed up to 64 KiB, which also
-- keeps the tsvector under its 1 MB limit.
ALTER TABLE request_logs ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple',
        left(coalesce(request_body, ''), 65536) || ' ' ||
        left(coalesce(response_body, ''), 65536) || ' ' ||
        left(coalesce(error, ''), 65536))
) STORED;
CREATE INDEX request_logs_search ON request_logs USING GIN (search);

-- Rollups for the dashboard (`/logs/stats`, see stats.rs), kept by the
-- writer in the transaction that inserts the rows they count: a day's chart
-- reads ~1,440 minutes, not every request of the day.
CREATE TABLE log_stats_minute (
    period            BIGINT NOT NULL,  -- unix minutes
    latency_bin       BIGINT NOT NULL,  -- stats.rs: two bins per doubling
    requests          BIGINT NOT NULL,
    errors            BIGINT NOT NULL,
    input_tokens      BIGINT NOT NULL,
    output_tokens     BIGINT NOT NULL,
    spend             DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (period, latency_bin)
);
CREATE TABLE log_stats_hour (
    period            BIGINT NOT NULL,  -- unix hours
    latency_bin       BIGINT NOT NULL,  -- stats.rs: two bins per doubling
    requests          BIGINT NOT NULL,
    errors            BIGINT NOT NULL,
    input_tokens      BIGINT NOT NULL,
    output_tokens     BIGINT NOT NULL,
    spend             DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (period, latency_bin)
);
CREATE TABLE log_tops_hour (
    period            BIGINT NOT NULL,  -- unix hours
    kind              TEXT NOT NULL,     -- model, key, team
    name              TEXT NOT NULL,     -- model group, key hash, team id
    label             TEXT,              -- key alias
    requests          BIGINT NOT NULL,
    spend             DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (period, kind, name)
);
CREATE TABLE log_tops_day (
    period            BIGINT NOT NULL,  -- unix days
    kind              TEXT NOT NULL,     -- model, key, team
    name              TEXT NOT NULL,     -- model group, key hash, team id
    label             TEXT,              -- key alias
    requests          BIGINT NOT NULL,
    spend             DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (period, kind, name)
);
