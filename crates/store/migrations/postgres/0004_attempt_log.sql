-- Each attempt of a request (deployment, status, error, time, hedge), as
-- JSON: retries, fallbacks and hedges stay visible in the log.
ALTER TABLE request_logs ADD COLUMN attempt_log TEXT;
