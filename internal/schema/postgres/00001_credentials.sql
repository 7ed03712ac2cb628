-- The credential store (internal/tokens): one row per OAuth credential, its secret part
-- sealed (see internal/tokens/crypto.go), everything needed to list it in clear.
-- +goose Up
CREATE TABLE credentials (
	cred_key      TEXT    NOT NULL PRIMARY KEY,
	kind          TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	status_reason TEXT    NOT NULL DEFAULT '',
	expiry        BIGINT  NOT NULL, -- unix milliseconds; 0 when the access token never expires
	attrs         TEXT    NOT NULL, -- JSON object of the non-secret attributes
	secret        BYTEA   NOT NULL, -- sealed secret part; attrs is TEXT, not JSONB: the seal binds its exact bytes
	version       BIGINT  NOT NULL,
	updated_at    BIGINT  NOT NULL  -- unix milliseconds
);
