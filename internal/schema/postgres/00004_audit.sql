-- The audit trail (internal/audit): append-only, each entry chained to the one before it
-- by its hash. audit_head holds the chain's last entry; appending locks its row, so
-- appends from every process take turns. Only call entries may ever be deleted (the
-- retention setting prunes them, and a signed checkpoint entry keeps the chain
-- verifiable); the trigger refuses every other change.
-- +goose Up
CREATE TABLE audit_log (
	seq         BIGINT  NOT NULL PRIMARY KEY, -- the entry's place in the chain, from 1
	at          BIGINT  NOT NULL,             -- unix microseconds
	kind        TEXT    NOT NULL,
	action      TEXT    NOT NULL DEFAULT '',
	location_id TEXT    NOT NULL DEFAULT '',
	company_id  TEXT    NOT NULL DEFAULT '',
	workflow_id TEXT    NOT NULL DEFAULT '',
	run_id      TEXT    NOT NULL DEFAULT '',
	attempt     INTEGER NOT NULL DEFAULT 0,
	detail      TEXT    NOT NULL DEFAULT '{}', -- JSON object, by kind (TEXT: its exact bytes are hashed)
	prev_hash   TEXT    NOT NULL,
	hash        TEXT    NOT NULL
);
CREATE INDEX audit_log_by_location ON audit_log (location_id, seq);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX audit_log_by_kind ON audit_log (kind, seq);
CREATE TABLE audit_head (
	id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	seq  BIGINT  NOT NULL,
	hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' AND OLD.kind = 'call' THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION 'audit_log is append-only: only call entries are pruned';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
