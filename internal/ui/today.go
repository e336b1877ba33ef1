package ui

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// todayItem is one appointment on the board with its one-click buttons.
type todayItem struct {
	apptView
	Actions []apptAction
}

// todayColumn is one column of the board; it carries the CSRF token and
// the way back for its buttons' forms.
type todayColumn struct {
	ID, Title, Empty string
	Items            []todayItem
	CSRF, Return     string
}

type todayPage struct {
	Page
	Date      string
	Locations []choice
	Location  int64
	Columns   []todayColumn
	Off       todayColumn
	CanWrite  bool
	Return    string
	Total     int
}

// ShowToday is the front desk's board (UI.md §3 Today): today's
// appointments in columns Expected → Checked in → In session → Done, then
// no-shows and cancellations, with one-click status buttons.
func (h *Handler) ShowToday(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), current(r).Actor
	loc, err := h.Scheduling.Zone(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	now := h.Clock.Now().In(loc)
	day := calMidnight(now, loc)
	p := &todayPage{Date: day.Format("Monday 2 January 2006"), CanWrite: h.Audit.Policy().Can(a, access.PermScheduleWrite)}
	p.Location, _ = strconv.ParseInt(r.URL.Query().Get("location"), 10, 64)
	p.Return = "/today"
	if p.Location != 0 {
		p.Return += "?" + url.Values{"location": {strconv.FormatInt(p.Location, 10)}}.Encode()
	}
	locs, err := h.Practice.Locations(ctx, a)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, l := range locs {
		if l.Active || l.ID == p.Location {
			p.Locations = append(p.Locations, choice{Value: strconv.FormatInt(l.ID, 10), Label: l.Name, Checked: l.ID == p.Location})
		}
	}
	aps, err := h.Scheduling.Calendar(ctx, a, scheduling.Range{From: day, To: calAddDays(day, 1), LocationID: p.Location, IncludeCancelled: true})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p.Columns = []todayColumn{
		{ID: "expected", Title: "Expected", Empty: "No one else is expected today."},
		{ID: "checked-in", Title: "Checked in", Empty: "No one is waiting."},
		{ID: "in-session", Title: "In session", Empty: "No session in progress."},
		{ID: "done", Title: "Done", Empty: "No session finished yet."},
	}
	p.Off = todayColumn{ID: "off", Title: "No-shows and cancellations", Empty: "No no-shows or cancellations today."}
	for _, ap := range aps {
		if ap.Status == scheduling.Rescheduled {
			continue // its replacement is listed in its own place
		}
		it := todayItem{apptView: newApptView(ap, loc)}
		mine := p.CanWrite && !ap.HiddenFromUser && (booksForOthers(a) || ap.ClinicianID == a.UserID)
		act := func(to scheduling.Status, label string) {
			if mine {
				it.Actions = append(it.Actions, apptAction{To: string(to), Label: label})
			}
		}
		col := -1
		switch ap.Status {
		case scheduling.Scheduled, scheduling.Confirmed:
			col = 0
			act(scheduling.CheckedIn, "Check in")
			if mine {
				it.Actions = append(it.Actions, apptAction{To: string(scheduling.NoShow), Label: "No-show…", Danger: true,
					Href: "/appointments/" + strconv.FormatInt(ap.ID, 10) + "/status?" + url.Values{"to": {"no_show"}, "return": {p.Return}}.Encode()})
			}
		case scheduling.CheckedIn:
			col = 1
			act(scheduling.InSession, "Start session")
		case scheduling.InSession:
			col = 2
			act(scheduling.Completed, "Complete")
		case scheduling.Completed:
			col = 3
		}
		p.Total++
		if col < 0 {
			p.Off.Items = append(p.Off.Items, it)
			continue
		}
		p.Columns[col].Items = append(p.Columns[col].Items, it)
	}
	p.Page = h.base(w, r, "Today")
	for i := range p.Columns {
		p.Columns[i].CSRF, p.Columns[i].Return = p.CSRF, p.Return
	}
	p.Off.CSRF, p.Off.Return = p.CSRF, p.Return
	h.render(w, r, http.StatusOK, "today", p)
}
