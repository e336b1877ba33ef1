package app

import (
	"net/http"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/ui"
)

// Access says who may reach a route before its handler runs. The services
// behind the handlers authorise again; this is the first gate, and the one the
// route-table tests walk.
type Access int

// The access levels.
const (
	// Public routes answer anyone: sign-in, setup, health, static files.
	Public Access = iota
	// SignedIn routes need a session at any stage (second factor, enrolment, sign-out).
	SignedIn
	// Staff routes need a fully signed-in session holding Perm.
	Staff
	// Token routes need an API bearer token whose user holds Perm.
	Token
)

// Route is one entry of the route table.
type Route struct {
	Method, Pattern string
	Access          Access
	Perm            access.Permission
	Handler         http.HandlerFunc
}

// routes lists every route of every surface, in one place.
func (a *App) routes() []Route {
	h, api := a.ui, a.api
	staticFiles := ui.Static().ServeHTTP
	return []Route{
		// Operations and assets.
		{"GET", "/healthz", Public, "", a.healthz},
		{"GET", "/readyz", Public, "", a.readyz},
		{"GET", "/metrics", Public, "", a.metrics},
		{"GET", "/static/", Public, "", staticFiles},
		{"GET", "/", Public, "", h.NotFound},

		// Setup and sign-in.
		{"GET", "/setup", Public, "", h.ShowSetup},
		{"POST", "/setup", Public, "", h.Setup},
		{"GET", "/login", Public, "", h.ShowLogin},
		{"POST", "/login", Public, "", h.Login},
		{"GET", "/login/mfa", SignedIn, "", h.ShowMFAChallenge},
		{"POST", "/login/mfa", SignedIn, "", h.CompleteMFA},
		{"POST", "/login/mfa/passkey/begin", SignedIn, "", h.BeginPasskeyLogin},
		{"POST", "/login/mfa/passkey/finish", SignedIn, "", h.FinishPasskeyLogin},
		{"GET", "/mfa/setup", SignedIn, "", h.ShowMFAEnrol},
		{"POST", "/mfa/setup", SignedIn, "", h.ConfirmMFAEnrol},
		// Adding a passkey: from My account, or instead of TOTP while
		// enrolling; the service refuses a session that owes its second factor.
		{"POST", "/mfa/passkey/register/begin", SignedIn, "", h.BeginPasskeyRegistration},
		{"POST", "/mfa/passkey/register/finish", SignedIn, "", h.FinishPasskeyRegistration},
		{"POST", "/logout", SignedIn, "", h.Logout},
		{"POST", "/session/keepalive", SignedIn, "", h.KeepAlive},

		// Staff pages.
		{"GET", "/{$}", Staff, access.PermSelf, h.Home},
		{"GET", "/account", Staff, access.PermSelf, h.ShowAccount},
		{"POST", "/account/password", Staff, access.PermSelf, h.ChangePassword},
		{"POST", "/account/recovery-codes", Staff, access.PermSelf, h.NewRecoveryCodes},
		{"POST", "/account/passkeys/{id}/remove", Staff, access.PermSelf, h.RemovePasskey},
		{"POST", "/account/sessions/revoke-all", Staff, access.PermSelf, h.RevokeAllSessions},
		{"POST", "/account/sessions/{id}/revoke", Staff, access.PermSelf, h.RevokeSession},
		{"POST", "/account/tokens", Staff, access.PermSelf, h.CreateToken},
		{"POST", "/account/tokens/{id}/revoke", Staff, access.PermSelf, h.RevokeToken},
		{"GET", "/staff", Staff, access.PermUsersRead, h.ListStaff},
		{"GET", "/staff/new", Staff, access.PermUsersManage, h.NewStaff},
		{"POST", "/staff", Staff, access.PermUsersManage, h.CreateStaff},
		{"GET", "/staff/{id}", Staff, access.PermUsersManage, h.EditStaff},
		{"POST", "/staff/{id}", Staff, access.PermUsersManage, h.UpdateStaff},
		{"POST", "/staff/{id}/status", Staff, access.PermUsersManage, h.SetStaffStatus},
		{"POST", "/staff/{id}/reset-mfa", Staff, access.PermUsersManage, h.ResetStaffMFA},
		{"GET", "/settings", Staff, access.PermSettingsManage, h.ShowSettings},
		{"POST", "/settings", Staff, access.PermSettingsManage, h.SaveSettings},
		{"POST", "/settings/locations", Staff, access.PermSettingsManage, h.AddLocation},
		{"POST", "/settings/locations/{id}/active", Staff, access.PermSettingsManage, h.SetLocationActive},
		{"GET", "/audit", Staff, access.PermAuditRead, h.ShowAudit},
		{"GET", "/audit.csv", Staff, access.PermAuditExport, h.ExportAudit},

		// Clients (HTML).
		// Searches are POSTs so that names and birth dates never reach URLs
		// or logs; the service applies the caseload rule to each client.
		{"GET", "/clients", Staff, access.PermClientsRead, h.ListClients},
		{"POST", "/clients/search", Staff, access.PermClientsRead, h.SearchClients},
		{"POST", "/clients/live-search", Staff, access.PermClientsRead, h.LiveSearch},
		{"GET", "/clients/new", Staff, access.PermClientsWrite, h.NewClient},
		{"POST", "/clients", Staff, access.PermClientsWrite, h.CreateClient},
		{"GET", "/clients/{id}", Staff, access.PermClientsRead, h.ShowClient},
		{"GET", "/clients/{id}/edit", Staff, access.PermClientsWrite, h.EditClient},
		{"POST", "/clients/{id}", Staff, access.PermClientsWrite, h.UpdateClient},
		{"POST", "/clients/{id}/break-glass", Staff, access.PermClientsBreakGlass, h.BreakGlass},
		// The record's related data. Insurance needs insurance.write (front
		// desk, billers, administrators); people, consents, alerts and links
		// clients.write; merging clients.merge (administrators).
		{"GET", "/clients/{id}/policies/new", Staff, access.PermInsuranceWrite, h.NewPolicy},
		{"POST", "/clients/{id}/policies", Staff, access.PermInsuranceWrite, h.SavePolicy},
		{"GET", "/clients/{id}/policies/{policy}/edit", Staff, access.PermInsuranceWrite, h.EditPolicy},
		{"POST", "/clients/{id}/policies/{policy}", Staff, access.PermInsuranceWrite, h.SavePolicy},
		{"GET", "/clients/{id}/policies/{policy}/authorizations/new", Staff, access.PermInsuranceWrite, h.NewAuthorization},
		{"POST", "/clients/{id}/policies/{policy}/authorizations", Staff, access.PermInsuranceWrite, h.CreateAuthorization},
		{"GET", "/clients/{id}/policies/{policy}/authorizations/{auth}", Staff, access.PermInsuranceWrite, h.EditAuthorization},
		{"POST", "/clients/{id}/policies/{policy}/authorizations/{auth}", Staff, access.PermInsuranceWrite, h.UpdateAuthorization},
		{"GET", "/clients/{id}/contacts/new", Staff, access.PermClientsWrite, h.NewContact},
		{"POST", "/clients/{id}/contacts", Staff, access.PermClientsWrite, h.CreateContact},
		{"POST", "/clients/{id}/contacts/{contact}/remove", Staff, access.PermClientsWrite, h.RemoveContact},
		{"GET", "/clients/{id}/relations/new", Staff, access.PermClientsWrite, h.NewRelation},
		{"POST", "/clients/{id}/relations", Staff, access.PermClientsWrite, h.CreateRelation},
		{"POST", "/clients/{id}/relations/{related}/remove", Staff, access.PermClientsWrite, h.RemoveRelation},
		{"GET", "/clients/{id}/consents/new", Staff, access.PermClientsWrite, h.NewConsent},
		{"POST", "/clients/{id}/consents", Staff, access.PermClientsWrite, h.CreateConsent},
		{"GET", "/clients/{id}/consents/{consent}/revoke", Staff, access.PermClientsWrite, h.ShowRevokeConsent},
		{"POST", "/clients/{id}/consents/{consent}/revoke", Staff, access.PermClientsWrite, h.RevokeConsent},
		{"GET", "/clients/{id}/alerts/new", Staff, access.PermClientsWrite, h.NewAlert},
		{"POST", "/clients/{id}/alerts", Staff, access.PermClientsWrite, h.CreateAlert},
		{"POST", "/clients/{id}/alerts/{alert}/resolve", Staff, access.PermClientsWrite, h.ResolveAlert},
		{"GET", "/clients/{id}/merge", Staff, access.PermClientsMerge, h.ShowMerge},
		{"POST", "/clients/{id}/merge", Staff, access.PermClientsMerge, h.FindDuplicate},
		{"POST", "/clients/{id}/merge/confirm", Staff, access.PermClientsMerge, h.MergeClients},
		// The payer directory: listed for everyone who reads insurance, kept
		// by administrators and billers.
		{"GET", "/payers", Staff, access.PermInsuranceRead, h.ListPayers},
		{"GET", "/payers/new", Staff, access.PermPayersManage, h.NewPayer},
		{"POST", "/payers", Staff, access.PermPayersManage, h.SavePayer},
		{"GET", "/payers/{id}", Staff, access.PermPayersManage, h.EditPayer},
		{"POST", "/payers/{id}", Staff, access.PermPayersManage, h.SavePayer},

		// JSON API.
		{"GET", "/api/v1/openapi.json", Public, "", api.OpenAPI},
		{"GET", "/api/v1/me", Token, access.PermSelf, api.Me},
		{"GET", "/api/v1/users", Token, access.PermUsersRead, api.ListUsers},
		{"POST", "/api/v1/users", Token, access.PermUsersManage, api.CreateUser},
		{"GET", "/api/v1/users/{id}", Token, access.PermSelf, api.GetUser},
		{"GET", "/api/v1/audit", Token, access.PermAuditRead, api.ListAudit},
		// Clients: the service applies the caseload rule to each client.
		{"GET", "/api/v1/clients", Token, access.PermClientsRead, api.ListClients},
		{"POST", "/api/v1/clients", Token, access.PermClientsWrite, api.CreateClient},
		{"GET", "/api/v1/clients/{id}", Token, access.PermClientsRead, api.GetClient},
		{"PUT", "/api/v1/clients/{id}", Token, access.PermClientsWrite, api.UpdateClient},
		// A client's insurance, contacts and consents (caseload rule again);
		// the payer directory holds no client data.
		{"GET", "/api/v1/clients/{id}/policies", Token, access.PermInsuranceRead, api.ListPolicies},
		{"POST", "/api/v1/clients/{id}/policies", Token, access.PermInsuranceWrite, api.CreatePolicy},
		{"PUT", "/api/v1/clients/{id}/policies/{policyID}", Token, access.PermInsuranceWrite, api.UpdatePolicy},
		{"POST", "/api/v1/clients/{id}/policies/{policyID}/authorizations", Token, access.PermInsuranceWrite, api.AddAuthorization},
		{"GET", "/api/v1/clients/{id}/contacts", Token, access.PermClientsRead, api.ListContacts},
		{"POST", "/api/v1/clients/{id}/contacts", Token, access.PermClientsWrite, api.AddContact},
		{"DELETE", "/api/v1/clients/{id}/contacts/{contactID}", Token, access.PermClientsWrite, api.RemoveContact},
		{"GET", "/api/v1/clients/{id}/consents", Token, access.PermClientsRead, api.ListConsents},
		{"POST", "/api/v1/clients/{id}/consents", Token, access.PermClientsWrite, api.AddConsent},
		{"POST", "/api/v1/clients/{id}/consents/{consentID}/revoke", Token, access.PermClientsWrite, api.RevokeConsent},
		{"GET", "/api/v1/payers", Token, access.PermInsuranceRead, api.ListPayers},
		{"POST", "/api/v1/payers", Token, access.PermPayersManage, api.CreatePayer},
		{"GET", "/api/v1/payers/{id}", Token, access.PermInsuranceRead, api.GetPayer},
		{"PUT", "/api/v1/payers/{id}", Token, access.PermPayersManage, api.UpdatePayer},
	}
}
