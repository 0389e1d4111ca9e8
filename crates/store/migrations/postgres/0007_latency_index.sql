-- `min_latency_ms=`: slow requests are few, and without an index a search
-- for them reads the log newest-first until it has a page, which for a high
-- threshold is most of the table (bench/logstore: 10 million rows). The
-- planner picks this index or the time index by the threshold's
-- selectivity.
CREATE INDEX request_logs_latency ON request_logs (latency_ms);
