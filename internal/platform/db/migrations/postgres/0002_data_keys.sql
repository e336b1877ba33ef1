-- +goose Up
-- Data keys for field-level encryption (package crypto). Each row is a
-- 256-bit AES key sealed by the master key, which never enters the database:
-- a copy of the database alone opens nothing. Retired keys are kept for ever,
-- because old values (and backups) may still be sealed under them.
CREATE TABLE data_keys (
    id            TEXT    PRIMARY KEY,
    wrapped       TEXT    NOT NULL, -- base64(nonce || AES-256-GCM(master key, data key))
    master_key_id TEXT    NOT NULL, -- which master key sealed it, so a wrong key file is named in the error
    created_at    BIGINT  NOT NULL,
    retired_at    BIGINT
);

-- Exactly one active key: every row with retired_at NULL has the same
-- indexed value (TRUE), so a second active row is a unique violation.
CREATE UNIQUE INDEX data_keys_one_active ON data_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;

-- +goose Down
DROP TABLE data_keys;
