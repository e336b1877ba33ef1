package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// linkPractice is a practice with a clinician, an office, a type, a late-
// cancel fee and one client, Ana, whose appointments the tests book.
type linkPractice struct {
	ta       *testApp
	client   int64
	clinID   int64
	typeID   int64
	location int64
}

func newLinkPractice(t *testing.T, e db.Engine) *linkPractice {
	t.Helper()
	ctx := context.Background()
	ta := newTestApp(t, e)
	sys := access.Actor{System: true}
	lp := &linkPractice{ta: ta, clinID: ta.addUser("clinician@example.org", access.RoleClinician).ID}
	if err := ta.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO locations (name, place_of_service, created_at, updated_at) VALUES ('Main Street Office', '11', 0, 0) RETURNING id`).Scan(&lp.location); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE scheduling_policy SET late_cancel_hours = 24, late_cancel_fee_cents = 5000`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	if lp.typeID, err = ta.Scheduling.SaveType(ctx, sys, scheduling.Type{Name: "Psychotherapy", DurationMinutes: 53, ServiceCode: "90834", Kind: scheduling.Individual}); err != nil {
		t.Fatal(err)
	}
	c, err := ta.Clients.Create(ctx, sys, clients.Input{FirstName: "Anastasia", PreferredName: "Ana", LastName: "Quintero", BirthDate: "1990-04-02",
		Email: "ana@example.com", PrimaryClinicianID: lp.clinID})
	if err != nil {
		t.Fatal(err)
	}
	lp.client = c.ID
	return lp
}

// link books Ana at start and returns her link's path.
func (lp *linkPractice) link(t *testing.T, start time.Time) (int64, string) {
	t.Helper()
	b, err := lp.ta.Scheduling.Book(context.Background(), access.Actor{System: true}, scheduling.Booking{ClinicianID: lp.clinID,
		ClientIDs: []int64{lp.client}, TypeID: lp.typeID, LocationID: lp.location, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	return b.IDs[0], "/r/" + lp.ta.Reminders.Token(b.IDs[0], lp.client, start)
}

func (lp *linkPractice) status(t *testing.T, id int64) string {
	t.Helper()
	var s string
	if err := lp.ta.DB.Read().QueryRowContext(context.Background(), `SELECT status FROM appointments WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReminderLinkPages drives the public link pages over HTTP: GET shows and
// changes nothing, the buttons POST, a late cancel says its fee first, and
// bad or expired links get a plain 404 or 410.
func TestReminderLinkPages(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			lp := newLinkPractice(t, engine)
			b := lp.ta.browser()
			far, farLink := lp.link(t, time.Now().Add(72*time.Hour).Truncate(time.Minute))

			b.get(farLink)
			if b.status != http.StatusOK {
				t.Fatalf("GET link: status %d\n%.500s", b.status, b.last)
			}
			for _, want := range []string{"Hi Ana,", "Main Street Office", "Confirm appointment", "Cancel appointment", `action="` + farLink + `/confirm"`} {
				if !strings.Contains(b.last, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			for _, phi := range []string{"Quintero", "Anastasia", "Psychotherapy", "90834", "1990"} {
				if strings.Contains(b.last, phi) {
					t.Errorf("the page shows %q", phi)
				}
			}
			b.get(farLink)
			if s := lp.status(t, far); s != "scheduled" {
				t.Errorf("opening the link twice made it %s", s)
			}

			b.post(farLink+"/confirm", nil)
			if b.status != http.StatusOK || !strings.Contains(b.last, "your appointment is confirmed") || lp.status(t, far) != "confirmed" {
				t.Errorf("confirm: status %d, appointment %s\n%.500s", b.status, lp.status(t, far), b.last)
			}

			// A form posted from another site is refused before it counts.
			req, _ := http.NewRequest("POST", lp.ta.URL+farLink+"/cancel", strings.NewReader(""))
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			b.do(req)
			if b.status != http.StatusForbidden || lp.status(t, far) != "confirmed" {
				t.Errorf("cross-site cancel: status %d, appointment %s", b.status, lp.status(t, far))
			}

			// Late: the page names the fee, the button carries it, and a
			// post that did not see it changes nothing.
			near, nearLink := lp.link(t, time.Now().Add(5*time.Hour).Truncate(time.Minute))
			b.get(nearLink)
			if !strings.Contains(b.last, "late cancellation") || !strings.Contains(b.last, "$50.00") || !strings.Contains(b.last, `name="fee_shown" value="5000"`) {
				t.Errorf("late page does not state the fee:\n%.1500s", b.last)
			}
			b.post(nearLink+"/cancel", url.Values{"fee_shown": {"0"}})
			if b.status != http.StatusConflict || !strings.Contains(b.last, "fee of $50.00") || lp.status(t, near) != "scheduled" {
				t.Errorf("cancel without the fee shown: status %d, appointment %s", b.status, lp.status(t, near))
			}
			b.post(nearLink+"/cancel", url.Values{"fee_shown": {"5000"}})
			if b.status != http.StatusOK || !strings.Contains(b.last, "This appointment is cancelled") || !strings.Contains(b.last, "$50.00") {
				t.Errorf("late cancel: status %d\n%.800s", b.status, b.last)
			}
			var late bool
			var fee int64
			if err := lp.ta.DB.Read().QueryRowContext(context.Background(), `SELECT late_cancel, fee_cents FROM appointments WHERE id = $1`, near).Scan(&late, &fee); err != nil || !late || fee != 5000 {
				t.Errorf("late_cancel %v fee %d, %v", late, fee, err)
			}

			// Bad and expired links.
			for path, want := range map[string]int{
				"/r/not-a-token":                      http.StatusNotFound,
				farLink[:len(farLink)-3] + "AAA":      http.StatusNotFound,
				"/r/" + strings.Repeat("A", 200):      http.StatusNotFound,
				farLink[:len(farLink)-1] + "/confirm": http.StatusNotFound,
			} {
				if strings.HasSuffix(path, "/confirm") {
					b.post(path, nil)
				} else {
					b.get(path)
				}
				if b.status != want || !strings.Contains(b.last, "This link is not valid") || strings.Contains(b.last, "Ana") {
					t.Errorf("%s: status %d, want %d\n%.300s", path, b.status, want, b.last)
				}
			}
			_, pastLink := lp.link(t, time.Now().Add(-time.Hour).Truncate(time.Minute))
			b.get(pastLink)
			if b.status != http.StatusGone || !strings.Contains(b.last, "This link has expired") || strings.Contains(b.last, "Ana") {
				t.Errorf("expired link: status %d\n%.300s", b.status, b.last)
			}
			b.post(pastLink+"/cancel", url.Values{"fee_shown": {"5000"}})
			if b.status != http.StatusGone {
				t.Errorf("cancel by expired link: status %d", b.status)
			}
		})
	}
}
