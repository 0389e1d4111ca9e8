-- Nothing to do on SQLite: the statistics target is Postgres's (see the
-- Postgres migration of the same number); search.rs picks SQLite's plans.
SELECT 1;
