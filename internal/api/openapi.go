package api

import (
	"net/http"

	"github.com/mentalspace/mentalspace/internal/platform/web"
)

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonBody(schema obj) obj {
	return obj{"content": obj{"application/json": obj{"schema": schema}}}
}

func listOf(name string) obj {
	return obj{"type": "object", "required": []string{"data"}, "properties": obj{
		"data":        obj{"type": "array", "items": ref(name)},
		"next_cursor": obj{"type": "string", "description": "Pass as ?cursor= to get the next page; absent on the last page."},
	}}
}

func errorResponses(codes ...string) obj {
	out := obj{}
	desc := map[string]string{"401": "Missing, revoked or invalid token.", "403": "The token's user lacks the permission (the refusal is audited).",
		"404": "Not found.", "422": "Invalid input; fields name the problems.", "409": "Conflict."}
	for _, c := range codes {
		out[c] = obj{"description": desc[c], "content": obj{"application/json": obj{"schema": ref("Error")}}}
	}
	return out
}

func op(summary string, params []obj, body obj, status string, resp obj, errs ...string) obj {
	o := obj{"summary": summary, "responses": errorResponses(append([]string{"401", "403"}, errs...)...)}
	o["responses"].(obj)[status] = obj{"description": "OK", "content": obj{"application/json": obj{"schema": resp}}}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if body != nil {
		o["requestBody"] = body
	}
	return o
}

func query(name, typ, desc string) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": obj{"type": typ}}
}

var pageParams = []obj{query("cursor", "string", "Opaque cursor from next_cursor."), query("limit", "integer", "Page size.")}

