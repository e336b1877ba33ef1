package ui

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// placeholder is a chart section a later feature fills; it says what will
// appear, never invented rows.
type placeholder struct {
	ID, Title, Empty string
	// Clinical sections are shown only to clinical staff (UI.md §1.6).
	Clinical bool
}

var chartPlaceholders = []placeholder{
	{"notes", "Notes", "Progress notes, assessments and treatment plans will appear here once documentation is set up.", true},
	{"diagnoses", "Diagnoses", "Diagnoses and the treatment plan they support will appear here.", true},
	{"measures", "Measures", "PHQ-9, GAD-7 and other measure scores will appear here as a trend with a table of values.", true},
	{"billing", "Billing", "Charges, payments and the client's balance will appear here once billing is set up.", false},
	{"documents", "Documents", "Uploaded documents and completed forms will appear here.", false},
}

type consentRow struct {
	clients.Consent
	Label, State string
}

type contactRow struct {
	clients.Contact
	Label string
}

// relatedRow is a related client as the chart lists them.
type relatedRow struct {
	clients.Related
	Label string
}

type chartPage struct {
	Page
	Client    clients.Client
	Age       int
	Sex       string
	Ethnicity string
	Races     []string
	Location  string
	Primary   string
	CareTeam  []string
	Alerts    []clients.Alert
	People    []contactRow
	Policies  []policyRow
	Consents  []consentRow
	Related   []relatedRow
	Today     string
	Sections  []placeholder
	// Upcoming (soonest first) and Past (latest first) are the client's
	// appointments, for those who read schedules (appointments.go).
	Upcoming, Past   []apptView
	SeesAppointments bool
	CanSchedule      bool
	// Emergency is set when the user sees the chart only through a
	// break-the-glass grant.
	Emergency bool
	CanEdit   bool
	// CanInsure may add and edit policies; SeesInsurance may read them;
	// CanMerge may merge a duplicate into this record.
	CanInsure     bool
	SeesInsurance bool
	CanMerge      bool
	// Clinical is the diagnoses, medications, risk, safety plan and notes
	// (clinical_pages.go), for those who read diagnoses.
	Clinical *chartClinical
	// ReminderPrefs is the Contacts section's reminder choice
	// (reminder_prefs.go); nil without a reminders service.
	ReminderPrefs *reminderPrefsView
}

func codeLabel(list []struct{ Code, Label string }, code string) string {
	for _, x := range list {
		if x.Code == code {
			return x.Label
		}
	}
	return code
}

// seesClinical reports whether the user's roles include clinical work: front
// desk and billers do not see the clinical sections of a chart.
func seesClinical(a access.Actor) bool {
	for _, r := range a.Roles {
		if r == access.RoleAdmin || slices.Contains(access.CaseloadRoles, r) {
			return true
		}
	}
	return false
}

// ShowClient is the chart. A user the caseload rule refuses gets a 403 page
// which, for those allowed, offers break-the-glass.
func (h *Handler) ShowClient(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	a := current(r)
	ctx := r.Context()
	c, err := h.Clients.Get(ctx, a.Actor, id, clients.SectionChart)
	if apperr.Is(err, apperr.CodeForbidden) {
		h.renderDenied(w, r, http.StatusForbidden, id, Form{})
		return
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	pol := h.Audit.Policy()
	d, err := pol.Decide(ctx, a.Actor, access.PermClientsRead, access.Target{ClientID: id})
	if err != nil {
		h.Error(w, r, apperr.Internal(err))
		return
	}
	now := h.Clock.Now()
	// The title names the MRN, not the client: titles are kept in browser
	// history and shown on tabs.
	p := &chartPage{Page: h.base(w, r, "Chart "+c.MRN), Client: c, Age: c.Age(now), Today: now.Format(time.DateOnly),
		Sex: codeLabel(clients.Sexes, c.Sex), Ethnicity: codeLabel(clients.Ethnicities, c.Ethnicity),
		Emergency: d.Emergency, CanEdit: pol.Can(a.Actor, access.PermClientsWrite), CanInsure: pol.Can(a.Actor, access.PermInsuranceWrite),
		SeesInsurance: pol.Can(a.Actor, access.PermInsuranceRead), CanMerge: pol.Can(a.Actor, access.PermClientsMerge)}
	for _, code := range c.Races {
		p.Races = append(p.Races, codeLabel(clients.Races, code))
	}
	names, _, err := h.clinicianNames(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p.Primary = names[c.PrimaryClinicianID]
	for _, uid := range c.CareTeam {
		p.CareTeam = append(p.CareTeam, names[uid])
	}
	if c.LocationID != 0 {
		locs, err := h.Practice.Locations(ctx, a.Actor)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		for _, l := range locs {
			if l.ID == c.LocationID {
				p.Location = l.Name
			}
		}
	}
	// The other parts of the record are separate audited reads, each
	// recorded with its section.
	if p.Alerts, err = h.Clients.Alerts(ctx, a.Actor, id); err != nil {
		h.Error(w, r, err)
		return
	}
	people, err := h.Clients.Contacts(ctx, a.Actor, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, pc := range people {
		p.People = append(p.People, contactRow{Contact: pc, Label: codeLabel(clients.ContactKinds, pc.Kind)})
	}
	if err := h.chartReminderPrefs(r, p, id); err != nil {
		h.Error(w, r, err)
		return
	}
	if p.SeesInsurance {
		pols, err := h.Clients.Policies(ctx, a.Actor, id)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		p.Policies = policyRows(pols, p.Today)
	}
	related, err := h.Clients.Relations(ctx, a.Actor, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, rc := range related {
		p.Related = append(p.Related, relatedRow{Related: rc, Label: codeLabel(relationLabels, rc.Kind)})
	}
	consents, err := h.Clients.Consents(ctx, a.Actor, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, cs := range consents {
		p.Consents = append(p.Consents, consentRow{Consent: cs, Label: codeLabel(clients.ConsentKinds, cs.Kind), State: cs.State(p.Today)})
	}
	if err := h.chartAppointments(r, p, id); err != nil {
		h.Error(w, r, err)
		return
	}
	clinical := seesClinical(a.Actor)
	for _, s := range chartPlaceholders {
		if !s.Clinical || clinical {
			p.Sections = append(p.Sections, s)
		}
	}
	if err := h.chartClinical(r, p, id); err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "client_chart", p)
}

type deniedPage struct {
	Page
	ClientID      int64
	CanBreakGlass bool
}

func (h *Handler) renderDenied(w http.ResponseWriter, r *http.Request, status int, id int64, f Form) {
	p := &deniedPage{Page: h.base(w, r, "Not on your caseload"), ClientID: id,
		CanBreakGlass: h.Audit.Policy().Can(current(r).Actor, access.PermClientsBreakGlass)}
	p.Form = f
	h.render(w, r, status, "client_denied", p)
}

// BreakGlass opens a chart outside the user's caseload for an hour, after
// they state why; the grant and every read under it are flagged in the audit
// log.
func (h *Handler) BreakGlass(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	f := newForm(r, "reason")
	err = h.Clients.BreakGlass(r.Context(), current(r).Actor, id, f.Values["reason"])
	if apperr.Is(err, apperr.CodeInvalid) {
		f.fail(err, "")
		h.renderDenied(w, r, http.StatusUnprocessableEntity, id, f)
		return
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, "/clients/"+strconv.FormatInt(id, 10), "Emergency access granted for 60 minutes. Your access is recorded in the audit log.")
}
