-- +goose Up
-- Reminders (package reminders). A reminder is one message for one start
-- time: when an appointment moves, the reminders already sent for the old
-- time stay as history and new ones are made for the new time, so the unique
-- key gains due_at. SQLite cannot change a table constraint in place: the
-- table is rebuilt (nothing references it).
CREATE TABLE reminders_new (
    id             INTEGER PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments (id),
    client_id      INTEGER NOT NULL REFERENCES clients (id),
    channel        TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    hours_before   INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'unknown')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    provider_id    TEXT    NOT NULL DEFAULT '',
    sent_at        INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (appointment_id, client_id, channel, hours_before, due_at)
);
INSERT INTO reminders_new (id, appointment_id, client_id, channel, hours_before, due_at, status, attempts, last_error, provider_id, sent_at, created_at, updated_at)
    SELECT id, appointment_id, client_id, channel, hours_before, due_at, status, attempts, last_error, provider_id, sent_at, created_at, updated_at FROM reminders;
DROP TABLE reminders;
ALTER TABLE reminders_new RENAME TO reminders;
CREATE INDEX reminders_due ON reminders (status, due_at);

-- +goose Down
-- Fails if an appointment has reminders for two start times; delete the
-- older ones first.
CREATE TABLE reminders_old (
    id             INTEGER PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments (id),
    client_id      INTEGER NOT NULL REFERENCES clients (id),
    channel        TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    hours_before   INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'unknown')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    provider_id    TEXT    NOT NULL DEFAULT '',
    sent_at        INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (appointment_id, client_id, channel, hours_before)
);
INSERT INTO reminders_old (id, appointment_id, client_id, channel, hours_before, due_at, status, attempts, last_error, provider_id, sent_at, created_at, updated_at)
    SELECT id, appointment_id, client_id, channel, hours_before, due_at, status, attempts, last_error, provider_id, sent_at, created_at, updated_at FROM reminders;
DROP TABLE reminders;
ALTER TABLE reminders_old RENAME TO reminders;
CREATE INDEX reminders_due ON reminders (status, due_at);
