-- +goose Up
-- Clinical documentation (packages clinical and notes). Note bodies, addenda,
-- risk assessments, safety plans and psychotherapy notes are sealed with the
-- field encryption (platform/crypto); their AAD binds each to its row.

-- The practice's documentation rules: one row.
CREATE TABLE documentation_policy (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    note_due_hours   INTEGER NOT NULL DEFAULT 72,
    lock_after_days  INTEGER NOT NULL DEFAULT 0, -- 0: notes never lock for their author
    plan_review_days INTEGER NOT NULL DEFAULT 90,
    version          INTEGER  NOT NULL DEFAULT 1,
    updated_at       INTEGER  NOT NULL DEFAULT 0
);
INSERT INTO documentation_policy (id) VALUES (1);

-- Supervision links get a primary flag and a date range.
ALTER TABLE supervision ADD COLUMN is_primary BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE supervision ADD COLUMN starts_on TEXT NOT NULL DEFAULT '';
ALTER TABLE supervision ADD COLUMN ends_on TEXT NOT NULL DEFAULT '';

-- A client's diagnoses. title is stored with the code, so a code retired
-- later stays readable.
CREATE TABLE diagnoses (
    id         INTEGER PRIMARY KEY,
    client_id  INTEGER  NOT NULL REFERENCES clients (id),
    code       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    rank       INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 12),
    onset      TEXT    NOT NULL DEFAULT '',
    resolved   TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL CHECK (status IN ('active', 'resolved', 'ruled_out')),
    added_by   INTEGER  REFERENCES users (id),
    version    INTEGER  NOT NULL DEFAULT 1,
    created_at INTEGER  NOT NULL,
    updated_at INTEGER  NOT NULL
);
CREATE INDEX diagnoses_client ON diagnoses (client_id, rank);

-- Every state a diagnosis has been in.
CREATE TABLE diagnosis_history (
    id           INTEGER PRIMARY KEY,
    diagnosis_id INTEGER  NOT NULL REFERENCES diagnoses (id),
    change       TEXT    NOT NULL,
    code         TEXT    NOT NULL,
    rank         INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    onset        TEXT    NOT NULL,
    resolved     TEXT    NOT NULL,
    user_id      INTEGER  REFERENCES users (id),
    at           INTEGER  NOT NULL
);
CREATE INDEX diagnosis_history_diagnosis ON diagnosis_history (diagnosis_id, id);

