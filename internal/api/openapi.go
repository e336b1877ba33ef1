package api

import (
	"net/http"

	"github.com/mentalspace/mentalspace/internal/clients"
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
	doc := obj{
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
	paths, schemas := doc["paths"].(obj), doc["components"].(obj)["schemas"].(obj)
	for k, v := range recordPaths() {
		paths[k] = v
	}
	for k, v := range recordSchemas() {
		schemas[k] = v
	}
	return doc
}

// OpenAPI serves the document.
func (h *Handler) OpenAPI(w http.ResponseWriter, r *http.Request) {
	web.JSON(w, http.StatusOK, Document())
}

func pathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": obj{"type": "integer", "format": "int64"}}
}

func codes(list []struct{ Code, Label string }) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.Code
	}
	return out
}

// recordPaths are the paths of a client's insurance, contacts and consents,
// and of the payer directory.
func recordPaths() obj {
	client := pathParam("id", "The client's id.")
	policy := pathParam("policyID", "The policy's id.")
	payer := pathParam("id", "The payer's id.")
	versioned := func(name, what string) obj {
		return jsonBody(obj{"allOf": []obj{ref(name), {"type": "object", "required": []string{"version"}, "properties": obj{
			"version": obj{"type": "integer", "format": "int64", "description": "The " + what + "'s version as read."}}}}})
	}
	removed := op("Take a contact off a client's record (kept for history)", []obj{client, pathParam("contactID", "The contact's id.")},
		nil, "204", nil, "404")
	removed["responses"].(obj)["204"] = obj{"description": "Removed."}
	return obj{
		"/clients/{id}/policies": obj{
			"get": op("A client's insurance policies, active first by rank, with their prior authorisations (the read is audited; clinicians: their caseload)",
				[]obj{client}, nil, "200", listOf("Policy")),
			"post": op("Add a policy to a client (front desk, billers, administrators). Only one active policy may hold each rank",
				[]obj{client}, jsonBody(ref("PolicyInput")), "201", ref("Policy"), "404", "422"),
		},
		"/clients/{id}/policies/{policyID}": obj{
			"put": op("Replace a client's policy. Send the version you read: 409 if someone changed it since, or it is not this client's",
				[]obj{client, policy}, versioned("PolicyInput", "policy"), "200", ref("Policy"), "404", "409", "422"),
		},
		"/clients/{id}/policies/{policyID}/authorizations": obj{
			"post": op("Record a payer's prior authorisation on a client's policy (front desk, billers, administrators)",
				[]obj{client, policy}, jsonBody(ref("AuthorizationInput")), "201", ref("Authorization"), "404", "422"),
		},
		"/clients/{id}/contacts": obj{
			"get": op("A client's contacts: emergency contacts, guardians, representatives, guarantor (the read is audited)",
				[]obj{client}, nil, "200", listOf("Contact")),
			"post": op("Add a contact to a client's record", []obj{client}, jsonBody(ref("ContactInput")), "201", ref("Contact"), "404", "422"),
		},
		"/clients/{id}/contacts/{contactID}": obj{"delete": removed},
		"/clients/{id}/consents": obj{
			"get":  op("A client's consents and releases, newest first (the read is audited)", []obj{client}, nil, "200", listOf("Consent")),
			"post": op("Record a signed consent", []obj{client}, jsonBody(ref("ConsentInput")), "201", ref("Consent"), "404", "422"),
		},
		"/clients/{id}/consents/{consentID}/revoke": obj{
			"post": op("Record that the client revoked a consent; 404 if it is not theirs or was revoked already",
				[]obj{client, pathParam("consentID", "The consent's id.")}, jsonBody(obj{"type": "object", "required": []string{"revoked_date"},
					"properties": obj{"revoked_date": obj{"type": "string", "format": "date", "description": "Not in the future."}}}),
				"200", ref("Consent"), "404", "422"),
		},
		"/payers": obj{
			"get":  op("The payer directory, by id", pageParams, nil, "200", listOf("Payer"), "422"),
			"post": op("Add a payer (billers, administrators)", nil, jsonBody(ref("PayerInput")), "201", ref("Payer"), "422"),
		},
		"/payers/{id}": obj{
			"get": op("One payer", []obj{payer}, nil, "200", ref("Payer"), "404"),
			"put": op("Replace a payer (billers, administrators). Send the version you read: 409 if someone changed it since",
				[]obj{payer}, versioned("PayerInput", "payer"), "200", ref("Payer"), "404", "409", "422"),
		},
	}
}

