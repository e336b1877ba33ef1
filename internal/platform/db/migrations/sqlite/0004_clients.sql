-- +goose Up
-- Clients (package clients). Birth and status dates are calendar dates, stored
-- as 'YYYY-MM-DD' text: they have no time zone. search_* columns hold the names
-- folded for search (lower case, accents removed) and are compared as ranges
-- ('smi' <= x < 'smi' || U+FFFF), which both engines answer from an index.

CREATE TABLE clients (
    id                   INTEGER PRIMARY KEY,
    mrn                  TEXT    NOT NULL UNIQUE,
    first_name           TEXT    NOT NULL,
    middle_name          TEXT    NOT NULL DEFAULT '',
    last_name            TEXT    NOT NULL,
    suffix               TEXT    NOT NULL DEFAULT '',
    preferred_name       TEXT    NOT NULL DEFAULT '',
    pronouns             TEXT    NOT NULL DEFAULT '',
    birth_date           TEXT    NOT NULL,
    sex                  TEXT    NOT NULL DEFAULT '' CHECK (sex IN ('', 'F', 'M', 'X', 'U')),
    gender_identity      TEXT    NOT NULL DEFAULT '',
    sexual_orientation   TEXT    NOT NULL DEFAULT '',
    races                TEXT    NOT NULL DEFAULT '', -- OMB codes, comma-separated
    ethnicity            TEXT    NOT NULL DEFAULT '',
    language             TEXT    NOT NULL DEFAULT '',
    interpreter_needed   BOOLEAN NOT NULL DEFAULT FALSE,
    marital_status       TEXT    NOT NULL DEFAULT '',
    employment_status    TEXT    NOT NULL DEFAULT '',
    email                TEXT    NOT NULL DEFAULT '',
    address_line1        TEXT    NOT NULL DEFAULT '',
    address_line2        TEXT    NOT NULL DEFAULT '',
    city                 TEXT    NOT NULL DEFAULT '',
    state                TEXT    NOT NULL DEFAULT '',
    postal_code          TEXT    NOT NULL DEFAULT '',
    ssn                  TEXT    NOT NULL DEFAULT '', -- sealed (platform/crypto), AAD clients.ssn:<id>
    ssn_last4            TEXT    NOT NULL DEFAULT '',
    status               TEXT    NOT NULL CHECK (status IN ('inquiry', 'waitlist', 'active', 'inactive', 'discharged')),
    status_date          TEXT    NOT NULL,
    referral_source      TEXT    NOT NULL DEFAULT '',
    primary_clinician_id INTEGER REFERENCES users (id),
    location_id          INTEGER REFERENCES locations (id),
    search_last          TEXT    NOT NULL,
    search_first         TEXT    NOT NULL,
    search_preferred     TEXT    NOT NULL DEFAULT '',
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX clients_search_last ON clients (search_last, search_first);
CREATE INDEX clients_search_first ON clients (search_first);
CREATE INDEX clients_search_preferred ON clients (search_preferred);
CREATE INDEX clients_birth_date ON clients (birth_date);
CREATE INDEX clients_email ON clients (email);
CREATE INDEX clients_primary_clinician ON clients (primary_clinician_id);

CREATE TABLE client_phones (
    id            INTEGER PRIMARY KEY,
    client_id     INTEGER NOT NULL REFERENCES clients (id),
    position      INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('mobile', 'home', 'work', 'other')),
    number        TEXT    NOT NULL, -- as typed
    digits        TEXT    NOT NULL, -- the ten digits, for search
    can_text      BOOLEAN NOT NULL DEFAULT FALSE,
    can_voicemail BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX client_phones_client ON client_phones (client_id);
CREATE INDEX client_phones_digits ON client_phones (digits);

-- The care team: who, besides the primary clinician, treats the client.
CREATE TABLE client_care_team (
    client_id INTEGER NOT NULL REFERENCES clients (id),
    user_id   INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (client_id, user_id)
);
CREATE INDEX client_care_team_user ON client_care_team (user_id);

-- Supervision pairs: a supervisor sees their supervisees' clients.
CREATE TABLE supervision (
    supervisor_id INTEGER NOT NULL REFERENCES users (id),
    supervisee_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (supervisor_id, supervisee_id),
    CHECK (supervisor_id <> supervisee_id)
);
CREATE INDEX supervision_supervisee ON supervision (supervisee_id);

CREATE TABLE client_alerts (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('safety', 'contact', 'billing', 'other')),
    text        TEXT    NOT NULL,
    created_by  INTEGER REFERENCES users (id), -- NULL: entered by MentalSpace itself (import, demo)
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX client_alerts_client ON client_alerts (client_id);

-- Break-the-glass: emergency access to a chart outside one's caseload, with a
-- stated reason, for a limited time; flagged in the audit report.
CREATE TABLE break_glass (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    client_id  INTEGER NOT NULL REFERENCES clients (id),
    reason     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX break_glass_user_client ON break_glass (user_id, client_id, expires_at);

-- The MRN counter: one row, advanced in the creating transaction.
CREATE TABLE mrn_counter (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    next INTEGER NOT NULL
);
INSERT INTO mrn_counter (id, next) VALUES (1, 1);

-- +goose Down
DROP TABLE mrn_counter;
DROP TABLE break_glass;
DROP TABLE client_alerts;
DROP TABLE supervision;
DROP TABLE client_care_team;
DROP TABLE client_phones;
DROP TABLE clients;