// Document is the OpenAPI 3 description of the API. A test checks that its
// paths and methods are exactly the registered /api/v1 routes.
func Document() obj {
	str := obj{"type": "string"}
	integer := obj{"type": "integer", "format": "int64"}
	timeT := obj{"type": "string", "format": "date-time"}
	role := obj{"type": "string", "enum": []string{"admin", "clinician", "associate", "supervisor", "frontdesk", "biller"}}
	date := obj{"type": "string", "format": "date"}
	clientStatus := obj{"type": "string", "enum": []string{"inquiry", "waitlist", "active", "inactive", "discharged"}}
	idParam := obj{"name": "id", "in": "path", "required": true, "schema": integer}
	ids := obj{"type": "array", "items": integer}
	// A client's fields, shared by the record and the input.
	clientFields := func(extra obj) obj {
		o := obj{
			"first_name": str, "middle_name": str, "last_name": str, "suffix": str, "preferred_name": str, "pronouns": str,
			"birth_date": date, "sex": obj{"type": "string", "enum": []string{"", "F", "M", "X", "U"}, "description": "Administrative sex."},
			"gender_identity": str, "sexual_orientation": str,
			"races":     obj{"type": "array", "items": str, "description": "OMB race codes (CDC Race & Ethnicity): 1002-5, 2028-9, 2054-5, 2076-8, 2106-3, ASKU."},
			"ethnicity": obj{"type": "string", "description": "2135-2, 2186-5, ASKU or empty."}, "language": str,
			"interpreter_needed": obj{"type": "boolean"}, "marital_status": str, "employment_status": str,
			"email": obj{"type": "string", "format": "email"}, "address": ref("Address"), "phones": obj{"type": "array", "items": ref("Phone")},
			"status": clientStatus, "status_date": date, "referral_source": str,
			"primary_clinician_id": obj{"type": "integer", "format": "int64", "description": "A clinician's user id; 0 for none."},
			"care_team":            ids, "location_id": obj{"type": "integer", "format": "int64", "description": "0 for none."},
		}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": "MentalSpace API", "version": "1",
			"description": "Staff API. Authenticate with a personal token: Authorization: Bearer mst_… (create one under My account, or with `mentalspace token create`)."},
		"servers":  []obj{{"url": "/api/v1"}},
		"security": []obj{{"bearer": []string{}}},
		"paths": obj{
			"/me": obj{"get": op("The token's own user", nil, nil, "200", ref("User"))},
			"/users": obj{
				"get":  op("List staff accounts (administrators, supervisors)", pageParams, nil, "200", listOf("User"), "422"),
				"post": op("Add a staff account (administrators)", nil, jsonBody(ref("NewUser")), "201", ref("User"), "422"),
			},
			"/users/{id}": obj{"get": op("One staff account", []obj{{"name": "id", "in": "path", "required": true, "schema": integer}}, nil, "200", ref("User"), "404")},
			"/audit": obj{"get": op("Audit log entries, newest first (administrators)", append([]obj{
				query("from", "string", "RFC 3339 time, inclusive."), query("to", "string", "RFC 3339 time, exclusive."),
				query("user_id", "integer", "Only this user's entries."), query("client_id", "integer", "Only entries about this client."),
				query("action", "string", "create, read, update, delete, print, export, disclose, login or logout."),
			}, pageParams...), nil, "200", listOf("AuditEntry"), "422")},
			"/clients": obj{
				"get": op("Search clients, or list them by id without q; only clients the token's user may see (caseload for clinicians)", []obj{
					query("q", "string", "Name prefix (legal first or last, or preferred; \"first last\" or \"last, first\"; case and accents ignored), "+
						"date of birth (YYYY-MM-DD or MM/DD/YYYY), phone, email or MRN. With q, results come in name order, one page of at most limit, without next_cursor."),
					{"name": "status", "in": "query", "required": false, "description": "Only clients with this status.", "schema": clientStatus},
					query("cursor", "string", "Without q: opaque cursor from next_cursor. Not accepted with q."),
					query("limit", "integer", "Page size, 1 to 100 (default 25)."),
				}, nil, "200", listOf("ClientSummary"), "422"),
				"post": op("Register a client (front desk, clinicians, associates, administrators). 409 with error.fields.duplicate when the name and date of birth match an existing client; send allow_duplicate: true to register anyway",
					nil, jsonBody(obj{"allOf": []obj{ref("ClientInput"), {"type": "object", "properties": obj{
						"allow_duplicate": obj{"type": "boolean", "description": "Confirms a registration whose name and date of birth match an existing client."}}}}}),
					"201", ref("Client"), "409", "422"),
			},
			"/clients/{id}": obj{
				"get": op("One client's record (the read is audited)", []obj{idParam}, nil, "200", ref("Client"), "404"),
				"put": op("Replace a client's record. Send the version you read: 409 if someone changed the record since",
					[]obj{idParam}, jsonBody(obj{"allOf": []obj{ref("ClientInput"), {"type": "object", "required": []string{"version"}, "properties": obj{
						"version": obj{"type": "integer", "format": "int64", "description": "The record's version as read."}}}}}),
					"200", ref("Client"), "404", "409", "422"),
			},
			"/openapi.json": obj{"get": obj{"summary": "This document", "security": []obj{}, "responses": obj{"200": obj{"description": "OK"}}}},
		},
		"components": obj{
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}},
			"schemas": obj{
				"Error": obj{"type": "object", "required": []string{"error"}, "properties": obj{"error": obj{"type": "object", "required": []string{"code", "message"}, "properties": obj{
					"code":    obj{"type": "string", "enum": []string{"invalid", "not_found", "conflict", "forbidden", "unauthorized", "too_many_requests", "internal"}},
					"message": str,
					"fields":  obj{"type": "object", "additionalProperties": str},
				}}}},
				"User": obj{"type": "object", "properties": obj{
					"id": integer, "email": str, "name": str, "credentials": str, "npi": str,
					"status": obj{"type": "string", "enum": []string{"active", "disabled"}}, "roles": obj{"type": "array", "items": role},
					"mfa_enabled": obj{"type": "boolean"}, "version": integer, "created_at": timeT,
				}},
				"NewUser": obj{"type": "object", "required": []string{"email", "name", "roles", "password"}, "properties": obj{
					"email": str, "name": str, "credentials": str, "npi": obj{"type": "string", "pattern": "^[0-9]{10}$"},
					"roles": obj{"type": "array", "items": role, "minItems": 1}, "password": obj{"type": "string", "minLength": 12},
				}},
				"Address": obj{"type": "object", "properties": obj{"line1": str, "line2": str, "city": str,
					"state": obj{"type": "string", "description": "Two-letter code."}, "postal_code": obj{"type": "string", "description": "12345 or 12345-6789."}}},
				"Phone": obj{"type": "object", "required": []string{"kind", "number"}, "properties": obj{
					"kind":     obj{"type": "string", "enum": []string{"mobile", "home", "work", "other"}},
					"number":   obj{"type": "string", "description": "As typed; ten digits (North American), any punctuation."},
					"can_text": obj{"type": "boolean"}, "can_voicemail": obj{"type": "boolean", "description": "The practice may leave a voicemail."},
				}},
				"Client": obj{"type": "object", "description": "The client record. The SSN is never returned, only ssn_masked.", "properties": clientFields(obj{
					"id": integer, "mrn": obj{"type": "string", "description": "Medical record number, MS-000123."},
					"ssn_masked": obj{"type": "string", "description": "The last four digits of the SSN, masked; empty when none is on file."},
					"version":    integer, "created_at": timeT, "updated_at": timeT,
				})},
				"ClientInput": obj{"type": "object", "required": []string{"first_name", "last_name", "birth_date"},
					"description": "A client's record as sent. Omitted fields are empty (PUT replaces the record); status defaults to active.",
					"properties": clientFields(obj{
						"ssn": obj{"type": "string", "writeOnly": true, "description": "Write-only. 123-45-6789 or 123456789; empty or omitted keeps the stored one, \"-\" removes it."},
					})},
				"ClientSummary": obj{"type": "object", "properties": obj{
					"id": integer, "mrn": str, "first_name": str, "last_name": str, "preferred_name": str, "birth_date": date,
					"status": clientStatus, "primary_clinician_id": integer,
				}},
				"AuditEntry": obj{"type": "object", "properties": obj{
					"seq": integer, "at": timeT, "user_id": integer, "role": str, "action": str, "object_type": str, "object_id": str,
					"client_id": integer, "ip": str, "user_agent": str, "outcome": obj{"type": "string", "enum": []string{"success", "denied", "failed"}},
					"detail": str, "request_id": str, "hash": str,
				}},
			},
		},
	}
}

// OpenAPI serves the document.
func (h *Handler) OpenAPI(w http.ResponseWriter, r *http.Request) {
	web.JSON(w, http.StatusOK, Document())
}