// recordSchemas are the schemas recordPaths use.
func recordSchemas() obj {
	str := obj{"type": "string"}
	integer := obj{"type": "integer", "format": "int64"}
	date := obj{"type": "string", "format": "date"}
	boolean := obj{"type": "boolean"}
	cents := func(desc string) obj { return obj{"type": "integer", "format": "int64", "description": desc} }
	optionalDate := obj{"type": "string", "format": "date", "description": "Empty for none."}
	with := func(base, extra obj) obj {
		o := obj{}
		for k, v := range base {
			o[k] = v
		}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	payer := obj{
		"name": str, "electronic_id": obj{"type": "string", "description": "The clearinghouse payer id: 2 to 10 letters or digits."},
		"claim_filing_indicator": obj{"type": "string", "enum": codes(clients.ClaimFilingIndicators), "description": "X12 claim filing indicator; default CI."},
		"address":                ref("Address"), "phone": str,
	}
	policy := obj{
		"payer_id":         integer,
		"rank":             obj{"type": "integer", "enum": []int{clients.Primary, clients.Secondary, clients.Tertiary}, "description": "1 primary, 2 secondary, 3 tertiary."},
		"relationship":     obj{"type": "string", "enum": clients.Relationships, "description": "The subscriber's relationship to the client; default self."},
		"subscriber_first": str, "subscriber_last": str,
		"subscriber_birth": obj{"type": "string", "format": "date", "description": "Required unless relationship is self."},
		"subscriber_sex":   str, "subscriber_address": str,
		"member_id":    obj{"type": "string", "description": "As printed on the card; spaces are dropped and letters upper-cased."},
		"group_number": str, "plan_name": str, "effective_date": date, "end_date": optionalDate,
		"copay_cents":      cents("Copay in cents, 0 to 100000."),
		"coinsurance_bp":   cents("Coinsurance in basis points: 2000 is 20 %."),
		"deductible_cents": cents("Deductible in cents."),
	}
	authorization := obj{
		"number": str, "visits_authorized": obj{"type": "integer", "minimum": 1, "maximum": 999}, "visits_used": obj{"type": "integer", "minimum": 0},
		"start_date": date, "end_date": date, "service_codes": obj{"type": "array", "items": obj{"type": "string", "pattern": "^[0-9]{4}[0-9A-Z]$"}},
	}
	contact := obj{
		"kind": obj{"type": "string", "enum": codes(clients.ContactKinds)}, "name": str, "relationship": str,
		"phone": str, "email": str, "address": str, "birth_date": optionalDate,
		"legal_document": obj{"type": "string", "description": "The document that gives a guardian or representative authority."},
	}
	consent := obj{
		"kind": obj{"type": "string", "enum": codes(clients.ConsentKinds)}, "signed_date": date,
		"expires_date": optionalDate, "recipient": obj{"type": "string", "description": "Required for a release."},
		"purpose": obj{"type": "string", "description": "Required for a release."}, "scope": obj{"type": "string", "description": "Required for a release."},
		"part2": obj{"type": "boolean", "description": "Covered by 42 CFR Part 2; always true for kind part2."},
	}
	return obj{
		"Payer": obj{"type": "object", "properties": with(payer, obj{"id": integer, "active": boolean, "version": integer})},
		"PayerInput": obj{"type": "object", "required": []string{"name"}, "description": "A payer as sent; active defaults to true.",
			"properties": with(payer, obj{"active": boolean})},
		"Policy": obj{"type": "object", "description": "A client's insurance policy. The subscriber fields are empty when the client is the subscriber.",
			"properties": with(policy, obj{"id": integer, "client_id": integer, "payer_name": str, "active": boolean, "version": integer,
				"authorizations": obj{"type": "array", "items": ref("Authorization")}})},
		"PolicyInput": obj{"type": "object", "required": []string{"payer_id", "rank", "member_id", "effective_date"},
			"description": "A policy as sent. Omitted fields are empty (PUT replaces the policy); active defaults to true. " +
				"Field problems are named as the fields, except subscriber_name for either name.",
			"properties": with(policy, obj{"active": boolean})},
		"Authorization": obj{"type": "object", "properties": with(authorization, obj{"id": integer, "policy_id": integer,
			"warning": obj{"type": "string", "description": "What needs attention today (expired, expiring, few visits left); empty when nothing does."}})},
		"AuthorizationInput": obj{"type": "object", "required": []string{"number", "visits_authorized", "start_date", "end_date"},
			"description": "Field problems with the dates are named dates.", "properties": authorization},
		"Contact":      obj{"type": "object", "properties": with(contact, obj{"id": integer})},
		"ContactInput": obj{"type": "object", "required": []string{"kind", "name"}, "description": "At least one of phone, email and address.", "properties": contact},
		"Consent": obj{"type": "object", "properties": with(consent, obj{"id": integer, "revoked_date": optionalDate,
			"recorded_by": obj{"type": "integer", "format": "int64", "description": "The user who recorded it; 0 when MentalSpace did."},
			"state":       obj{"type": "string", "enum": []string{"active", "expired", "revoked"}, "description": "Today, in the practice's time zone."}})},
		"ConsentInput": obj{"type": "object", "required": []string{"kind", "signed_date"}, "properties": consent},
	}
}
