-- +goose Up
-- Scheduling (package scheduling). Instants are UTC microseconds; weekly
-- availability is minutes after local midnight in the practice's time zone, so
-- that a 10:00 template stays at 10:00 across daylight-saving changes.

-- The practice's scheduling policies: one row.
CREATE TABLE scheduling_policy (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    late_cancel_hours     INTEGER NOT NULL DEFAULT 24,
    no_show_fee_cents     INTEGER  NOT NULL DEFAULT 0,
    late_cancel_fee_cents INTEGER  NOT NULL DEFAULT 0,
    reminder_hours        TEXT    NOT NULL DEFAULT '48,2', -- hours before the start, comma-separated
    version               INTEGER  NOT NULL DEFAULT 1,
    updated_at            INTEGER  NOT NULL DEFAULT 0
);
INSERT INTO scheduling_policy (id) VALUES (1);

CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY,
    location_id INTEGER  NOT NULL REFERENCES locations (id),
    name        TEXT    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  INTEGER  NOT NULL,
    UNIQUE (location_id, name)
);

CREATE TABLE appointment_types (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL UNIQUE,
    duration_minutes   INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    service_code       TEXT    NOT NULL DEFAULT '',
    color              TEXT    NOT NULL DEFAULT '#2f6f8f',
    kind               TEXT    NOT NULL CHECK (kind IN ('individual', 'couple', 'group', 'intake')),
    capacity           INTEGER NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 50),
    telehealth_allowed BOOLEAN NOT NULL DEFAULT TRUE,
    online_bookable    BOOLEAN NOT NULL DEFAULT FALSE,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    version            INTEGER  NOT NULL DEFAULT 1,
    created_at         INTEGER  NOT NULL,
    updated_at         INTEGER  NOT NULL
);

-- A clinician's weekly template: weekday 0 = Sunday.
CREATE TABLE availability (
    id           INTEGER PRIMARY KEY,
    clinician_id INTEGER  NOT NULL REFERENCES users (id),
    location_id  INTEGER  NOT NULL REFERENCES locations (id),
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    created_at   INTEGER  NOT NULL,
    CHECK (end_minute > start_minute)
);
CREATE INDEX availability_clinician ON availability (clinician_id, weekday);

-- Time off ('off') and extra hours ('extra') outside the template.
CREATE TABLE availability_exceptions (
    id           INTEGER PRIMARY KEY,
    clinician_id INTEGER NOT NULL REFERENCES users (id),
    location_id  INTEGER REFERENCES locations (id),
    kind         TEXT   NOT NULL CHECK (kind IN ('off', 'extra')),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    reason       TEXT   NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX availability_exceptions_clinician ON availability_exceptions (clinician_id, starts_at);

-- A recurring series: the rule, and the local wall-clock start it repeats.
CREATE TABLE appointment_series (
    id          INTEGER PRIMARY KEY,
    rrule       TEXT   NOT NULL,
    time_zone   TEXT   NOT NULL,
    created_by  INTEGER REFERENCES users (id),
    created_at  INTEGER NOT NULL
);

CREATE TABLE appointments (
    id              INTEGER PRIMARY KEY,
    series_id       INTEGER  REFERENCES appointment_series (id),
    clinician_id    INTEGER  NOT NULL REFERENCES users (id),
    type_id         INTEGER  NOT NULL REFERENCES appointment_types (id),
    location_id     INTEGER  REFERENCES locations (id),
    room_id         INTEGER  REFERENCES rooms (id),
    telehealth      BOOLEAN NOT NULL DEFAULT FALSE,
    video_url       TEXT    NOT NULL DEFAULT '',
    starts_at       INTEGER  NOT NULL,
    ends_at         INTEGER  NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('scheduled', 'confirmed', 'checked_in', 'in_session', 'completed', 'cancelled', 'no_show', 'rescheduled')),
    -- blocks is true while the appointment holds its slot (not cancelled,
    -- no-show or rescheduled); only those take part in overlap checks.
    blocks          BOOLEAN NOT NULL DEFAULT TRUE,
    cancelled_by    TEXT    NOT NULL DEFAULT '' CHECK (cancelled_by IN ('', 'client', 'clinician')),
    late_cancel     BOOLEAN NOT NULL DEFAULT FALSE,
    fee_cents       INTEGER  NOT NULL DEFAULT 0,
    status_reason   TEXT    NOT NULL DEFAULT '',
    rescheduled_to  INTEGER  REFERENCES appointments (id),
    checked_in_at   INTEGER,
    checked_out_at  INTEGER,
    capacity        INTEGER NOT NULL DEFAULT 1,
    front_desk_note TEXT    NOT NULL DEFAULT '',
    overlap_reason  TEXT    NOT NULL DEFAULT '',
    version         INTEGER  NOT NULL DEFAULT 1,
    created_by      INTEGER  REFERENCES users (id),
    created_at      INTEGER  NOT NULL,
    updated_at      INTEGER  NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX appointments_clinician ON appointments (clinician_id, starts_at);
CREATE INDEX appointments_room ON appointments (room_id, starts_at);
CREATE INDEX appointments_start ON appointments (starts_at);
CREATE INDEX appointments_series ON appointments (series_id, starts_at);

-- The clients of an appointment (one, a couple or family, or a group), with
-- attendance per client.
CREATE TABLE appointment_clients (
    appointment_id INTEGER NOT NULL REFERENCES appointments (id),
    client_id      INTEGER NOT NULL REFERENCES clients (id),
    attendance     TEXT   NOT NULL DEFAULT 'expected' CHECK (attendance IN ('expected', 'attended', 'absent', 'cancelled')),
    PRIMARY KEY (appointment_id, client_id)
);
CREATE INDEX appointment_clients_client ON appointment_clients (client_id, appointment_id);

-- Status changes, for the appointment's history.
CREATE TABLE appointment_events (
    id             INTEGER PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments (id),
    from_status    TEXT   NOT NULL,
    to_status      TEXT   NOT NULL,
    reason         TEXT   NOT NULL DEFAULT '',
    user_id        INTEGER REFERENCES users (id),
    at             INTEGER NOT NULL
);
CREATE INDEX appointment_events_appointment ON appointment_events (appointment_id, id);

-- The waitlist: a client waiting for a slot, with preferences. days is a
-- bit set of weekdays (1 << weekday).
CREATE TABLE waitlist (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER  NOT NULL REFERENCES clients (id),
    clinician_id    INTEGER  REFERENCES users (id),
    days            INTEGER NOT NULL DEFAULT 127,
    earliest_minute INTEGER NOT NULL DEFAULT 0,
    latest_minute   INTEGER NOT NULL DEFAULT 1440,
    modality        TEXT    NOT NULL DEFAULT 'any' CHECK (modality IN ('any', 'in_person', 'telehealth')),
    urgency         TEXT    NOT NULL DEFAULT 'routine' CHECK (urgency IN ('routine', 'soon', 'urgent')),
    note            TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'offered', 'booked', 'removed')),
    added_by        INTEGER  REFERENCES users (id),
    created_at      INTEGER  NOT NULL,
    updated_at      INTEGER  NOT NULL
);
CREATE INDEX waitlist_status ON waitlist (status, urgency, created_at);

