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
