-- Tags of each request, one row per tag, so spend by tag is a plain
-- indexed GROUP BY at any log size.
CREATE TABLE request_tags (
    log_id            TEXT NOT NULL,
    tag               TEXT NOT NULL,
    started_at        BIGINT NOT NULL,
    PRIMARY KEY (log_id, tag)
);
CREATE INDEX request_tags_tag ON request_tags (tag, started_at);
