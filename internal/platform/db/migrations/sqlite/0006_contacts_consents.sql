-- +goose Up
-- A client's people (emergency contacts, guardians and legal representatives,
-- the financial guarantor), related clients, consents and alerts (package clients).

CREATE TABLE client_contacts (
    id                INTEGER PRIMARY KEY,
    client_id         INTEGER NOT NULL REFERENCES clients (id),
    kind              TEXT    NOT NULL CHECK (kind IN ('emergency', 'guardian', 'representative', 'guarantor')),
    name              TEXT    NOT NULL,
    relationship      TEXT    NOT NULL DEFAULT '',
    phone             TEXT    NOT NULL DEFAULT '',
    email             TEXT    NOT NULL DEFAULT '',
    address           TEXT    NOT NULL DEFAULT '',
    birth_date        TEXT    NOT NULL DEFAULT '',
    legal_document    TEXT    NOT NULL DEFAULT '', -- e.g. "custody order 2024-03-01" for guardians
    created_at        INTEGER NOT NULL,
    removed_at        INTEGER
);
CREATE INDEX client_contacts_client ON client_contacts (client_id);

-- Related clients are linked both ways: one row per direction.
CREATE TABLE client_relations (
    client_id  INTEGER NOT NULL REFERENCES clients (id),
    related_id INTEGER NOT NULL REFERENCES clients (id),
    kind       TEXT    NOT NULL CHECK (kind IN ('partner', 'parent', 'child', 'sibling', 'family')),
    PRIMARY KEY (client_id, related_id),
    CHECK (client_id <> related_id)
);

CREATE TABLE client_consents (
    id                INTEGER PRIMARY KEY,
    client_id         INTEGER NOT NULL REFERENCES clients (id),
    kind              TEXT    NOT NULL CHECK (kind IN ('treatment', 'privacy_notice', 'telehealth', 'financial_policy', 'release', 'part2')),
    signed_date       TEXT    NOT NULL,
    expires_date      TEXT    NOT NULL DEFAULT '',
    recipient         TEXT    NOT NULL DEFAULT '', -- releases: who receives
    purpose           TEXT    NOT NULL DEFAULT '',
    scope             TEXT    NOT NULL DEFAULT '', -- what may be shared
    part2             BOOLEAN NOT NULL DEFAULT FALSE, -- covers 42 CFR Part 2 records
    revoked_date      TEXT    NOT NULL DEFAULT '',
    recorded_by       INTEGER REFERENCES users (id), -- NULL: entered by MentalSpace itself
    created_at        INTEGER NOT NULL
);
CREATE INDEX client_consents_client ON client_consents (client_id);

-- A merged duplicate points at the record it was merged into and drops out
-- of search; everything linked to it has moved there.
ALTER TABLE clients ADD COLUMN merged_into INTEGER REFERENCES clients (id);

-- +goose Down
ALTER TABLE clients DROP COLUMN merged_into;
DROP TABLE client_consents;
DROP TABLE client_relations;
DROP TABLE client_contacts;
