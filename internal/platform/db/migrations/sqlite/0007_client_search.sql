-- +goose Up
-- Client search at a million clients (docs/PERFORMANCE.md, "Client search";
-- docs/decisions/0006-clients.md, "Search").
--
-- Names are searched in name order (search_last, search_first, id) and merged
-- records never appear, so the name index is partial and in that order; it
-- also holds search_preferred, so that a walk along it filters on every name
-- without reading the table. It replaces clients_search_last.
CREATE INDEX clients_name_order ON clients (search_last, search_first, id, search_preferred) WHERE merged_into IS NULL;
DROP INDEX clients_search_last;

-- A clinician's own clients (as primary clinician), in name order.
CREATE INDEX clients_caseload_names ON clients (primary_clinician_id, search_last, search_first, id, search_preferred)
    WHERE merged_into IS NULL;

-- The clients whose care team a user is on, in name order: care team rows
-- carry a copy of their client's folded names (written with the row, and
-- again whenever the client is saved or merged, by package clients), so that
-- a clinician's care-team clients are searched from this one index instead
-- of by looking up each client.
ALTER TABLE client_care_team ADD COLUMN search_last TEXT NOT NULL DEFAULT '';
ALTER TABLE client_care_team ADD COLUMN search_first TEXT NOT NULL DEFAULT '';
ALTER TABLE client_care_team ADD COLUMN search_preferred TEXT NOT NULL DEFAULT '';
UPDATE client_care_team SET
    search_last = (SELECT c.search_last FROM clients c WHERE c.id = client_care_team.client_id),
    search_first = (SELECT c.search_first FROM clients c WHERE c.id = client_care_team.client_id),
    search_preferred = (SELECT c.search_preferred FROM clients c WHERE c.id = client_care_team.client_id);
DROP INDEX client_care_team_user;
CREATE INDEX client_care_team_user ON client_care_team (user_id, search_last, search_first, client_id, search_preferred);

-- +goose Down
DROP INDEX client_care_team_user;
CREATE INDEX client_care_team_user ON client_care_team (user_id);
ALTER TABLE client_care_team DROP COLUMN search_preferred;
ALTER TABLE client_care_team DROP COLUMN search_first;
ALTER TABLE client_care_team DROP COLUMN search_last;
DROP INDEX clients_caseload_names;
CREATE INDEX clients_search_last ON clients (search_last, search_first);
DROP INDEX clients_name_order;
