-- The credential store (internal/tokens): one row per OAuth credential, its secret part
-- sealed (see internal/tokens/crypto.go), everything needed to list it in clear.
-- +goose Up
CREATE TABLE credentials (
	cred_key      TEXT    NOT NULL PRIMARY KEY,
	kind          TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	status_reason TEXT    NOT NULL DEFAULT '',
	expiry        INTEGER NOT NULL, -- unix milliseconds; 0 when the access token never expires
	attrs         TEXT    NOT NULL, -- JSON object of the non-secret attributes
	secret        BLOB    NOT NULL, -- sealed secret part
	version       INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL  -- unix milliseconds
) STRICT;
