package ui

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// supervisionRows is how many supervisor rows the staff form offers: the
// links a person has, and room for two more.
const supervisionSpare = 2

// supervisionRow is one row of the staff form's supervision table.
type supervisionRow struct {
	N        int
	Choices  []choice // the supervisors, one selected
	Primary  bool
	StartsOn string
	EndsOn   string
	Error    string
}

// supervisionRows builds the form's rows from links, with spare empty rows.
func (h *Handler) supervisionRows(r *http.Request, superviseeID int64, links []clients.SupervisionLink, errs map[string]string) ([]supervisionRow, error) {
	users, err := h.Auth.Users(r.Context(), current(r).Actor, auth.UserFilter{Limit: 500, Status: auth.StatusActive})
	if err != nil {
		return nil, err
	}
	var supervisors []auth.User
	for _, u := range users {
		if u.ID != superviseeID && slices.Contains(u.Roles, access.RoleSupervisor) {
			supervisors = append(supervisors, u)
		}
	}
	rows := make([]supervisionRow, 0, len(links)+supervisionSpare)
	for i := range len(links) + supervisionSpare {
		row := supervisionRow{N: i + 1, Error: errs[fmt.Sprintf("supervisor_%d", i+1)]}
		var selected int64
		if i < len(links) {
			l := links[i]
			selected, row.Primary, row.StartsOn, row.EndsOn = l.SupervisorID, l.Primary, l.StartsOn, l.EndsOn
		}
		row.Choices = append(row.Choices, choice{Value: "", Label: "No supervisor", Checked: selected == 0})
		for _, u := range supervisors {
			row.Choices = append(row.Choices, choice{Value: strconv.FormatInt(u.ID, 10), Label: u.DisplayName(), Checked: u.ID == selected})
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// SaveSupervision replaces a staff member's supervision links from the
// staff form's supervision table.
func (h *Handler) SaveSupervision(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.Error(w, r, apperr.Invalid("The form could not be read.", nil))
		return
	}
	primary := r.PostFormValue("primary")
	var links []clients.SupervisionLink
	for n := 1; n <= 20; n++ {
		key := strconv.Itoa(n)
		sup, _ := strconv.ParseInt(r.PostFormValue("supervisor_"+key), 10, 64)
		if sup == 0 {
			continue
		}
		links = append(links, clients.SupervisionLink{SupervisorID: sup, Primary: primary == key,
			StartsOn: r.PostFormValue("starts_on_" + key), EndsOn: r.PostFormValue("ends_on_" + key)})
	}
	if len(links) == 1 {
		links[0].Primary = true // one supervisor is the primary one
	}
	err = h.Clients.SetSupervision(r.Context(), current(r).Actor, id, links)
	if err == nil {
		h.redirect(w, r, "/staff/"+strconv.FormatInt(id, 10), "Supervision saved.")
		return
	}
	if !apperr.Is(err, apperr.CodeInvalid) {
		h.Error(w, r, err)
		return
	}
	u, uerr := h.Auth.User(r.Context(), current(r).Actor, id)
	if uerr != nil {
		h.Error(w, r, uerr)
		return
	}
	p := &staffFormPage{Page: h.base(w, r, u.Name), Editing: &u, RoleChoices: roleChoices(u.Roles)}
	p.Form = Form{Values: map[string]string{"name": u.Name, "credentials": u.Credentials, "npi": u.NPI, "email": u.Email}, Errors: map[string]string{}}
	errs := apperr.As(err).Fields
	p.SupervisionError = apperr.As(err).Message
	if msg := errs["primary"]; msg != "" {
		p.SupervisionError += " " + msg
	}
	// Renumber the rows as posted, so each error sits beside its row.
	if p.Supervision, err = h.supervisionRows(r, id, links, errs); err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusUnprocessableEntity, "staff_form", p)
}
