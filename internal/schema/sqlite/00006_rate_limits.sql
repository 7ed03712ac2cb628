-- The fleet's shared request pacing (internal/pacing): one row per API budget (a
-- HighLevel company's window, an Actionstep organisation's adaptive rate).
-- +goose Up
CREATE TABLE rate_limits (
	limit_key  TEXT    NOT NULL PRIMARY KEY,
	state      TEXT    NOT NULL, -- JSON, see internal/pacing
	updated_at INTEGER NOT NULL  -- unix milliseconds
) STRICT;
