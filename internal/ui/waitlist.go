package ui

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// The waitlist: clients waiting for a slot, with their preferences, and the
// form to add one (UI.md §3, Requests).

func init() {
	pageNames = append(pageNames, "waitlist")
	pageParts["waitlist"] = append(pageParts["waitlist"], "templates/client_parts.html")
}

// waitlistRow is an entry as the list shows it.
type waitlistRow struct {
	scheduling.WaitlistEntry
	Clinician, Days, Times, Modality string
	Urgency                          chip
	Status                           chip
	Since                            string
	DaysWaiting                      int
	Offers                           []string
}

type waitlistPage struct {
	Page
	Rows []waitlistRow
	// Changed is the entry just marked booked or removed, for Undo.
	Changed   int64
	ChangedTo string
	// Client is the client the form was opened for (?client=ID).
	Client     *clients.Client
	AddForm    Form
	Clinicians []choice
	Days       []choice
	Modalities []choice
	Urgencies  []choice
}

var modalityLabels = map[string]string{"any": "In person or video", "in_person": "In person", "telehealth": "Video"}

var urgencyChips = map[string]chip{
	"routine": {"neutral", "–", "Routine"},
	"soon":    {"warn", "◷", "Soon"},
	"urgent":  {"danger", "!", "Urgent"},
}

var waitlistStatusChips = map[string]chip{
	"waiting": {"info", "◷", "Waiting"},
	"offered": {"warn", "→", "Offered a slot"},
	"booked":  {"ok", "✓", "Booked"},
	"removed": {"neutral", "–", "Removed"},
}

var offerStatusLabels = map[string]string{"offered": "awaiting reply", "accepted": "accepted", "declined": "declined", "withdrawn": "withdrawn"}

// daysText names a set of weekdays briefly.
func daysText(ds []time.Weekday) string {
	switch {
	case len(ds) == 7:
		return "Any day"
	case slices.Equal(ds, []time.Weekday{1, 2, 3, 4, 5}):
		return "Weekdays"
	}
	var names []string
	for _, d := range weekdayOrder {
		if slices.Contains(ds, d) {
			names = append(names, d.String()[:3])
		}
	}
	return strings.Join(names, ", ")
}

