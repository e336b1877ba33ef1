package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/reminders"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// Appointment reminders on staff pages: the client's choice of channels on
// the chart's Contacts section, and each appointment's reminders with how
// their delivery went on the appointment page.
func init() {
	// calendar.go's init (run first: files initialise in name order) sets
	// the appointment page's parts; these add to them.
	pageParts["client_chart"] = append(pageParts["client_chart"], "templates/reminder_parts.html")
	pageParts["appointment_show"] = append(pageParts["appointment_show"], "templates/reminder_parts.html")
}

// reminderPrefsView is the chart's "Appointment reminders" form.
type reminderPrefsView struct {
	reminders.Prefs
	// CanEdit offers the form (clients.write) rather than the choice as text.
	CanEdit bool
}

// chartReminderPrefs fills the chart's reminder preferences (an audited
// read, needing clients.read like the chart itself).
func (h *Handler) chartReminderPrefs(r *http.Request, p *chartPage, clientID int64) error {
	if h.Reminders == nil {
		return nil
	}
	prefs, err := h.Reminders.Preferences(r.Context(), current(r).Actor, clientID)
	if err != nil {
		return err
	}
	p.ReminderPrefs = &reminderPrefsView{Prefs: prefs, CanEdit: p.CanEdit}
	return nil
}

// SaveReminderPreferences records which reminders the client takes (an
// unticked box turns its channel off) and returns to the chart.
func (h *Handler) SaveReminderPreferences(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if h.Reminders == nil {
		h.NotFound(w, r)
		return
	}
	email, sms := r.PostFormValue("email") != "", r.PostFormValue("sms") != ""
	if err := h.Reminders.SetPreferences(r.Context(), current(r).Actor, id, email, sms); err != nil {
		h.Error(w, r, err)
		return
	}
	h.redirect(w, r, "/clients/"+strconv.FormatInt(id, 10)+"#contacts", "Reminder preferences saved: email "+reminderOnOff(email)+", texts "+reminderOnOff(sms)+".")
}

func reminderOnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// apptReminderRow is one reminder on the appointment page.
type apptReminderRow struct {
	Client   string // shown for sessions with several clients
	Channel  string
	Hours    int
	Due      string
	Status   chip
	Attempts int
	Sent     string
	// Reason is why it was not sent, or its last failure.
	Reason string
}

// apptReminders fills the appointment page's Reminders section, for those
// who read the schedule and see the appointment's clients. The service shows only the reminders of clients the
// viewer may see, and records the read.
func (h *Handler) apptReminders(r *http.Request, p *apptPage, ap scheduling.Appointment, loc *time.Location) error {
	a := current(r).Actor
	if h.Reminders == nil || ap.HiddenFromUser || !h.Audit.Policy().Can(a, access.PermScheduleRead) {
		return nil
	}
	ds, err := h.Reminders.ForAppointment(r.Context(), a, ap.ID)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, c := range ap.Clients {
		names[c.ClientID] = c.Name
	}
	p.ShowReminders = true
	for _, d := range ds {
		row := apptReminderRow{Channel: d.Channel.Label(), Hours: d.HoursBefore, Due: d.Due.In(loc).Format("Mon 2 Jan 2006 15:04"),
			Status: reminderChip(d.Status), Attempts: d.Attempts}
		if p.Group {
			row.Client = names[d.ClientID]
		}
		if !d.SentAt.IsZero() {
			row.Sent = d.SentAt.In(loc).Format("Mon 2 Jan 2006 15:04")
		}
		if d.Status != reminders.Sent {
			row.Reason = d.LastError
		}
		p.Reminders = append(p.Reminders, row)
	}
	return nil
}

// reminderChip is how a reminder's delivery status looks.
func reminderChip(s reminders.Status) chip {
	switch s {
	case reminders.Sent:
		return chip{"ok", "✓", s.Label()}
	case reminders.Pending, reminders.Sending:
		return chip{"info", "○", s.Label()}
	case reminders.Failed:
		return chip{"danger", "✕", s.Label()}
	case reminders.Unknown:
		return chip{"warn", "⚠", s.Label()}
	}
	return chip{"neutral", "–", s.Label()}
}
