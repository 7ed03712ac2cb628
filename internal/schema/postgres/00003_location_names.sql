-- The location's name (HighLevel's, as its install found it), for the console; and the
-- indexes the console's filters and the attention gauge read.
-- +goose Up
ALTER TABLE locations ADD COLUMN name TEXT NOT NULL DEFAULT '';
CREATE INDEX locations_needing_attention ON locations (attention) WHERE attention <> '';
CREATE INDEX locations_by_update ON locations (updated_at);