func (h *Handler) renderWaitlist(w http.ResponseWriter, r *http.Request, status int, p *waitlistPage) {
	ctx, a := r.Context(), current(r).Actor
	entries, err := h.Scheduling.Waitlist(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	clinicians, err := h.Scheduling.Clinicians(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, c := range clinicians {
		names[c.ID] = c.Name
	}
	form := p.Form
	p.Page = h.base(w, r, "Waitlist")
	p.Form = form
	now := h.Clock.Now()
	for _, e := range entries {
		row := waitlistRow{WaitlistEntry: e, Clinician: "Any clinician", Days: daysText(e.Days), Modality: modalityLabels[e.Modality],
			Urgency: urgencyChips[e.Urgency], Status: waitlistStatusChips[e.Status], Since: e.CreatedAt.In(loc).Format("2 Jan 2006"),
			DaysWaiting: int(now.Sub(e.CreatedAt) / (24 * time.Hour))}
		if e.ClinicianID != 0 {
			row.Clinician = names[e.ClinicianID]
		}
		row.Times = "Any time"
		if e.EarliestMinute > 0 || e.LatestMinute < 24*60 {
			row.Times = clockText(e.EarliestMinute) + "–" + clockText(e.LatestMinute)
		}
		for _, o := range e.Offers {
			row.Offers = append(row.Offers, fmt.Sprintf("%s with %s, %s", o.Start.In(loc).Format("Mon 2 Jan 15:04"), names[o.ClinicianID], offerStatusLabels[o.Status]))
		}
		p.Rows = append(p.Rows, row)
	}
	if p.AddForm.Values == nil {
		p.AddForm = Form{Values: map[string]string{"urgency": "routine", "modality": "any"}, Errors: map[string]string{}}
		if p.Client != nil {
			p.AddForm.Values["mrn"] = p.Client.MRN
		}
	}
	p.Clinicians = nil
	for _, c := range clinicians {
		v := strconv.FormatInt(c.ID, 10)
		label := c.Name
		if c.Credentials != "" {
			label += ", " + c.Credentials
		}
		p.Clinicians = append(p.Clinicians, choice{Value: v, Label: label, Checked: v == p.AddForm.Values["clinician"]})
	}
	days := strings.Split(p.AddForm.Values["days"], ",")
	if p.AddForm.Values["days"] == "" && len(p.AddForm.Errors) == 0 {
		days = []string{"1", "2", "3", "4", "5"}
	}
	p.Days = nil
	for _, d := range weekdayOrder {
		v := strconv.Itoa(int(d))
		p.Days = append(p.Days, choice{Value: v, Label: d.String(), Checked: slices.Contains(days, v)})
	}
	p.Modalities = nil
	for _, m := range scheduling.Modalities {
		p.Modalities = append(p.Modalities, choice{Value: m, Label: modalityLabels[m], Checked: m == p.AddForm.Values["modality"]})
	}
	p.Urgencies = nil
	for _, u := range scheduling.Urgencies {
		p.Urgencies = append(p.Urgencies, choice{Value: u, Label: urgencyChips[u].Label, Checked: u == p.AddForm.Values["urgency"]})
	}
	h.render(w, r, status, "waitlist", p)
}

// ShowWaitlist lists who is waiting, most urgent and longest waiting first,
// with the form to add a client (?client=ID fills it in from the chart).
func (h *Handler) ShowWaitlist(w http.ResponseWriter, r *http.Request) {
	p := &waitlistPage{}
	q := r.URL.Query()
	if id, err := strconv.ParseInt(q.Get("changed"), 10, 64); err == nil && id > 0 && (q.Get("to") == "booked" || q.Get("to") == "removed") {
		p.Changed, p.ChangedTo = id, q.Get("to")
	}
	if s := q.Get("client"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			h.Error(w, r, apperr.NotFound("client"))
			return
		}
		c, err := h.Clients.Get(r.Context(), current(r).Actor, id, clients.SectionDemographics)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		p.Client = &c
	}
	h.renderWaitlist(w, r, http.StatusOK, p)
}

var mrnInput = regexp.MustCompile(`(?i)^ms-?\d{1,9}$`)

// AddWaitlistEntry puts the client with the given MRN on the waitlist.
func (h *Handler) AddWaitlistEntry(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), current(r).Actor
	f := newForm(r, "mrn", "clinician", "earliest", "latest", "modality", "urgency", "note")
	days := r.PostForm["days"]
	f.Values["days"] = strings.Join(days, ",")
	e := scheduling.WaitlistEntry{Modality: f.Values["modality"], Urgency: f.Values["urgency"], Note: f.Values["note"]}
	e.ClinicianID, _ = strconv.ParseInt(f.Values["clinician"], 10, 64)
	for _, d := range days {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 6 {
			f.Errors["days"] = "Choose the days from the list."
			break
		}
		e.Days = append(e.Days, time.Weekday(n))
	}
	if len(days) == 0 {
		f.Errors["days"] = "Choose at least one day the client can come."
	}
	var ok bool
	if e.EarliestMinute, ok = parseClock(f.Values["earliest"]); !ok && f.Values["earliest"] != "" {
		e.EarliestMinute = -1
	}
	if e.LatestMinute, ok = parseClock(f.Values["latest"]); !ok && f.Values["latest"] != "" {
		e.LatestMinute = -1
	} else if e.LatestMinute == 0 {
		e.LatestMinute = 24 * 60
	}
	// The client, by MRN; the search applies the caseload rule.
	mrn := strings.TrimSpace(f.Values["mrn"])
	if !mrnInput.MatchString(mrn) {
		f.Errors["mrn"] = "Enter the client's MRN, such as MS-000123."
	} else {
		found, err := h.Clients.Search(ctx, a, clients.SearchFilter{Query: mrn, Limit: 2})
		if err != nil {
			h.Error(w, r, err)
			return
		}
		if len(found) != 1 {
			f.Errors["mrn"] = "No client you can see has this MRN."
		} else {
			e.ClientID = found[0].ID
		}
	}
	if len(f.Errors) == 0 {
		_, err := h.Scheduling.AddToWaitlist(ctx, a, e)
		if err == nil {
			h.redirect(w, r, "/waitlist", "Added to the waitlist.")
			return
		}
		if !apperr.Is(err, apperr.CodeInvalid) && !apperr.Is(err, apperr.CodeNotFound) {
			h.Error(w, r, err)
			return
		}
		f.fail(err, "")
		f.moveError("times", "earliest")
	}
	p := &waitlistPage{AddForm: f}
	p.failed(f)
	h.renderWaitlist(w, r, http.StatusUnprocessableEntity, p)
}

// SetWaitlistStatus marks an entry booked or removed, or (Undo) waiting again.
func (h *Handler) SetWaitlistStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	status := r.PostFormValue("status")
	if err == nil {
		err = h.Scheduling.SetWaitlistStatus(r.Context(), current(r).Actor, id, status)
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if status == "waiting" {
		h.redirect(w, r, "/waitlist", "The client is back on the waitlist.")
		return
	}
	h.redirect(w, r, fmt.Sprintf("/waitlist?changed=%d&to=%s", id, status), "")
}
