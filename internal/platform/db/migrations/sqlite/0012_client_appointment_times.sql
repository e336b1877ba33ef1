-- +goose Up
-- A booking's client overlap check asks for a client's appointments near one
-- time. Through appointment_clients_client (client_id, appointment_id) it had
-- to read every appointment the client ever had, each from its own page of
-- appointments: hundreds for a client in treatment for years, mostly uncached
-- in a large practice (docs/PERFORMANCE.md, "The targets, second round").
-- Holding the appointment's start here makes it one short index range, as the
-- clinician's and the room's checks are. The scheduling service keeps it equal
-- to appointments.starts_at (insert, move, group attendance, client merge).
ALTER TABLE appointment_clients ADD COLUMN starts_at INTEGER NOT NULL DEFAULT 0;
UPDATE appointment_clients SET starts_at = (SELECT a.starts_at FROM appointments a WHERE a.id = appointment_clients.appointment_id);
DROP INDEX appointment_clients_client;
CREATE INDEX appointment_clients_client ON appointment_clients (client_id, starts_at, appointment_id);

-- +goose Down
DROP INDEX appointment_clients_client;
CREATE INDEX appointment_clients_client ON appointment_clients (client_id, appointment_id);
ALTER TABLE appointment_clients DROP COLUMN starts_at;
