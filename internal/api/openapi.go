package api

import (
	"net/http"

	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/web"
	"github.com/mentalspace/mentalspace/internal/scheduling"
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
	for k, v := range schedulingPaths() {
		paths[k] = v
	}
	for k, v := range schedulingSchemas() {
		schemas[k] = v
	}
	for k, v := range notesPaths() {
		paths[k] = v
	}
	for k, v := range notesSchemas() {
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

// schedulingPaths are the calendar's paths: appointment types, rooms,
// availability, appointments and the waitlist.
func schedulingPaths() obj {
	typeID := pathParam("id", "The appointment type's id.")
	clinician := pathParam("id", "The clinician's user id.")
	appointment := pathParam("id", "The appointment's id.")
	result := func(summary, schema, status string, errs ...string) obj {
		return op(summary, []obj{appointment}, jsonBody(ref(schema)), status, ref("AppointmentResult"), errs...)
	}
	waitlistStatus := op("Mark a waitlist entry booked, removed or waiting again", []obj{pathParam("id", "The waitlist entry's id.")},
		jsonBody(ref("WaitlistStatus")), "204", nil, "404", "422")
	waitlistStatus["responses"].(obj)["204"] = obj{"description": "Changed."}
	return obj{
		"/appointment-types": obj{
			"get":  op("The appointment types, active first", nil, nil, "200", listOf("AppointmentType")),
			"post": op("Add an appointment type (administrators)", nil, jsonBody(ref("AppointmentTypeInput")), "201", ref("AppointmentType"), "422"),
		},
		"/appointment-types/{id}": obj{
			"put": op("Replace an appointment type (administrators). Send the version you read: 409 if someone changed it since",
				[]obj{typeID}, jsonBody(obj{"allOf": []obj{ref("AppointmentTypeInput"), {"type": "object", "required": []string{"version"}}}}),
				"200", ref("AppointmentType"), "409", "422"),
		},
		"/rooms": obj{"get": op("The rooms, by location and name", nil, nil, "200", listOf("Room"))},
		"/clinicians/{id}/availability": obj{
			"get": op("A clinician's weekly template and exceptions", []obj{clinician,
				query("since", "string", "RFC 3339 time: only exceptions ending after it (default: every one).")},
				nil, "200", ref("Availability"), "422"),
			"put": op("Replace a clinician's weekly template (administrators for anyone, clinicians for themselves). Windows on one day may not overlap",
				[]obj{clinician}, jsonBody(ref("WeeklyTemplate")), "200", ref("Availability"), "422"),
		},
		"/clinicians/{id}/availability/exceptions": obj{
			"post": op("Record a clinician's time off or extra hours (administrators for anyone, clinicians for themselves)",
				[]obj{clinician}, jsonBody(ref("ExceptionInput")), "201", ref("Exception"), "422"),
		},
		"/appointments": obj{
			"get": op("Appointments overlapping [from, to), by start. Without client_id the range is at most six weeks; with it, one client's "+
				"appointments in any range (the read is audited for the client). Clients the token's user may not see are hidden", []obj{
				{"name": "from", "in": "query", "required": true, "description": "RFC 3339 time.", "schema": obj{"type": "string", "format": "date-time"}},
				{"name": "to", "in": "query", "required": true, "description": "RFC 3339 time, after from.", "schema": obj{"type": "string", "format": "date-time"}},
				query("clinician_id", "integer", "Only these clinicians' appointments; repeat, or separate with commas."),
				query("room_id", "integer", "Only these rooms' appointments; repeat, or separate with commas."),
				query("location_id", "integer", "Only this location's appointments."),
				query("client_id", "integer", "Only this client's appointments."),
				query("include_cancelled", "boolean", "Also list cancelled, no-show and rescheduled appointments."),
			}, nil, "200", listOf("Appointment"), "422"),
			"post": op("Book an appointment, or with rrule a recurring series, all or nothing: 409 naming the clashes when any occurrence would "+
				"double-book the clinician, the room or (without override_reason) a client. Clinicians and associates book on their own calendar",
				nil, jsonBody(ref("NewAppointment")), "201", ref("AppointmentResult"), "404", "409", "422"),
		},
		"/appointments/{id}": obj{
			"get": op("One appointment (the read is audited for each client shown)", []obj{appointment}, nil, "200", ref("Appointment"), "404"),
		},
		"/appointments/{id}/move": obj{
			"post": result("Change an appointment's time, length, clinician or place, or with scope those of this and following or all open "+
				"occurrences of its series. Omitted fields keep their values. Send the version you read: 409 if someone changed it since, or on a clash",
				"AppointmentMove", "200", "404", "409", "422"),
		},
		"/appointments/{id}/status": obj{
			"post": result("Move an appointment through its lifecycle (confirm, check in, start, complete, cancel, no-show, or back to scheduled). "+
				"A late cancellation or a no-show records the policy's fee", "AppointmentStatus", "200", "404", "409", "422"),
		},
		"/appointments/{id}/cancel": obj{
			"post": result("Cancel an appointment, or with scope this and following or all open occurrences of its series: "+
				"the same as a status change to cancelled", "AppointmentCancel", "200", "404", "409", "422"),
		},
		"/appointments/{id}/reschedule": obj{
			"post": result("Book the appointment again at a new start (same clinician, clients, place and length) and mark the original "+
				"rescheduled; answers with the new appointment", "AppointmentReschedule", "201", "404", "409", "422"),
		},
		"/waitlist": obj{
			"get":  op("Clients waiting or offered a slot that the token's user may see, most urgent and longest waiting first", nil, nil, "200", listOf("WaitlistEntry")),
			"post": op("Put a client on the waitlist", nil, jsonBody(ref("WaitlistInput")), "201", ref("WaitlistEntry"), "404", "422"),
		},
		"/waitlist/{id}/status": obj{"post": waitlistStatus},
	}
}

// schedulingSchemas are the schemas schedulingPaths use.
func schedulingSchemas() obj {
	str := obj{"type": "string"}
	integer := obj{"type": "integer", "format": "int64"}
	boolean := obj{"type": "boolean"}
	timeT := obj{"type": "string", "format": "date-time"}
	optionalID := func(desc string) obj { return obj{"type": "integer", "format": "int64", "description": desc} }
	wall := func(desc string) obj {
		return obj{"type": "string", "pattern": "^([01][0-9]|2[0-4]):[0-5][0-9]$", "description": desc}
	}
	weekday := obj{"type": "integer", "minimum": 0, "maximum": 6, "description": "0 is Sunday."}
	kinds := make([]string, len(scheduling.Kinds))
	for i, k := range scheduling.Kinds {
		kinds[i] = string(k.Kind)
	}
	statuses := make([]string, len(scheduling.Statuses))
	for i, st := range scheduling.Statuses {
		statuses[i] = string(st)
	}
	scope := obj{"type": "string", "enum": []string{"one", "following", "all"}, "description": "For an occurrence of a series; default one."}
	version := obj{"type": "integer", "format": "int64", "description": "The appointment's version as read."}
	apType := obj{
		"name": str, "duration_minutes": obj{"type": "integer", "minimum": 5, "maximum": scheduling.MaxMinutes},
		"service_code": obj{"type": "string", "description": "CPT or HCPCS code, e.g. 90834; may be empty."},
		"color":        obj{"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}, "kind": obj{"type": "string", "enum": kinds},
		"capacity":           obj{"type": "integer", "minimum": 0, "maximum": 50, "description": "Clients per appointment; 0 takes the kind's default."},
		"telehealth_allowed": boolean, "online_bookable": boolean, "active": boolean,
	}
	window := obj{"location_id": integer, "weekday": weekday, "start": wall("Local wall-clock start, HH:MM."), "end": wall("Local wall-clock end, HH:MM; 24:00 is midnight.")}
	exception := obj{
		"location_id": optionalID("0 for any location."), "kind": obj{"type": "string", "enum": []string{"off", "extra"}},
		"reason": obj{"type": "string", "maxLength": 200},
	}
	waitlist := obj{
		"client_id": integer, "clinician_id": optionalID("0 for any clinician."),
		"days":     obj{"type": "array", "items": weekday, "description": "Weekdays that suit; default Monday to Friday."},
		"earliest": wall("Earliest local start, HH:MM."), "latest": wall("Latest local start, HH:MM (exclusive)."),
		"modality": obj{"type": "string", "enum": scheduling.Modalities}, "urgency": obj{"type": "string", "enum": scheduling.Urgencies},
		"note": obj{"type": "string", "maxLength": 500, "description": "Scheduling remarks, never clinical content."},
	}
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
	return obj{
		"AppointmentType": obj{"type": "object", "properties": with(apType, obj{"id": integer, "version": integer})},
		"AppointmentTypeInput": obj{"type": "object", "required": []string{"name", "duration_minutes", "kind"},
			"description": "An appointment type as sent; telehealth_allowed and active default to true.",
			"properties":  with(apType, obj{"version": obj{"type": "integer", "format": "int64", "description": "For PUT: the type's version as read."}})},
		"Room": obj{"type": "object", "properties": obj{"id": integer, "location_id": integer, "location_name": str, "name": str, "active": boolean}},
		"Window": obj{"type": "object", "required": []string{"location_id", "weekday", "start", "end"},
			"description": "A weekly window in the practice's time zone.", "properties": with(window, obj{"id": integer})},
		"WeeklyTemplate": obj{"type": "object", "required": []string{"windows"}, "properties": obj{"windows": obj{"type": "array", "items": ref("Window")}}},
		"Exception":      obj{"type": "object", "properties": with(exception, obj{"id": integer, "clinician_id": integer, "start": timeT, "end": timeT})},
		"ExceptionInput": obj{"type": "object", "required": []string{"kind", "start", "end"},
			"properties": with(exception, obj{"start": obj{"type": "string", "format": "date-time", "description": "RFC 3339."},
				"end": obj{"type": "string", "format": "date-time", "description": "RFC 3339, after start; at most a year later."}})},
		"Availability": obj{"type": "object", "properties": obj{"clinician_id": integer, "time_zone": obj{"type": "string", "description": "The practice's IANA time zone."},
			"windows": obj{"type": "array", "items": ref("Window")}, "exceptions": obj{"type": "array", "items": ref("Exception")}}},
		"Attendee": obj{"type": "object", "properties": obj{"client_id": integer,
			"attendance": obj{"type": "string", "enum": scheduling.Attendances},
			"name":       obj{"type": "string", "description": "Preferred (or first) and last name; empty when hidden."},
			"initials":   obj{"type": "string", "description": "Empty when hidden."},
			"hidden":     obj{"type": "boolean", "description": "The token's user may not see this client."}}},
		"Appointment": obj{"type": "object", "description": "Instants are UTC; local_start is the start in the practice's time zone.", "properties": obj{
			"id": integer, "series_id": optionalID("0 when not part of a series."), "rrule": obj{"type": "string", "description": "The series' RFC 5545 rule."},
			"clinician_id": integer, "clinician_name": str, "type_id": integer, "type_name": str, "kind": obj{"type": "string", "enum": kinds},
			"service_code": str, "color": str, "location_id": optionalID("0 for none (telehealth)."), "location_name": str,
			"room_id": optionalID("0 for none."), "room_name": str, "telehealth": boolean, "video_url": str,
			"start": timeT, "end": timeT, "local_start": obj{"type": "string", "format": "date-time", "description": "The start with the practice's UTC offset."},
			"time_zone": str, "minutes": obj{"type": "integer"}, "status": obj{"type": "string", "enum": statuses},
			"cancelled_by": obj{"type": "string", "enum": []string{"", "client", "clinician"}}, "late_cancel": boolean,
			"fee_cents":     obj{"type": "integer", "format": "int64", "description": "Late-cancel or no-show fee recorded, in cents."},
			"status_reason": str, "rescheduled_to": optionalID("The new appointment, when rescheduled."),
			"checked_in_at": obj{"type": "string", "format": "date-time", "nullable": true}, "checked_out_at": obj{"type": "string", "format": "date-time", "nullable": true},
			"capacity": obj{"type": "integer"}, "front_desk_note": str,
			"override_reason": obj{"type": "string", "description": "Why a client's overlapping appointment was booked anyway."},
			"clients":         obj{"type": "array", "items": ref("Attendee")},
			"hidden":          obj{"type": "boolean", "description": "Every client is hidden from the token's user: the slot shows as busy."},
			"version":         integer, "created_at": timeT, "updated_at": timeT,
		}},
		"AppointmentResult": obj{"type": "object", "properties": obj{"appointment": ref("Appointment"),
			"ids":       obj{"type": "array", "items": integer, "description": "Every appointment booked or changed."},
			"series_id": optionalID("The series, when one was booked or changed."),
			"warnings":  obj{"type": "array", "items": str, "description": "Outside the clinician's availability, and the like."}}},
		"NewAppointment": obj{"type": "object", "required": []string{"clinician_id", "client_ids", "type_id", "start"},
			"description": "Field problems are named as the fields; a bad rule names rrule.", "properties": obj{
				"clinician_id": integer, "client_ids": obj{"type": "array", "items": integer, "minItems": 1},
				"type_id": integer, "location_id": optionalID("Required unless telehealth."), "room_id": optionalID("A room at the location; optional."),
				"telehealth": boolean, "video_url": obj{"type": "string", "description": "An https:// link."},
				"start":           obj{"type": "string", "format": "date-time", "description": "RFC 3339; a series repeats at this wall-clock time in the practice's zone."},
				"minutes":         obj{"type": "integer", "description": "Default: the type's duration."},
				"rrule":           obj{"type": "string", "description": "RFC 5545 RRULE without DTSTART, ending by COUNT or UNTIL, e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=10."},
				"front_desk_note": obj{"type": "string", "maxLength": 1000, "description": "Scheduling remarks, never clinical content."},
				"override_reason": obj{"type": "string", "description": "Books a client's overlapping appointment anyway (never a clinician's or room's)."},
			}},
		"AppointmentMove": obj{"type": "object", "required": []string{"version"}, "description": "Omitted fields keep the appointment's values.", "properties": obj{
			"start": obj{"type": "string", "format": "date-time"}, "minutes": obj{"type": "integer"}, "clinician_id": integer,
			"location_id": integer, "room_id": optionalID("0 for none; changing the location without a room drops the room."),
			"telehealth": boolean, "video_url": str, "front_desk_note": str, "scope": scope, "version": version, "override_reason": str,
		}},
		"AppointmentStatus": obj{"type": "object", "required": []string{"to"}, "properties": obj{
			"to":           obj{"type": "string", "enum": statuses, "description": "Rescheduled is reached only through /reschedule."},
			"reason":       obj{"type": "string", "maxLength": 500, "description": "Required to cancel."},
			"cancelled_by": obj{"type": "string", "enum": []string{"client", "clinician"}, "description": "Required to cancel."},
			"version":      obj{"type": "integer", "format": "int64", "description": "The version as read: 409 if it changed since. 0 or omitted skips the check."},
			"scope":        obj{"type": "string", "enum": []string{"one", "following", "all"}, "description": "Only a cancellation reaches several occurrences."},
			"waive_fee":    boolean,
		}},
		"AppointmentCancel": obj{"type": "object", "required": []string{"reason", "cancelled_by"}, "properties": obj{
			"reason": obj{"type": "string", "maxLength": 500}, "cancelled_by": obj{"type": "string", "enum": []string{"client", "clinician"}},
			"version": obj{"type": "integer", "format": "int64", "description": "The version as read: 409 if it changed since. 0 or omitted skips the check."},
			"scope":   scope, "waive_fee": boolean,
		}},
		"AppointmentReschedule": obj{"type": "object", "required": []string{"start", "version"}, "properties": obj{
			"start": obj{"type": "string", "format": "date-time"}, "version": version, "reason": str,
		}},
		"WaitlistEntry": obj{"type": "object", "properties": with(waitlist, obj{"id": integer, "client_name": str,
			"status": obj{"type": "string", "enum": []string{"waiting", "offered", "booked", "removed"}}, "created_at": timeT})},
		"WaitlistInput": obj{"type": "object", "required": []string{"client_id"}, "properties": waitlist},
		"WaitlistStatus": obj{"type": "object", "required": []string{"status"}, "properties": obj{
			"status": obj{"type": "string", "enum": []string{"waiting", "booked", "removed"}}}},
	}
}

// notesPaths are the paths of clinical documentation: diagnoses,
// medications, note templates and notes. Psychotherapy notes have none, by
// design: they never leave their author's screen.
func notesPaths() obj {
	client := pathParam("id", "The client's id.")
	note := pathParam("id", "The note's id.")
	versioned := func(name, what string) obj {
		return jsonBody(obj{"allOf": []obj{ref(name), {"type": "object", "required": []string{"version"}, "properties": obj{
			"version": obj{"type": "integer", "format": "int64", "description": "The " + what + "'s version as read."}}}}})
	}
	return obj{
		"/clients/{id}/diagnoses": obj{
			"get": op("A client's diagnoses, active first by rank (billers too; the read is audited)", []obj{client}, nil, "200", listOf("Diagnosis")),
			"post": op("Add a billable ICD-10-CM (FY2026) code to a client's list (clinicians, associates). A category such as F33 is refused: "+
				"error.fields.code asks for the full code. 409 if the code is already active on the list",
				[]obj{client}, jsonBody(ref("NewDiagnosis")), "201", ref("Diagnosis"), "404", "409", "422"),
		},
		"/clients/{id}/diagnoses/{diagnosisID}": obj{
			"put": op("Change a diagnosis's rank, dates or status (its code never changes). Send the version you read: 409 if it changed since",
				[]obj{client, pathParam("diagnosisID", "The diagnosis's id.")}, jsonBody(ref("DiagnosisChange")), "200", ref("Diagnosis"), "404", "409", "422"),
		},
		"/clients/{id}/medications": obj{
			"get":  op("A client's medications, current first (clinical readers; the read is audited)", []obj{client}, nil, "200", listOf("Medication")),
			"post": op("Add a medication to a client's list", []obj{client}, jsonBody(ref("MedicationInput")), "201", ref("Medication"), "404", "422"),
		},
		"/clients/{id}/medications/{medicationID}": obj{
			"put": op("Replace a medication entry. Send the version you read: 409 if it changed since",
				[]obj{client, pathParam("medicationID", "The medication's id.")}, versioned("MedicationInput", "medication"), "200", ref("Medication"), "404", "409", "422"),
		},
		"/note-templates": obj{
			"get": op("The newest version of every active note template, built-in ones first", nil, nil, "200", listOf("NoteTemplate")),
		},
		"/notes": obj{
			"get": op("One client's notes, newest first, without their bodies (billers too: service details only)",
				[]obj{{"name": "client_id", "in": "query", "required": true, "description": "The client's id.", "schema": obj{"type": "integer", "format": "int64"}}},
				nil, "200", listOf("Note"), "422"),
			"post": op("Start a draft from a template. With appointment_id (the author's own appointment), the session details and the client's "+
				"active diagnoses are filled in; a group template starts one note per attendee",
				nil, jsonBody(ref("NewNote")), "201", ref("Note"), "404", "422"),
		},
		"/notes/{id}": obj{
			"get": op("One note (the read is audited). The body, return comment and addenda only for readers of clinical content; billers get "+
				"the service details with body_hidden", []obj{note}, nil, "200", ref("Note"), "404"),
			"put": op("Save the author's draft: the whole body, and the session details (omitted: kept). Send the version you read: 409 if the "+
				"note changed since (another tab or person) or is signed", []obj{note}, jsonBody(ref("DraftInput")), "200", ref("Note"), "404", "409", "422"),
		},
		"/notes/{id}/sign": obj{
			"post": op("Sign the author's draft with their password (or authenticator code). Every required field must be filled and a service "+
				"code that disagrees with the time rule explained; the note is then locked with a SHA-256 content hash. An associate's note "+
				"waits for the supervisor's co-signature", []obj{note}, jsonBody(ref("SignatureInput")), "200", ref("Note"), "404", "409", "422"),
		},
		"/notes/{id}/cosign": obj{
			"post": op("Co-sign a supervisee's signed note (their supervisor), which makes it final",
				[]obj{note}, jsonBody(ref("SignatureInput")), "200", ref("Note"), "404", "409", "422"),
		},
		"/notes/{id}/return": obj{
			"post": op("Return a supervisee's signed note to its author with comments; the author's signature is withdrawn",
				[]obj{note}, jsonBody(ref("ReturnInput")), "200", ref("Note"), "404", "409", "422"),
		},
		"/notes/{id}/addenda": obj{
			"post": op("Append a signed addendum (adds information) or amendment (corrects, with a reason) to a signed note; the original stays "+
				"as it was (the author or their supervisor)", []obj{note}, jsonBody(ref("AddendumInput")), "201", ref("Addendum"), "404", "409", "422"),
		},
		"/notes/{id}/verify": obj{
			"get": op("Recompute a signed note's content hash, and its addenda's, from what is stored now (clinical readers)",
				[]obj{note}, nil, "200", ref("NoteVerification"), "404"),
		},
	}
}

// notesSchemas are the schemas notesPaths use.
func notesSchemas() obj {
	str := obj{"type": "string"}
	integer := obj{"type": "integer", "format": "int64"}
	boolean := obj{"type": "boolean"}
	timeT := obj{"type": "string", "format": "date-time"}
	nullableTime := obj{"type": "string", "format": "date-time", "nullable": true}
	optionalDate := obj{"type": "string", "format": "date", "description": "Empty for none."}
	ids := obj{"type": "array", "items": integer}
	kinds, statuses, fieldTypes, _ := noteEnums()
	diagnosisStatus := obj{"type": "string", "enum": []string{"active", "resolved", "ruled_out"}}
	rank := obj{"type": "integer", "minimum": 1, "maximum": 12, "description": "1 is primary."}
	medication := obj{"name": str, "dose": str, "frequency": str, "prescriber": str,
		"start_date": optionalDate, "stop_date": optionalDate, "notes": obj{"type": "string", "maxLength": 1000}}
	signature := obj{
		"password": obj{"type": "string", "writeOnly": true, "description": "The signer's password; or leave empty and send code."},
		"code":     obj{"type": "string", "writeOnly": true, "description": "A current authenticator code, for users who have one."},
		"version":  obj{"type": "integer", "format": "int64", "description": "The note's version as reviewed: 409 if it changed since."},
		"attest":   obj{"type": "boolean", "description": "Must be true: the signer attests to the note."},
	}
	session := obj{
		"service_code": obj{"type": "string", "description": "CPT or HCPCS code, e.g. 90834."}, "modifiers": str,
		"place_of_service": obj{"type": "string", "description": "CMS place of service, e.g. 11, 02, 10."}, "participants": str,
		"diagnosis_ids": obj{"type": "array", "items": integer, "description": "Ids from the client's diagnosis list, in pointer order."},
		"code_reason":   obj{"type": "string", "maxLength": 500, "description": "Why the code differs from the time rule's."},
	}
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
	return obj{
		"Diagnosis": obj{"type": "object", "properties": obj{
			"id": integer, "client_id": integer, "code": obj{"type": "string", "description": "ICD-10-CM, dotted: F33.1."}, "title": str,
			"rank": rank, "onset": optionalDate, "resolved": optionalDate, "status": diagnosisStatus,
			"added_by": obj{"type": "string", "description": "Who added it; empty when MentalSpace did."}, "version": integer, "updated_at": timeT}},
		"NewDiagnosis": obj{"type": "object", "required": []string{"code", "rank"}, "properties": obj{
			"code": obj{"type": "string", "description": "A billable ICD-10-CM FY2026 code, with or without the dot (F33.1, F331)."},
			"rank": rank, "onset": obj{"type": "string", "format": "date", "description": "Not in the future; empty for unknown."},
			"resolved": optionalDate, "status": obj{"type": "string", "enum": []string{"active", "resolved", "ruled_out"}, "description": "Default active."}}},
		"DiagnosisChange": obj{"type": "object", "required": []string{"rank", "status", "version"}, "properties": obj{
			"rank": rank, "onset": optionalDate, "resolved": obj{"type": "string", "format": "date", "description": "Defaults to today when resolving."},
			"status": diagnosisStatus, "version": obj{"type": "integer", "format": "int64", "description": "The diagnosis's version as read."}}},
		"Medication":      obj{"type": "object", "properties": with(medication, obj{"id": integer, "client_id": integer, "version": integer})},
		"MedicationInput": obj{"type": "object", "required": []string{"name"}, "description": "A medication as sent; PUT replaces the entry.", "properties": medication},
		"NoteTemplateField": obj{"type": "object", "properties": obj{
			"key": str, "label": str, "type": obj{"type": "string", "enum": fieldTypes}, "required": boolean,
			"options": obj{"type": "array", "items": str}, "min": obj{"type": "integer"}, "max": obj{"type": "integer"},
			"shared": obj{"type": "boolean", "description": "A group note's narrative, common to every attendee's note."},
			"stable": obj{"type": "boolean", "description": "May be carried forward from the previous note."},
			"keys":   obj{"type": "array", "items": str, "description": "The keys this field's values take in a note's body: mse.mood, risk.level, plan.1.goal…"}}},
		"NoteTemplate": obj{"type": "object", "properties": obj{
			"id": integer, "kind": obj{"type": "string", "enum": kinds}, "kind_label": str, "name": str, "version": obj{"type": "integer"},
			"builtin": boolean, "fields": obj{"type": "array", "items": ref("NoteTemplateField")}}},
		"NoteSession": obj{"type": "object", "properties": with(session, obj{
			"start": nullableTime, "end": nullableTime, "minutes": obj{"type": "integer"},
			"suggested_code": obj{"type": "string", "description": "The time rule's code for this kind and length; empty when none applies."}})},
		"Addendum": obj{"type": "object", "properties": obj{
			"id": integer, "kind": obj{"type": "string", "enum": []string{"addendum", "amendment"}}, "text": str, "reason": str,
			"content_hash": obj{"type": "string", "description": "SHA-256 (hex) of the addendum and its signature."},
			"author_id":    integer, "signed_name": str, "signed_at": timeT}},
		"Note": obj{"type": "object", "description": "A clinical note. For readers without clinical access, and in lists, body_hidden is true, body and addenda are null and return_comment is absent.",
			"properties": obj{
				"id": integer, "client_id": integer, "kind": obj{"type": "string", "enum": kinds}, "kind_label": str,
				"template_id": integer, "template_name": str, "template_version": obj{"type": "integer"},
				"author_id": integer, "author_name": str, "appointment_id": obj{"type": "integer", "format": "int64", "description": "0 when none."},
				"group_key": obj{"type": "integer", "format": "int64", "description": "Shared by the notes of one group session; 0 otherwise."},
				"status":    obj{"type": "string", "enum": statuses},
				"body": obj{"type": "object", "nullable": true, "additionalProperties": str,
					"description": "Field values by body key (see the template's fields[].keys); null when body_hidden."},
				"body_hidden": boolean, "session": ref("NoteSession"),
				"content_hash": obj{"type": "string", "description": "SHA-256 (hex) of the signed content; empty until signed."},
				"signed_by":    integer, "signed_name": obj{"type": "string", "description": "Name and credentials as signed."}, "signed_at": nullableTime,
				"supervisor_id": obj{"type": "integer", "format": "int64", "description": "The co-signer an associate's note waits for; 0 when none is needed."},
				"cosigned_by":   integer, "cosigned_name": str, "cosigned_at": nullableTime,
				"return_comment": str, "returned_at": nullableTime,
				"addenda": obj{"type": "array", "nullable": true, "items": ref("Addendum"), "description": "Oldest first; null when body_hidden."},
				"version": integer, "created_at": timeT, "updated_at": timeT}},
		"NewNote": obj{"type": "object", "required": []string{"client_id", "template_id"}, "properties": obj{
			"client_id": integer, "template_id": integer, "appointment_id": obj{"type": "integer", "format": "int64", "description": "The session documented; 0 or omitted for none."}}},
		"NoteSessionInput": obj{"type": "object", "properties": with(session, obj{
			"start": obj{"type": "string", "format": "date-time", "description": "RFC 3339; empty for none."},
			"end":   obj{"type": "string", "format": "date-time", "description": "RFC 3339, after start; empty for none."}})},
		"DraftInput": obj{"type": "object", "required": []string{"body", "version"},
			"description": "Field problems with the session are named session.end and session.code_reason.", "properties": obj{
				"body":    obj{"type": "object", "additionalProperties": str, "description": "The whole body; keys the template lacks are dropped."},
				"session": ref("NoteSessionInput"), "version": obj{"type": "integer", "format": "int64", "description": "The note's version as read."}}},
		"SignatureInput": obj{"type": "object", "required": []string{"version", "attest"},
			"description": "A wrong password is 422 with error.fields.password; missing content is 422 with error.fields.body.", "properties": signature},
		"ReturnInput": obj{"type": "object", "required": []string{"comment", "version"}, "properties": obj{
			"comment": obj{"type": "string", "maxLength": 4000, "description": "What needs changing."}, "version": integer}},
		"AddendumInput": obj{"type": "object", "required": []string{"kind", "text"}, "properties": obj{
			"kind": obj{"type": "string", "enum": []string{"addendum", "amendment"}}, "text": obj{"type": "string", "maxLength": 20000},
			"reason":   obj{"type": "string", "description": "Required for an amendment."},
			"password": signature["password"], "code": signature["code"]}},
		"NoteVerification": obj{"type": "object", "properties": obj{
			"signed": boolean, "matches": obj{"type": "boolean", "description": "The stored content and every addendum still match their hashes."},
			"stored_hash": str, "actual_hash": str, "bad_addenda": ids}},
	}
}
