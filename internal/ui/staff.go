package ui

import (
	"net/http"
	"strconv"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

type staffListPage struct {
	Page
	Users     []auth.User
	CanManage bool
	NextAfter int64
}

const staffPageSize = 100

// ListStaff shows the staff accounts.
func (h *Handler) ListStaff(w http.ResponseWriter, r *http.Request) {
	a := current(r)
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	users, err := h.Auth.Users(r.Context(), a.Actor, auth.UserFilter{AfterID: after, Limit: staffPageSize})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &staffListPage{Page: h.base(w, r, "Staff"), Users: users, CanManage: h.Audit.Policy().Can(a.Actor, access.PermUsersManage)}
	if len(users) == staffPageSize {
		p.NextAfter = users[len(users)-1].ID
	}
	h.render(w, r, http.StatusOK, "staff_list", p)
}

type roleChoice struct {
	Value   access.Role
	Label   string
	Checked bool
}

type staffFormPage struct {
	Page
	Editing     *auth.User
	RoleChoices []roleChoice
	// Supervision is the table of this person's supervisors (editing only).
	Supervision      []supervisionRow
	SupervisionError string
}

func roleChoices(checked []access.Role) []roleChoice {
	out := make([]roleChoice, len(access.Roles))
	for i, r := range access.Roles {
		out[i] = roleChoice{Value: r, Label: r.Label()}
		for _, c := range checked {
			out[i].Checked = out[i].Checked || c == r
		}
	}
	return out
}

func formRoles(r *http.Request) []access.Role {
	var roles []access.Role
	for _, v := range r.PostForm["roles"] {
		roles = append(roles, access.Role(v))
	}
	return roles
}

// NewStaff shows the empty form. The route's permission guard has already
// refused anyone who may not manage users.
func (h *Handler) NewStaff(w http.ResponseWriter, r *http.Request) {
	p := &staffFormPage{Page: h.base(w, r, "Add a staff member"), RoleChoices: roleChoices([]access.Role{access.RoleClinician})}
	h.render(w, r, http.StatusOK, "staff_form", p)
}

// CreateStaff adds the account.
func (h *Handler) CreateStaff(w http.ResponseWriter, r *http.Request) {
	f := newForm(r, "name", "credentials", "npi", "email")
	prof := auth.Profile{Name: f.Values["name"], Credentials: f.Values["credentials"], NPI: f.Values["npi"], Email: f.Values["email"], Roles: formRoles(r)}
	u, err := h.Auth.CreateUser(r.Context(), current(r).Actor, prof, r.PostFormValue("password"))
	if err != nil {
		if !apperr.Is(err, apperr.CodeInvalid) {
			h.Error(w, r, err)
			return
		}
		f.fail(err, "")
		p := &staffFormPage{Page: h.base(w, r, "Add a staff member"), RoleChoices: roleChoices(prof.Roles)}
		p.Form = f
		h.render(w, r, http.StatusUnprocessableEntity, "staff_form", p)
		return
	}
	h.redirect(w, r, "/staff", u.Name+" was added.")
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound("page")
	}
	return id, nil
}

// EditStaff shows one account's form.
func (h *Handler) EditStaff(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	u, err := h.Auth.User(r.Context(), current(r).Actor, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := &staffFormPage{Page: h.base(w, r, u.Name), Editing: &u, RoleChoices: roleChoices(u.Roles)}
	p.Form = Form{Values: map[string]string{"name": u.Name, "credentials": u.Credentials, "npi": u.NPI, "email": u.Email}}
	links, err := h.Clients.Supervision(r.Context(), current(r).Actor, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	// Supervision is for those who see clients under someone's licence.
	if len(links) > 0 || u.Has(access.RoleAssociate) || u.Has(access.RoleClinician) {
		if p.Supervision, err = h.supervisionRows(r, id, links, nil); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "staff_form", p)
}

// UpdateStaff saves the account's profile and roles.
func (h *Handler) UpdateStaff(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	a := current(r)
	f := newForm(r, "name", "credentials", "npi", "email")
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	prof := auth.Profile{Name: f.Values["name"], Credentials: f.Values["credentials"], NPI: f.Values["npi"], Email: f.Values["email"], Roles: formRoles(r)}
	err = h.Auth.UpdateUser(r.Context(), a.Actor, id, prof, version)
	if err == nil {
		h.redirect(w, r, "/staff/"+strconv.FormatInt(id, 10), "Changes saved.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) && !apperr.Is(err, apperr.CodeConflict) {
		h.Error(w, r, err)
		return
	}
	// Keep what was typed; on a conflict show the current version so the
	// next save is deliberate.
	u, uerr := h.Auth.User(r.Context(), a.Actor, id)
	if uerr != nil {
		h.Error(w, r, uerr)
		return
	}
	if !apperr.Is(err, apperr.CodeConflict) {
		u.Version = version
	}
	f.fail(err, "")
	p := &staffFormPage{Page: h.base(w, r, u.Name), Editing: &u, RoleChoices: roleChoices(prof.Roles)}
	p.Form = f
	status := http.StatusUnprocessableEntity
	if apperr.Is(err, apperr.CodeConflict) {
		status = http.StatusConflict
	}
	h.render(w, r, status, "staff_form", p)
}

// SetStaffStatus disables or enables an account.
func (h *Handler) SetStaffStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	st := auth.Status(r.PostFormValue("status"))
	if err := h.Auth.SetStatus(r.Context(), current(r).Actor, id, st); err != nil {
		h.Error(w, r, err)
		return
	}
	msg := "The account is enabled."
	if st == auth.StatusDisabled {
		msg = "The account is disabled; its sessions and API tokens have ended."
	}
	h.redirect(w, r, "/staff/"+strconv.FormatInt(id, 10), msg)
}

// ResetStaffMFA removes an account's authenticator.
func (h *Handler) ResetStaffMFA(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if err := h.Auth.ResetMFA(r.Context(), current(r).Actor, id); err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, "/staff/"+strconv.FormatInt(id, 10), "Two-step sign-in was reset. They will set it up again at their next sign-in.")
}
