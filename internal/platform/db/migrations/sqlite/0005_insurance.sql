-- +goose Up
-- Payers and clients' insurance (package clients). Money is integer cents;
-- coinsurance is in basis points (2000 = 20 %). Dates are 'YYYY-MM-DD'.

CREATE TABLE payers (
    id                     INTEGER PRIMARY KEY,
    name                   TEXT    NOT NULL,
    electronic_id          TEXT    NOT NULL DEFAULT '', -- the clearinghouse payer ID
    claim_filing_indicator TEXT    NOT NULL DEFAULT 'CI',
    address_line1          TEXT    NOT NULL DEFAULT '',
    address_line2          TEXT    NOT NULL DEFAULT '',
    city                   TEXT    NOT NULL DEFAULT '',
    state                  TEXT    NOT NULL DEFAULT '',
    postal_code            TEXT    NOT NULL DEFAULT '',
    phone                  TEXT    NOT NULL DEFAULT '',
    active                 BOOLEAN NOT NULL DEFAULT TRUE,
    version                INTEGER NOT NULL DEFAULT 1,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX payers_name ON payers (name);

CREATE TABLE insurance_policies (
    id                   INTEGER PRIMARY KEY,
    client_id            INTEGER NOT NULL REFERENCES clients (id),
    payer_id             INTEGER NOT NULL REFERENCES payers (id),
    rank                 INTEGER NOT NULL CHECK (rank IN (1, 2, 3)), -- primary, secondary, tertiary
    relationship         TEXT    NOT NULL CHECK (relationship IN ('self', 'spouse', 'child', 'other')),
    subscriber_first     TEXT    NOT NULL DEFAULT '',
    subscriber_last      TEXT    NOT NULL DEFAULT '',
    subscriber_birth     TEXT    NOT NULL DEFAULT '',
    subscriber_sex       TEXT    NOT NULL DEFAULT '',
    subscriber_address   TEXT    NOT NULL DEFAULT '', -- one line; the client's own when self
    member_id            TEXT    NOT NULL,
    group_number         TEXT    NOT NULL DEFAULT '',
    plan_name            TEXT    NOT NULL DEFAULT '',
    effective_date       TEXT    NOT NULL,
    end_date             TEXT    NOT NULL DEFAULT '',
    copay_cents          INTEGER NOT NULL DEFAULT 0,
    coinsurance_bp       INTEGER NOT NULL DEFAULT 0,
    deductible_cents     INTEGER NOT NULL DEFAULT 0,
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX insurance_policies_client ON insurance_policies (client_id);

CREATE TABLE prior_authorizations (
    id                INTEGER PRIMARY KEY,
    policy_id         INTEGER NOT NULL REFERENCES insurance_policies (id),
    number            TEXT    NOT NULL,
    visits_authorized INTEGER NOT NULL CHECK (visits_authorized > 0),
    visits_used       INTEGER NOT NULL DEFAULT 0 CHECK (visits_used >= 0),
    start_date        TEXT    NOT NULL,
    end_date          TEXT    NOT NULL,
    service_codes     TEXT    NOT NULL DEFAULT '', -- CPT codes, comma-separated
    created_at        INTEGER NOT NULL
);
CREATE INDEX prior_authorizations_policy ON prior_authorizations (policy_id);

-- +goose Down
DROP TABLE prior_authorizations;
DROP TABLE insurance_policies;
DROP TABLE payers;
