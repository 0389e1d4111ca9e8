-- `min_latency_ms=` (search.rs): a threshold that few requests reach is
-- read from an index on the latency; a lower one from the time index that
-- holds the latency too, newest first, which skips the requests too fast
-- without reading their rows (rows of 1-2 KB: without it, a page of
-- requests slower than a minute reads ~100,000 rows of a 10-million-row
-- log, bench/logstore).
CREATE INDEX request_logs_latency ON request_logs (latency_ms);
CREATE INDEX request_logs_started_latency ON request_logs (started_at, latency_ms);
