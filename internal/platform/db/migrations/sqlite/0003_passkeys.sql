-- +goose Up
-- Passkeys (WebAuthn) as a second factor beside TOTP (package auth).

-- The WebAuthn user handle: 32 random bytes, base64url, given to a user's
-- authenticators instead of anything that identifies them (the spec forbids
-- the email). Set when the user first registers a passkey.
ALTER TABLE users ADD COLUMN webauthn_handle TEXT;
CREATE UNIQUE INDEX users_webauthn_handle ON users (webauthn_handle);

CREATE TABLE webauthn_credentials (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES users (id),
    name               TEXT    NOT NULL,
    credential_id      TEXT    NOT NULL UNIQUE, -- base64url, as authenticators send it
    public_key         TEXT    NOT NULL,        -- base64 of the COSE key
    sign_count         INTEGER NOT NULL DEFAULT 0,
    aaguid             TEXT    NOT NULL DEFAULT '', -- the authenticator model, a UUID
    transports         TEXT    NOT NULL DEFAULT '', -- comma-separated hints: usb, nfc, ble, internal, hybrid
    attestation_format TEXT    NOT NULL DEFAULT '',
    flags              INTEGER NOT NULL DEFAULT 0,  -- authenticator data flags as last seen (UV, BE, BS)
    clone_warning      BOOLEAN NOT NULL DEFAULT FALSE, -- a sign count went backwards: the key may have been copied
    created_at         INTEGER NOT NULL,
    last_used_at       INTEGER
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- In-flight ceremonies: the challenge a browser was given, kept in the
-- database (not in one instance's memory) and used at most once. One per
-- session and kind; beginning again replaces it.
CREATE TABLE webauthn_ceremonies (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('register', 'login')),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    data       TEXT    NOT NULL, -- go-webauthn's SessionData as JSON
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, kind)
);
CREATE INDEX webauthn_ceremonies_expires ON webauthn_ceremonies (expires_at);

-- +goose Down
DROP TABLE webauthn_ceremonies;
DROP TABLE webauthn_credentials;
DROP INDEX users_webauthn_handle;
ALTER TABLE users DROP COLUMN webauthn_handle;
