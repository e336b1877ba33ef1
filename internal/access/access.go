// Package access is MentalSpace's one permission policy: which role may do
// what. Services ask it before every read or change; templates may use it to
// hide links, but never as the only check. It has no storage of its own, so
// both the audit log and the identity service can depend on it.
package access

import (
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
)

// rolePermissions is the policy's table: role → permissions.
var rolePermissions = map[Role][]Permission{
	RoleAdmin: {PermSelf, PermUsersRead, PermUsersManage, PermSettingsRead, PermSettingsManage,
		PermAuditRead, PermAuditExport},
	RoleClinician:  {PermSelf, PermSettingsRead},
	RoleAssociate:  {PermSelf, PermSettingsRead},
	RoleSupervisor: {PermSelf, PermSettingsRead, PermUsersRead},
	RoleFrontDesk:  {PermSelf, PermSettingsRead},
	RoleBiller:     {PermSelf, PermSettingsRead},
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
}

// ClientRule decides per-client access for a role that holds the permission
// in general (for example, a clinician only for clients on their caseload).
// Later issues provide it; without one, holding the permission is enough.
type ClientRule func(a Actor, r Role, p Permission, clientID int64) bool

// Policy decides. The zero Policy applies the role table alone.
type Policy struct {
	ClientRule ClientRule
}

// Decide answers whether a may do p on t. The system actor may do anything.
func (pol Policy) Decide(a Actor, p Permission, t Target) Decision {
	if a.System {
		return Decision{Allowed: true}
	}
	if a.UserID == 0 {
		return Decision{}
	}
	for _, r := range Roles { // fixed order: the most privileged role is reported first
		if !a.Has(r) || !slices.Contains(rolePermissions[r], p) {
			continue
		}
		if t.ClientID != 0 && pol.ClientRule != nil && !pol.ClientRule(a, r, p, t.ClientID) {
			continue
		}
		return Decision{Allowed: true, Role: r}
	}
	return Decision{}
}

// Can is Decide without a target.
func (pol Policy) Can(a Actor, p Permission) bool { return pol.Decide(a, p, Target{}).Allowed }