CREATE TABLE waitlist_offers (
    id           INTEGER PRIMARY KEY,
    waitlist_id  INTEGER NOT NULL REFERENCES waitlist (id),
    clinician_id INTEGER NOT NULL REFERENCES users (id),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    freed_by     INTEGER REFERENCES appointments (id),
    status       TEXT   NOT NULL DEFAULT 'offered' CHECK (status IN ('offered', 'accepted', 'declined', 'withdrawn')),
    offered_by   INTEGER REFERENCES users (id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX waitlist_offers_waitlist ON waitlist_offers (waitlist_id);

-- How a client wants reminders. No row: email when the client has an address,
-- text when a phone allows texting.
CREATE TABLE reminder_preferences (
    client_id INTEGER  PRIMARY KEY REFERENCES clients (id),
    email     BOOLEAN NOT NULL,
    sms       BOOLEAN NOT NULL
);

-- One reminder per appointment, client, channel and offset: the unique key is
-- what makes "never sent twice" hold across retries and restarts.
CREATE TABLE reminders (
    id             INTEGER PRIMARY KEY,
    appointment_id INTEGER  NOT NULL REFERENCES appointments (id),
    client_id      INTEGER  NOT NULL REFERENCES clients (id),
    channel        TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    hours_before   INTEGER NOT NULL,
    due_at         INTEGER  NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'unknown')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    provider_id    TEXT    NOT NULL DEFAULT '',
    sent_at        INTEGER,
    created_at     INTEGER  NOT NULL,
    updated_at     INTEGER  NOT NULL,
    UNIQUE (appointment_id, client_id, channel, hours_before)
);
CREATE INDEX reminders_due ON reminders (status, due_at);

-- Calendar feeds: a secret URL per clinician, stored hashed, revocable.
CREATE TABLE calendar_feeds (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER  NOT NULL REFERENCES users (id),
    token_hash TEXT    NOT NULL UNIQUE,
    full_names BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER  NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);

-- +goose Down
DROP TABLE calendar_feeds;
DROP TABLE reminders;
DROP TABLE reminder_preferences;
DROP TABLE waitlist_offers;
DROP TABLE waitlist;
DROP TABLE appointment_events;
DROP TABLE appointment_clients;
DROP TABLE appointments;
DROP TABLE appointment_series;
DROP TABLE availability_exceptions;
DROP TABLE availability;
DROP TABLE appointment_types;
DROP TABLE rooms;
DROP TABLE scheduling_policy;
