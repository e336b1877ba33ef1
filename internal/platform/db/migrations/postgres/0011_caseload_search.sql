-- +goose Up
-- A caseload-bound clinician's name search (package clients, searcher.names)
-- seeks each name prefix within each scope of their caseload, instead of
-- walking the scope in name order, which read the whole caseload
-- (docs/PERFORMANCE.md, "Client search"). Surname prefixes use
-- clients_caseload_names and client_care_team_user (0007); these serve first
-- and preferred name prefixes, and hold every column the search reads.
-- merged_into, always NULL here, is held because SQLite otherwise reads the
-- table row to check the partial index's condition. Most clients have no
-- preferred name, so the preferred name indexes leave them out.
CREATE INDEX clients_caseload_first ON clients (primary_clinician_id, search_first, search_last, id, search_preferred, merged_into)
    WHERE merged_into IS NULL;
CREATE INDEX clients_caseload_preferred ON clients (primary_clinician_id, search_preferred, search_last, search_first, id, merged_into)
    WHERE merged_into IS NULL AND search_preferred <> '';
CREATE INDEX client_care_team_user_first ON client_care_team (user_id, search_first, search_last, client_id, search_preferred);
CREATE INDEX client_care_team_user_preferred ON client_care_team (user_id, search_preferred, search_last, search_first, client_id)
    WHERE search_preferred <> '';

-- +goose Down
DROP INDEX client_care_team_user_preferred;
DROP INDEX client_care_team_user_first;
DROP INDEX clients_caseload_preferred;
DROP INDEX clients_caseload_first;
