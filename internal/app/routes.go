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
		{"POST", "/staff/{id}/supervision", Staff, access.PermUsersManage, h.SaveSupervision},
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
		// Which reminders (email, texts) the client takes; saving re-plans
		// the reminders of their appointments ahead.
		{"POST", "/clients/{id}/reminder-preferences", Staff, access.PermClientsWrite, h.SaveReminderPreferences},
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

		// Scheduling setup, waitlist and calendar feeds. Availability is
		// schedule.write at the gate: the service lets a clinician change
		// only their own, and schedule.manage anyone's.
		{"GET", "/schedule/setup", Staff, access.PermScheduleManage, h.ShowScheduleSetup},
		{"GET", "/schedule/setup/types/{id}", Staff, access.PermScheduleManage, h.EditAppointmentType},
		{"POST", "/schedule/setup/types", Staff, access.PermScheduleManage, h.SaveAppointmentType},
		{"POST", "/schedule/setup/types/{id}", Staff, access.PermScheduleManage, h.SaveAppointmentType},
		{"POST", "/schedule/setup/rooms", Staff, access.PermScheduleManage, h.SaveScheduleRoom},
		{"POST", "/schedule/setup/rooms/{id}", Staff, access.PermScheduleManage, h.SaveScheduleRoom},
		{"POST", "/schedule/setup/policy", Staff, access.PermScheduleManage, h.SaveSchedulingPolicy},
		{"GET", "/schedule/availability/{id}", Staff, access.PermScheduleWrite, h.ShowAvailability},
		{"POST", "/schedule/availability/{id}", Staff, access.PermScheduleWrite, h.SaveWeeklyTemplate},
		{"POST", "/schedule/availability/{id}/exceptions", Staff, access.PermScheduleWrite, h.AddAvailabilityException},
		{"POST", "/schedule/availability/{id}/exceptions/{exception}/remove", Staff, access.PermScheduleWrite, h.RemoveAvailabilityException},
		{"GET", "/waitlist", Staff, access.PermScheduleWrite, h.ShowWaitlist},
		{"POST", "/waitlist", Staff, access.PermScheduleWrite, h.AddWaitlistEntry},
		{"POST", "/waitlist/{id}/status", Staff, access.PermScheduleWrite, h.SetWaitlistStatus},
		{"POST", "/account/feeds", Staff, access.PermSelf, h.CreateCalendarFeed},
		{"POST", "/account/feeds/{id}/revoke", Staff, access.PermSelf, h.RevokeCalendarFeed},
		// A calendar app fetches with no session: the secret token in the
		// path is the credential ({token} is "<token>.ics"; the handler
		// answers 404 to anything else).
		{"GET", "/feeds/{token}", Public, "", h.ServeCalendarFeed},

		// Reminder links (public, signed). The token in the path is the
		// credential: one client's view of one appointment until it starts.
		// GET only shows (mail scanners prefetch links); the buttons POST.
		{"GET", "/r/{token}", Public, "", h.ShowReminderLink},
		{"POST", "/r/{token}/confirm", Public, "", h.ConfirmByLink},
		{"POST", "/r/{token}/cancel", Public, "", h.CancelByLink},

		// Calendar and appointments (HTML). The service shows clients a user
		// may not see as "Busy" and keeps clinicians to their own calendar;
		// the confirmation page of a cancellation or no-show previews its fee.
		{"GET", "/calendar", Staff, access.PermScheduleRead, h.ShowCalendar},
		{"GET", "/today", Staff, access.PermScheduleRead, h.ShowToday},
		{"GET", "/appointments/new", Staff, access.PermScheduleWrite, h.NewAppointment},
		{"POST", "/appointments", Staff, access.PermScheduleWrite, h.CreateAppointment},
		{"GET", "/appointments/{id}", Staff, access.PermScheduleRead, h.ShowAppointment},
		{"GET", "/appointments/{id}/status", Staff, access.PermScheduleWrite, h.ShowStatusChange},
		{"POST", "/appointments/{id}/status", Staff, access.PermScheduleWrite, h.ChangeStatus},
		{"POST", "/appointments/{id}/reschedule", Staff, access.PermScheduleWrite, h.RescheduleAppointment},
		{"POST", "/appointments/{id}/move", Staff, access.PermScheduleWrite, h.MoveAppointment},
		{"POST", "/appointments/{id}/attendance", Staff, access.PermScheduleWrite, h.SetAttendance},
		{"POST", "/appointments/{id}/attendees", Staff, access.PermScheduleWrite, h.AddAttendee},
		{"POST", "/appointments/{id}/offers", Staff, access.PermScheduleWrite, h.OfferSlot},

		// Note export: a signed note as a PDF for reading or printing
		// (clinical readers; the service refuses drafts and audits each
		// export). A path wildcard cannot end in ".pdf", hence /pdf.
		{"GET", "/notes/{id}/pdf", Staff, access.PermClinicalRead, h.ExportNotePDF},

		// Clinical documentation (HTML). Notes, diagnoses, medications, risk
		// and safety plans: the services check the caseload, authorship and
		// supervision again. Billers hold diagnoses.read: diagnoses and the
		// service details of notes, never their text. Psychotherapy notes need
		// clinical.write and authorship; nobody else reads them.
		{"GET", "/icd10", Staff, access.PermDiagnosesRead, h.SearchICD10},
		{"GET", "/clients/{id}/diagnoses/new", Staff, access.PermClinicalWrite, h.NewDiagnosis},
		{"POST", "/clients/{id}/diagnoses", Staff, access.PermClinicalWrite, h.AddDiagnosis},
		{"GET", "/clients/{id}/diagnoses/{dx}", Staff, access.PermClinicalWrite, h.EditDiagnosis},
		{"POST", "/clients/{id}/diagnoses/{dx}", Staff, access.PermClinicalWrite, h.UpdateDiagnosis},
		{"GET", "/clients/{id}/medications/new", Staff, access.PermClinicalWrite, h.NewMedication},
		{"POST", "/clients/{id}/medications", Staff, access.PermClinicalWrite, h.SaveMedication},
		{"GET", "/clients/{id}/medications/{med}", Staff, access.PermClinicalWrite, h.EditMedication},
		{"POST", "/clients/{id}/medications/{med}", Staff, access.PermClinicalWrite, h.SaveMedication},
		{"GET", "/clients/{id}/risk", Staff, access.PermClinicalWrite, h.ShowRiskForm},
		{"POST", "/clients/{id}/risk", Staff, access.PermClinicalWrite, h.AssessRisk},
		{"GET", "/clients/{id}/safety-plan", Staff, access.PermClinicalRead, h.ShowSafetyPlan},
		{"POST", "/clients/{id}/safety-plan", Staff, access.PermClinicalWrite, h.SaveSafetyPlan},
		{"GET", "/clients/{id}/psychotherapy-notes", Staff, access.PermClinicalWrite, h.ListPsychotherapyNotes},
		{"POST", "/clients/{id}/psychotherapy-notes", Staff, access.PermClinicalWrite, h.SavePsychotherapyNote},
		{"GET", "/notes/new", Staff, access.PermClinicalWrite, h.NewNote},
		{"POST", "/notes", Staff, access.PermClinicalWrite, h.CreateNote},
		{"GET", "/notes/{id}", Staff, access.PermDiagnosesRead, h.ShowNote},
		{"GET", "/notes/{id}/edit", Staff, access.PermClinicalWrite, h.EditNote},
		// Saving a draft answers JSON to the editor's autosave (notes.js).
		{"POST", "/notes/{id}", Staff, access.PermClinicalWrite, h.SaveNote},
		{"GET", "/notes/{id}/sign", Staff, access.PermClinicalWrite, h.ShowSignNote},
		{"POST", "/notes/{id}/sign", Staff, access.PermClinicalWrite, h.SignNote},
		{"GET", "/notes/{id}/verify", Staff, access.PermClinicalRead, h.VerifyNote},
		{"POST", "/notes/{id}/addenda", Staff, access.PermClinicalWrite, h.AddAddendum},
		{"POST", "/notes/{id}/cosign", Staff, access.PermNotesCosign, h.CosignNote},
		{"POST", "/notes/{id}/return", Staff, access.PermNotesCosign, h.ReturnNote},
		{"POST", "/notes/{id}/unlock", Staff, access.PermNotesUnlock, h.UnlockNote},
		{"GET", "/documentation", Staff, access.PermDiagnosesRead, h.ShowDocumentation},
		{"GET", "/review", Staff, access.PermNotesCosign, h.ShowReview},
		{"GET", "/settings/documentation", Staff, access.PermSettingsManage, h.ShowDocumentationPolicy},
		{"POST", "/settings/documentation", Staff, access.PermSettingsManage, h.SaveDocumentationPolicy},
		{"GET", "/settings/templates", Staff, access.PermSettingsManage, h.ShowNoteTemplates},
		{"POST", "/settings/templates", Staff, access.PermSettingsManage, h.SaveNoteTemplate},

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
		// Scheduling: the service checks the caseload for each client, keeps
		// clinicians and associates to their own calendar, and lets them
		// edit their own availability (anyone's needs schedule.manage).
		{"GET", "/api/v1/appointment-types", Token, access.PermScheduleRead, api.ListAppointmentTypes},
		{"POST", "/api/v1/appointment-types", Token, access.PermScheduleManage, api.CreateAppointmentType},
		{"PUT", "/api/v1/appointment-types/{id}", Token, access.PermScheduleManage, api.UpdateAppointmentType},
		{"GET", "/api/v1/rooms", Token, access.PermScheduleRead, api.ListRooms},
		{"GET", "/api/v1/clinicians/{id}/availability", Token, access.PermScheduleRead, api.GetAvailability},
		{"PUT", "/api/v1/clinicians/{id}/availability", Token, access.PermScheduleWrite, api.SetAvailability},
		{"POST", "/api/v1/clinicians/{id}/availability/exceptions", Token, access.PermScheduleWrite, api.AddException},
		{"GET", "/api/v1/appointments", Token, access.PermScheduleRead, api.ListAppointments},
		{"POST", "/api/v1/appointments", Token, access.PermScheduleWrite, api.BookAppointment},
		{"GET", "/api/v1/appointments/{id}", Token, access.PermScheduleRead, api.GetAppointment},
		{"POST", "/api/v1/appointments/{id}/move", Token, access.PermScheduleWrite, api.MoveAppointment},
		{"POST", "/api/v1/appointments/{id}/status", Token, access.PermScheduleWrite, api.SetAppointmentStatus},
		{"POST", "/api/v1/appointments/{id}/reschedule", Token, access.PermScheduleWrite, api.RescheduleAppointment},
		{"POST", "/api/v1/appointments/{id}/cancel", Token, access.PermScheduleWrite, api.CancelAppointment},
		{"GET", "/api/v1/waitlist", Token, access.PermScheduleRead, api.ListWaitlist},
		{"POST", "/api/v1/waitlist", Token, access.PermScheduleWrite, api.AddToWaitlist},
		{"POST", "/api/v1/waitlist/{id}/status", Token, access.PermScheduleWrite, api.SetWaitlistStatus},
		// Clinical documentation: the services apply the caseload rule to
		// each client, let only a note's author edit and sign it and only
		// the author's supervisor co-sign or return it, and give readers
		// without clinical.read (billers) a note's service details, never
		// its body. Psychotherapy notes have no route, by design.
		{"GET", "/api/v1/clients/{id}/diagnoses", Token, access.PermDiagnosesRead, api.ListDiagnoses},
		{"POST", "/api/v1/clients/{id}/diagnoses", Token, access.PermClinicalWrite, api.AddDiagnosis},
		{"PUT", "/api/v1/clients/{id}/diagnoses/{diagnosisID}", Token, access.PermClinicalWrite, api.UpdateDiagnosis},
		{"GET", "/api/v1/clients/{id}/medications", Token, access.PermClinicalRead, api.ListMedications},
		{"POST", "/api/v1/clients/{id}/medications", Token, access.PermClinicalWrite, api.AddMedication},
		{"PUT", "/api/v1/clients/{id}/medications/{medicationID}", Token, access.PermClinicalWrite, api.UpdateMedication},
		{"GET", "/api/v1/note-templates", Token, access.PermClinicalRead, api.ListNoteTemplates},
		{"GET", "/api/v1/notes", Token, access.PermDiagnosesRead, api.ListNotes},
		{"POST", "/api/v1/notes", Token, access.PermClinicalWrite, api.CreateNote},
		{"GET", "/api/v1/notes/{id}", Token, access.PermDiagnosesRead, api.GetNote},
		{"PUT", "/api/v1/notes/{id}", Token, access.PermClinicalWrite, api.SaveNote},
		{"POST", "/api/v1/notes/{id}/sign", Token, access.PermClinicalWrite, api.SignNote},
		{"POST", "/api/v1/notes/{id}/addenda", Token, access.PermClinicalWrite, api.AddNoteAddendum},
		{"POST", "/api/v1/notes/{id}/cosign", Token, access.PermNotesCosign, api.CosignNote},
		{"POST", "/api/v1/notes/{id}/return", Token, access.PermNotesCosign, api.ReturnNote},
		{"GET", "/api/v1/notes/{id}/verify", Token, access.PermClinicalRead, api.VerifyNote},
	}
}
