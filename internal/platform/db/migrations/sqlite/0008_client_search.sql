-- +goose Up
-- Client search at a million clients (docs/PERFORMANCE.md, "Client search").
-- Names are searched in name order (search_last, search_first, id) and merged
-- records never appear, so the name index is partial and in that order; it
-- also holds search_preferred, so a statement that walks it filters on names
-- without reading the table. It replaces clients_search_last.
CREATE INDEX clients_name_order ON clients (search_last, search_first, id, search_preferred) WHERE merged_into IS NULL;
DROP INDEX clients_search_last;
-- A clinician's own clients, in name order.
CREATE INDEX clients_caseload_names ON clients (primary_clinician_id, search_last, search_first, id, search_preferred)
    WHERE merged_into IS NULL;
-- The clients whose care team a user is on, without reading the table.
DROP INDEX client_care_team_user;
CREATE INDEX client_care_team_user ON client_care_team (user_id, client_id);

-- +goose Down
DROP INDEX client_care_team_user;
CREATE INDEX client_care_team_user ON client_care_team (user_id);
DROP INDEX clients_caseload_names;
CREATE INDEX clients_search_last ON clients (search_last, search_first);
DROP INDEX clients_name_order;
