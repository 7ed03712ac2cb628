-- Stripe billing (docs/stripe.md): what a location's onboarding did about its initial
-- subscription; the gateway's map from a Stripe customer to its location, as HighLevel
-- answered it; and the verified events it could not match to a location, kept for an
-- operator (starter stripe unmatched|redrive|discard).
-- +goose Up
ALTER TABLE locations ADD COLUMN initial_plan TEXT NOT NULL DEFAULT '';
CREATE TABLE stripe_customers (
	customer_id TEXT    NOT NULL PRIMARY KEY,
	company_id  TEXT    NOT NULL,
	location_id TEXT    NOT NULL,
	updated_at  BIGINT  NOT NULL -- unix milliseconds
);
CREATE TABLE unmatched_events (
	source          TEXT    NOT NULL,
	event_id        TEXT    NOT NULL,
	type            TEXT    NOT NULL,
	customer_id     TEXT    NOT NULL DEFAULT '',
	subscription_id TEXT    NOT NULL DEFAULT '',
	reason          TEXT    NOT NULL,
	detail          TEXT    NOT NULL DEFAULT '', -- the event as the gateway read it (JSON, ids and status only)
	occurred_at     BIGINT  NOT NULL, -- unix milliseconds
	received_at     BIGINT  NOT NULL,
	deliveries      BIGINT  NOT NULL DEFAULT 1,
	resolved_at     BIGINT  NOT NULL DEFAULT 0,
	resolution      TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (source, event_id)
);
CREATE INDEX unmatched_events_open ON unmatched_events (resolved_at, received_at);
