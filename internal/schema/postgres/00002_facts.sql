-- The location owners' durable facts (internal/facts): what each location's lifecycle
-- reached and the records made for it, and the outcome of every event it was sent.
-- +goose Up
CREATE TABLE locations (
	location_id     TEXT    NOT NULL PRIMARY KEY,
	company_id      TEXT    NOT NULL,
	phase           TEXT    NOT NULL,
	step            TEXT    NOT NULL DEFAULT '',
	installed_at    BIGINT  NOT NULL DEFAULT 0, -- unix milliseconds of the install applied last
	onboarded_at    BIGINT  NOT NULL DEFAULT 0,
	uninstalled_at  BIGINT  NOT NULL DEFAULT 0,
	subscription_id TEXT    NOT NULL DEFAULT '',
	customer_id     TEXT    NOT NULL DEFAULT '',
	plan_id         TEXT    NOT NULL DEFAULT '',
	status          TEXT    NOT NULL DEFAULT '',
	paused          INTEGER NOT NULL DEFAULT 0,
	participant_id  TEXT    NOT NULL DEFAULT '',
	matter_id       TEXT    NOT NULL DEFAULT '',
	record_id       TEXT    NOT NULL DEFAULT '',
	attention       TEXT    NOT NULL DEFAULT '',
	parked          INTEGER NOT NULL DEFAULT 0,
	last_event_id   TEXT    NOT NULL DEFAULT '',
	last_event_at   BIGINT  NOT NULL DEFAULT 0,
	updated_at      BIGINT  NOT NULL
);
CREATE INDEX locations_by_company ON locations (company_id, location_id);
CREATE TABLE location_events (
	location_id TEXT    NOT NULL,
	event_id    TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	source      TEXT    NOT NULL DEFAULT '',
	occurred_at BIGINT  NOT NULL,
	outcome     TEXT    NOT NULL,
	message     TEXT    NOT NULL DEFAULT '',
	recorded_at BIGINT  NOT NULL,
	PRIMARY KEY (location_id, event_id)
);
CREATE INDEX location_events_by_time ON location_events (location_id, recorded_at);
