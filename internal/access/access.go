// Package access is MentalSpace's one permission policy: which role may do
// what. Services ask it before every read or change; templates may use it to
// hide links, but never as the only check. It has no storage of its own, so
// both the audit log and the identity service can depend on it.
package access

import (
	"context"
	"slices"
	"strings"
)

// Role is a staff role id, as stored and as typed on the command line.
type Role string

// The roles. A user may hold several.
const (
	RoleAdmin      Role = "admin"
	RoleClinician  Role = "clinician"
	RoleAssociate  Role = "associate"
	RoleSupervisor Role = "supervisor"
	RoleFrontDesk  Role = "frontdesk"
	RoleBiller     Role = "biller"
)

// Roles lists every role in display order.
var Roles = []Role{RoleAdmin, RoleClinician, RoleAssociate, RoleSupervisor, RoleFrontDesk, RoleBiller}

// Label is the role's name for people.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "Administrator"
	case RoleClinician:
		return "Clinician"
	case RoleAssociate:
		return "Associate (pre-licensed)"
	case RoleSupervisor:
		return "Supervisor"
	case RoleFrontDesk:
		return "Front desk"
	case RoleBiller:
		return "Biller"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// ParseRoles parses a comma-separated list of role ids.
func ParseRoles(s string) ([]Role, bool) {
	var out []Role
	for _, p := range strings.Split(s, ",") {
		r := Role(strings.TrimSpace(p))
		if r == "" {
			continue
		}
		if !r.Valid() {
			return nil, false
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, len(out) > 0
}

// Permission is something a service checks before acting.
type Permission string

// The permissions known so far. Later domains add theirs here, beside the
// roles that hold them, so the whole policy reads in one place.
const (
	// PermSelf covers a signed-in user's own account: password, MFA, sessions, tokens.
	PermSelf           Permission = "self"
	PermUsersRead      Permission = "users.read"
	PermUsersManage    Permission = "users.manage"
	PermSettingsRead   Permission = "settings.read"
	PermSettingsManage Permission = "settings.manage"
	PermAuditRead      Permission = "audit.read"
	PermAuditExport    Permission = "audit.export"

	// PermClientsRead covers a client's identity, demographics and contacts.
	PermClientsRead Permission = "clients.read"
	// PermClientsWrite covers registering clients and editing those parts.
	PermClientsWrite Permission = "clients.write"
	// PermClientsBreakGlass lets a clinician open a chart outside their
	// caseload in an emergency, with a reason, for a limited time.
	PermClientsBreakGlass Permission = "clients.break_glass"
	// PermClientsMerge merges a duplicate record into the one that stays.
	PermClientsMerge Permission = "clients.merge"
	// PermInsuranceRead and PermInsuranceWrite cover a client's insurance
	// policies and prior authorisations; PermPayersManage the payer directory.
	PermInsuranceRead  Permission = "insurance.read"
	PermInsuranceWrite Permission = "insurance.write"
	PermPayersManage   Permission = "payers.manage"

	// PermScheduleRead shows calendars; client names on them still follow
	// the caseload rule. PermScheduleWrite books, moves and changes the status
	// of appointments and keeps the waitlist. PermScheduleManage sets up
	// appointment types, rooms, policies and anyone's availability.
	PermScheduleRead   Permission = "schedule.read"
	PermScheduleWrite  Permission = "schedule.write"
	PermScheduleManage Permission = "schedule.manage"

	// PermClinicalRead covers note bodies, medications, risk assessments and
	// safety plans; PermClinicalWrite writing them. PermDiagnosesRead is the
	// part billers need too: diagnoses and the service details of notes,
	// never their text. PermNotesCosign is a supervisor's review of
	// supervisees' notes; PermNotesUnlock reopens a note locked by the
	// practice's deadline. Psychotherapy notes need PermClinicalWrite and
	// authorship: nobody else reads them.
	PermClinicalRead  Permission = "clinical.read"
	PermClinicalWrite Permission = "clinical.write"
	PermDiagnosesRead Permission = "diagnoses.read"
	PermNotesCosign   Permission = "notes.cosign"
	PermNotesUnlock   Permission = "notes.unlock"
)

// CaseloadRoles are the roles whose client permissions hold only for the
// clients on their caseload (see ClientRule); the others see every client
// their permissions cover.
var CaseloadRoles = []Role{RoleClinician, RoleAssociate, RoleSupervisor}

// rolePermissions is the policy's table: role → permissions.
var rolePermissions = map[Role][]Permission{
	RoleAdmin: {PermSelf, PermUsersRead, PermUsersManage, PermSettingsRead, PermSettingsManage,
		PermAuditRead, PermAuditExport, PermClientsRead, PermClientsWrite, PermInsuranceRead, PermInsuranceWrite, PermPayersManage, PermClientsMerge,
		PermScheduleRead, PermScheduleWrite, PermScheduleManage, PermClinicalRead, PermDiagnosesRead, PermNotesUnlock},
	RoleClinician: {PermSelf, PermSettingsRead, PermClientsRead, PermClientsWrite, PermClientsBreakGlass, PermInsuranceRead,
		PermScheduleRead, PermScheduleWrite, PermClinicalRead, PermClinicalWrite, PermDiagnosesRead},
	RoleAssociate: {PermSelf, PermSettingsRead, PermClientsRead, PermClientsWrite, PermClientsBreakGlass, PermInsuranceRead,
		PermScheduleRead, PermScheduleWrite, PermClinicalRead, PermClinicalWrite, PermDiagnosesRead},
	RoleSupervisor: {PermSelf, PermSettingsRead, PermUsersRead, PermClientsRead, PermClientsBreakGlass, PermInsuranceRead,
		PermScheduleRead, PermClinicalRead, PermDiagnosesRead, PermNotesCosign, PermNotesUnlock},
	RoleFrontDesk: {PermSelf, PermSettingsRead, PermClientsRead, PermClientsWrite, PermInsuranceRead, PermInsuranceWrite,
		PermScheduleRead, PermScheduleWrite},
	RoleBiller: {PermSelf, PermSettingsRead, PermClientsRead, PermInsuranceRead, PermInsuranceWrite, PermPayersManage,
		PermScheduleRead, PermDiagnosesRead},
}

// PermissionsOf lists what role r may do.
func PermissionsOf(r Role) []Permission { return slices.Clone(rolePermissions[r]) }

// Actor is who is acting: a signed-in user (through a session or an API
// token) or the system itself (background jobs, the command line).
type Actor struct {
	UserID    int64
	Roles     []Role
	SessionID int64
	TokenID   int64
	// MFA is true when the session passed a second factor.
	MFA       bool
	IP        string
	UserAgent string
	RequestID string
	// System marks work done by MentalSpace itself or an operator at the shell.
	System bool
}

// Has reports whether the actor holds role r.
func (a Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// Target is what an action touches. ClientID is set when client data is
// involved; per-client rules (caseload, supervisees, break-the-glass) decide on it.
type Target struct {
	ClientID int64
}

// Decision is the policy's answer, with the role that granted it (recorded in
// the audit log as the "role used").
type Decision struct {
	Allowed bool
	Role    Role
	// Emergency is set when only a break-the-glass grant allowed it.
	Emergency bool
}

// Grant is a client rule's answer.
type Grant int

// The grants.
const (
	Refused Grant = iota
	Granted
	// GrantedInEmergency: allowed through break-the-glass, flagged in the audit log.
	GrantedInEmergency
)

// ClientRule decides per-client access for a role that holds the permission
// in general (for example, a clinician only for clients on their caseload,
// or through break-the-glass). Package clients provides it; without one,
// holding the permission is enough.
type ClientRule func(ctx context.Context, a Actor, r Role, p Permission, clientID int64) (Grant, error)

// Policy decides. The zero Policy applies the role table alone.
type Policy struct {
	ClientRule ClientRule
}

// Decide answers whether a may do p on t. The system actor may do anything.
// Roles are tried in a fixed order, the most privileged first, and the first
// that grants the permission (and passes the client rule) is the role used.
func (pol Policy) Decide(ctx context.Context, a Actor, p Permission, t Target) (Decision, error) {
	if a.System {
		return Decision{Allowed: true}, nil
	}
	if a.UserID == 0 {
		return Decision{}, nil
	}
	for _, r := range Roles {
		if !a.Has(r) || !slices.Contains(rolePermissions[r], p) {
			continue
		}
		if t.ClientID != 0 && pol.ClientRule != nil {
			g, err := pol.ClientRule(ctx, a, r, p, t.ClientID)
			if err != nil {
				return Decision{}, err
			}
			if g == Refused {
				continue
			}
			return Decision{Allowed: true, Role: r, Emergency: g == GrantedInEmergency}, nil
		}
		return Decision{Allowed: true, Role: r}, nil
	}
	return Decision{}, nil
}

// Can reports whether a's roles grant p in general, before any per-client
// rule: for menus and links, never as the only check.
func (pol Policy) Can(a Actor, p Permission) bool {
	if a.System {
		return true
	}
	for _, r := range a.Roles {
		if slices.Contains(rolePermissions[r], p) {
			return true
		}
	}
	return false
}
