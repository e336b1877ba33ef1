package access

import (
	"context"
	"testing"
)

func TestDecide(t *testing.T) {
	admin := Actor{UserID: 1, Roles: []Role{RoleClinician, RoleAdmin}}
	clin := Actor{UserID: 2, Roles: []Role{RoleClinician}}
	tests := []struct {
		name     string
		actor    Actor
		perm     Permission
		target   Target
		rule     ClientRule
		want     bool
		wantRole Role
	}{
		{"AdminManagesUsers", admin, PermUsersManage, Target{}, nil, true, RoleAdmin},
		{"ClinicianCannotManageUsers", clin, PermUsersManage, Target{}, nil, false, ""},
		{"ClinicianSelf", clin, PermSelf, Target{}, nil, true, RoleClinician},
		{"AnonymousNothing", Actor{}, PermSelf, Target{}, nil, false, ""},
		{"SystemEverything", Actor{System: true}, PermAuditExport, Target{}, nil, true, ""},
		{"ClientRuleRefuses", clin, PermSelf, Target{ClientID: 9}, func(context.Context, Actor, Role, Permission, int64) (Grant, error) { return Refused, nil }, false, ""},
		{"ClientRuleAllows", clin, PermSelf, Target{ClientID: 9}, func(context.Context, Actor, Role, Permission, int64) (Grant, error) { return Granted, nil }, true, RoleClinician},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Policy{ClientRule: tt.rule}.Decide(context.Background(), tt.actor, tt.perm, tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if got.Allowed != tt.want || got.Role != tt.wantRole {
				t.Errorf("Decide = %+v, want allowed=%v role=%q", got, tt.want, tt.wantRole)
			}
		})
	}
}

func TestParseRoles(t *testing.T) {
	got, ok := ParseRoles("admin, clinician,admin")
	if !ok || len(got) != 2 || got[0] != RoleAdmin || got[1] != RoleClinician {
		t.Errorf("ParseRoles = %v, %v", got, ok)
	}
	if _, ok := ParseRoles("admin,owner"); ok {
		t.Error("ParseRoles accepted an unknown role")
	}
	if _, ok := ParseRoles(""); ok {
		t.Error("ParseRoles accepted no role")
	}
}
