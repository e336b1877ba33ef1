-- +goose Up
-- A booking's client overlap check asks for a client's appointments near one
-- time. Through appointment_clients_client (client_id, appointment_id) it had
-- to read every appointment the client ever had, each from its own page of
-- appointments: hundreds for a client in treatment for years, mostly uncached
-- in a large practice (docs/PERFORMANCE.md, "The targets, second round").
-- Holding the appointment's start here makes it one short index range, as the
-- clinician's and the room's checks are. The scheduling service keeps it equal
-- to appointments.starts_at (insert, move, group attendance, client merge).
--
-- Rebuilt WITHOUT ROWID at the same time: rows are found by their key, so the
-- key's index was a second B-tree beside the table. Now the key is the table,
-- which saves a B-tree insert per client booked and a descent per client shown
-- on a calendar.
CREATE TABLE appointment_clients_new (
    appointment_id INTEGER NOT NULL REFERENCES appointments (id),
    client_id      INTEGER NOT NULL REFERENCES clients (id),
    attendance     TEXT   NOT NULL DEFAULT 'expected' CHECK (attendance IN ('expected', 'attended', 'absent', 'cancelled')),
    starts_at      INTEGER NOT NULL,
    PRIMARY KEY (appointment_id, client_id)
) WITHOUT ROWID;
INSERT INTO appointment_clients_new (appointment_id, client_id, attendance, starts_at)
    SELECT ac.appointment_id, ac.client_id, ac.attendance, a.starts_at
    FROM appointment_clients ac JOIN appointments a ON a.id = ac.appointment_id
    ORDER BY ac.appointment_id, ac.client_id;
DROP TABLE appointment_clients;
ALTER TABLE appointment_clients_new RENAME TO appointment_clients;
-- A WITHOUT ROWID table's index holds the key too: (…, appointment_id, client_id).
CREATE INDEX appointment_clients_client ON appointment_clients (client_id, starts_at);

-- +goose Down
CREATE TABLE appointment_clients_old (
    appointment_id INTEGER NOT NULL REFERENCES appointments (id),
    client_id      INTEGER NOT NULL REFERENCES clients (id),
    attendance     TEXT   NOT NULL DEFAULT 'expected' CHECK (attendance IN ('expected', 'attended', 'absent', 'cancelled')),
    PRIMARY KEY (appointment_id, client_id)
);
INSERT INTO appointment_clients_old (appointment_id, client_id, attendance)
    SELECT appointment_id, client_id, attendance FROM appointment_clients;
DROP TABLE appointment_clients;
ALTER TABLE appointment_clients_old RENAME TO appointment_clients;
CREATE INDEX appointment_clients_client ON appointment_clients (client_id, appointment_id);