CREATE TABLE medications (
    id         INTEGER PRIMARY KEY,
    client_id  INTEGER NOT NULL REFERENCES clients (id),
    name       TEXT   NOT NULL,
    dose       TEXT   NOT NULL DEFAULT '',
    frequency  TEXT   NOT NULL DEFAULT '',
    prescriber TEXT   NOT NULL DEFAULT '',
    start_date TEXT   NOT NULL DEFAULT '',
    stop_date  TEXT   NOT NULL DEFAULT '',
    notes      TEXT   NOT NULL DEFAULT '',
    added_by   INTEGER REFERENCES users (id),
    version    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX medications_client ON medications (client_id);

-- Structured risk assessments (body sealed, JSON) and the current safety plan.
CREATE TABLE risk_assessments (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients (id),
    risk_level  TEXT   NOT NULL CHECK (risk_level IN ('none', 'low', 'moderate', 'high', 'imminent')),
    body        TEXT   NOT NULL,
    assessed_by INTEGER REFERENCES users (id),
    assessed_at INTEGER NOT NULL
);
CREATE INDEX risk_assessments_client ON risk_assessments (client_id, assessed_at);

CREATE TABLE safety_plans (
    client_id  INTEGER PRIMARY KEY REFERENCES clients (id),
    body       TEXT   NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);

-- Note templates: built in or the practice's own, versioned; a note records
-- the version it used. fields is JSON (package notes, Field).
CREATE TABLE note_templates (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    builtin    BOOLEAN NOT NULL DEFAULT FALSE,
    fields     TEXT    NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_by INTEGER  REFERENCES users (id),
    created_at INTEGER  NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE notes (
    id                 INTEGER PRIMARY KEY,
    client_id          INTEGER  NOT NULL REFERENCES clients (id),
    kind               TEXT    NOT NULL,
    template_id        INTEGER  NOT NULL REFERENCES note_templates (id),
    author_id          INTEGER  NOT NULL REFERENCES users (id),
    appointment_id     INTEGER  REFERENCES appointments (id),
    -- A group note is one note per attendee sharing group_key (the first
    -- note's id): each holds the shared narrative and that client's section.
    group_key          INTEGER,
    status             TEXT    NOT NULL CHECK (status IN ('draft', 'awaiting_cosign', 'returned', 'signed', 'cosigned')),
    body               TEXT    NOT NULL, -- sealed JSON, AAD notes.body:<id>
    service_code       TEXT    NOT NULL DEFAULT '',
    modifiers          TEXT    NOT NULL DEFAULT '',
    starts_at          INTEGER,
    ends_at            INTEGER,
    place_of_service   TEXT    NOT NULL DEFAULT '',
    participants       TEXT    NOT NULL DEFAULT '',
    diagnosis_ids      TEXT    NOT NULL DEFAULT '', -- comma-separated ids into diagnoses
    code_reason        TEXT    NOT NULL DEFAULT '',
    content_hash       TEXT    NOT NULL DEFAULT '',
    signed_by          INTEGER  REFERENCES users (id),
    signed_name        TEXT    NOT NULL DEFAULT '',
    signed_at          INTEGER,
    supervisor_id      INTEGER  REFERENCES users (id),
    cosigned_by        INTEGER  REFERENCES users (id),
    cosigned_name      TEXT    NOT NULL DEFAULT '',
    cosigned_at        INTEGER,
    return_comment     TEXT    NOT NULL DEFAULT '', -- sealed, AAD notes.return:<id>
    returned_at        INTEGER,
    unlocked_until     INTEGER,
    unlock_reason      TEXT    NOT NULL DEFAULT '',
    version            INTEGER  NOT NULL DEFAULT 1,
    created_at         INTEGER  NOT NULL,
    updated_at         INTEGER  NOT NULL
);
CREATE INDEX notes_client ON notes (client_id, created_at);
CREATE INDEX notes_author ON notes (author_id, status);
CREATE INDEX notes_appointment ON notes (appointment_id);
CREATE INDEX notes_supervisor ON notes (supervisor_id, status);

-- Corrections to a signed note: the original stays as it was.
CREATE TABLE note_addenda (
    id           INTEGER PRIMARY KEY,
    note_id      INTEGER NOT NULL REFERENCES notes (id),
    kind         TEXT   NOT NULL CHECK (kind IN ('addendum', 'amendment')),
    body         TEXT   NOT NULL, -- sealed, AAD note_addenda.body:<id>
    reason       TEXT   NOT NULL DEFAULT '',
    content_hash TEXT   NOT NULL,
    author_id    INTEGER NOT NULL REFERENCES users (id),
    signed_name  TEXT   NOT NULL,
    signed_at    INTEGER NOT NULL
);
CREATE INDEX note_addenda_note ON note_addenda (note_id, id);

-- Psychotherapy notes (45 CFR 164.501) live apart from the record: only the
-- author reads them; nothing else joins this table.
CREATE TABLE psychotherapy_notes (
    id             INTEGER PRIMARY KEY,
    client_id      INTEGER NOT NULL REFERENCES clients (id),
    author_id      INTEGER NOT NULL REFERENCES users (id),
    appointment_id INTEGER REFERENCES appointments (id),
    body           TEXT   NOT NULL, -- sealed, AAD psychotherapy_notes.body:<id>
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX psychotherapy_notes_client ON psychotherapy_notes (client_id, author_id);

-- +goose Down
DROP TABLE psychotherapy_notes;
DROP TABLE note_addenda;
DROP TABLE notes;
DROP TABLE note_templates;
DROP TABLE safety_plans;
DROP TABLE risk_assessments;
DROP TABLE medications;
DROP TABLE diagnosis_history;
DROP TABLE diagnoses;
ALTER TABLE supervision DROP COLUMN ends_on;
ALTER TABLE supervision DROP COLUMN starts_on;
ALTER TABLE supervision DROP COLUMN is_primary;
DROP TABLE documentation_policy;
