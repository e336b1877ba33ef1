package scheduling

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// feedRequest is the calendar app's side of a fetch.
var feedRequest = access.Actor{IP: "203.0.113.9", UserAgent: "Google-Calendar-Importer", RequestID: "feed-test"}

func parseFeed(t *testing.T, body []byte) *ics.Calendar {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse feed: %v\n%s", err, body)
	}
	return cal
}

func calendarProp(cal *ics.Calendar, name ics.Property) string {
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(name) {
			return p.Value
		}
	}
	return ""
}

// A clinician's feed: valid RFC 5545 that golang-ical reads back, local times
// under the practice zone's TZID that stay at 10:00 across the November
// change, initials and no names, only their own appointments that hold a
// slot; each fetch audited as theirs; revoked and unknown tokens refused.
func TestCalendarFeed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		p.clk.Set(at(2026, 10, 1, 9, 0))
		clinician := p.staff["clinician"]

		weekly := p.booking("clinician", "ana", at(2026, 10, 28, 10, 0)) // EDT, then EST from 1 November
		weekly.RRule = "FREQ=WEEKLY;COUNT=2"
		series := p.book("frontdesk", weekly)
		video := p.booking("clinician", "ben", at(2026, 10, 5, 14, 0))
		video.LocationID, video.RoomID, video.Telehealth = p.video, 0, true
		videoID := p.book("frontdesk", video).IDs[0]
		cancelled := p.book("frontdesk", p.booking("clinician", "cy", at(2026, 10, 6, 11, 0)))
		if _, err := p.svc.SetStatus(ctx, p.staff["frontdesk"], cancelled.IDs[0], StatusChange{To: Cancelled, Reason: "client asked", CancelledBy: "client"}); err != nil {
			t.Fatal(err)
		}
		p.book("frontdesk", p.booking("other", "dee", at(2026, 10, 7, 9, 0)))     // someone else's
		p.book("frontdesk", p.booking("clinician", "ben", at(2027, 6, 2, 10, 0))) // beyond 180 days
		p.book("frontdesk", p.booking("clinician", "cy", at(2026, 8, 12, 10, 0))) // more than 30 days ago

		token, feed, err := p.svc.CreateFeed(ctx, clinician, false)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(token) || feed.ID == 0 || feed.FullNames {
			t.Fatalf("CreateFeed = %q, %+v", token, feed)
		}
		if n := p.count(`SELECT count(*) FROM calendar_feeds WHERE token_hash = $1`, token); n != 0 {
			t.Error("the token is stored in clear")
		}

		body, err := p.svc.RenderFeed(ctx, feedRequest, token, "ehr.example.org")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(body, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(body, []byte("\r\n"), nil), []byte("\n")) {
			t.Error("lines are not CRLF-terminated")
		}
		cal := parseFeed(t, body)
		if v := calendarProp(cal, ics.PropertyVersion); v != "2.0" {
			t.Errorf("VERSION = %q", v)
		}
		if v := calendarProp(cal, ics.PropertyProductId); !strings.Contains(v, "MentalSpace") {
			t.Errorf("PRODID = %q", v)
		}
		tzs := cal.Timezones()
		if len(tzs) != 1 || tzs[0].GetProperty(ics.ComponentPropertyTzid).Value != "America/New_York" {
			t.Fatalf("VTIMEZONE = %v", tzs)
		}
		if body := string(body); !strings.Contains(body, "BEGIN:DAYLIGHT") || !strings.Contains(body, "BEGIN:STANDARD") ||
			!strings.Contains(body, "DTSTART:20261101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500") {
			t.Errorf("VTIMEZONE lacks the November change:\n%s", body)
		}

		type event struct{ UID, Start, Local, Summary, Location, Status string }
		var got []event
		for _, ev := range cal.Events() {
			for _, p := range []ics.ComponentProperty{ics.ComponentPropertyDtstamp, ics.ComponentPropertyDtEnd} {
				if ev.GetProperty(p) == nil {
					t.Errorf("%s has no %s", ev.Id(), p)
				}
			}
			st := ev.GetProperty(ics.ComponentPropertyDtStart)
			if tz := st.ICalParameters["TZID"]; len(tz) != 1 || tz[0] != "America/New_York" {
				t.Errorf("%s DTSTART TZID = %v", ev.Id(), tz)
			}
			start, err := ev.GetStartAt()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, event{ev.Id(), st.Value, start.In(ny).Format("Mon 2 Jan 15:04 MST"), ev.GetProperty(ics.ComponentPropertySummary).Value,
				ev.GetProperty(ics.ComponentPropertyLocation).Value, ev.GetProperty(ics.ComponentPropertyStatus).Value})
		}
		uid := func(id int64) string { return "appointment-" + strconv.FormatInt(id, 10) + "@ehr.example.org" }
		want := []event{
			{uid(videoID), "20261005T140000", "Mon 5 Oct 14:00 EDT", "B.O. · Individual 53", "Video", "CONFIRMED"},
			{uid(series.IDs[0]), "20261028T100000", "Wed 28 Oct 10:00 EDT", "A.L. · Individual 53", "Main office, Room 1", "CONFIRMED"},
			{uid(series.IDs[1]), "20261104T100000", "Wed 4 Nov 10:00 EST", "A.L. · Individual 53", "Main office, Room 1", "CONFIRMED"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		for _, name := range []string{"Lopez", "Okafor", "Park", "Ray", "Ana ", "Ben "} {
			if bytes.Contains(body, []byte(name)) {
				t.Errorf("the feed names a client: %q", name)
			}
		}

		// Each fetch is the owner's audited read, from the caller's address.
		page, err := p.svc.audit.Find(ctx, access.Actor{System: true}, audit.Filter{UserID: clinician.UserID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		reads := 0
		for _, e := range page.Entries {
			if e.ObjectType == "calendar_feed" && e.Action == audit.ActionRead && e.Detail == "calendar feed" && e.Outcome == audit.Success {
				reads++
				if e.IP != feedRequest.IP || e.ObjectID != strconv.FormatInt(feed.ID, 10) || e.Role != string(access.RoleClinician) {
					t.Errorf("feed read entry = %+v", e)
				}
			}
		}
		if reads != 1 {
			t.Errorf("%d audited feed reads, want 1", reads)
		}

		// Names only when the owner asked for them.
		named, _, err := p.svc.CreateFeed(ctx, clinician, true)
		if err != nil {
			t.Fatal(err)
		}
		body, err = p.svc.RenderFeed(ctx, feedRequest, named, "ehr.example.org")
		if err != nil || !bytes.Contains(body, []byte("Ana Lopez · Individual 53")) {
			t.Errorf("full-names feed: %v\n%s", err, body)
		}

		// Listing, and revoking (only one's own).
		feeds, err := p.svc.Feeds(ctx, clinician)
		if err != nil || len(feeds) != 2 || !feeds[0].FullNames {
			t.Fatalf("Feeds = %+v, %v", feeds, err)
		}
		if err := p.svc.RevokeFeed(ctx, p.staff["other"], feed.ID); !apperr.Is(err, apperr.CodeNotFound) {
			t.Errorf("revoking another's feed: %v, want not_found", err)
		}
		if err := p.svc.RevokeFeed(ctx, clinician, feed.ID); err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]string{"revoked": token, "unknown": strings.Repeat("A", 43), "malformed": "../../etc/passwd", "empty": ""} {
			if _, err := p.svc.RenderFeed(ctx, feedRequest, tok, "ehr.example.org"); !apperr.Is(err, apperr.CodeNotFound) {
				t.Errorf("%s token: %v, want not_found", name, err)
			}
		}
		// A disabled account's feeds stop too.
		if _, err := d.Writer().ExecContext(ctx, `UPDATE users SET status = 'disabled' WHERE id = $1`, clinician.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.RenderFeed(ctx, feedRequest, named, "ehr.example.org"); !apperr.Is(err, apperr.CodeNotFound) {
			t.Errorf("disabled owner: %v, want not_found", err)
		}

		// Front desk have no appointments of their own to publish.
		if _, _, err := p.svc.CreateFeed(ctx, p.staff["frontdesk"], false); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("front desk CreateFeed: %v, want forbidden", err)
		}
	})
}

// At most MaxFeeds live feeds; revoking one makes room.
func TestCalendarFeedLimit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		a := p.staff["associate"]
		for range MaxFeeds {
			if _, _, err := p.svc.CreateFeed(ctx, a, false); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := p.svc.CreateFeed(ctx, a, false); !apperr.Is(err, apperr.CodeInvalid) {
			t.Fatalf("feed %d: %v, want invalid", MaxFeeds+1, err)
		}
		feeds, _ := p.svc.Feeds(ctx, a)
		if err := p.svc.RevokeFeed(ctx, a, feeds[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := p.svc.CreateFeed(ctx, a, false); err != nil {
			t.Errorf("after revoking: %v", err)
		}
	})
}

// Times in the hour repeated when clocks fall back: the first 01:30 is
// written as local time (RFC 5545 reads an ambiguous time as the first), the
// second in UTC; a zone without changes has one observance.
func TestFeedTimesAroundDaylightSaving(t *testing.T) {
	first := time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC) // 01:30 EDT
	second := first.Add(time.Hour)                         // 01:30 EST
	var c ics.VEvent
	setZoned(&c.ComponentBase, ics.ComponentPropertyDtStart, first, ny)
	setZoned(&c.ComponentBase, ics.ComponentPropertyDtEnd, second, ny)
	if p := c.GetProperty(ics.ComponentPropertyDtStart); p.Value != "20261101T013000" || p.ICalParameters["TZID"][0] != "America/New_York" {
		t.Errorf("first 01:30 = %v %v", p.Value, p.ICalParameters)
	}
	if p := c.GetProperty(ics.ComponentPropertyDtEnd); p.Value != "20261101T063000Z" || len(p.ICalParameters) != 0 {
		t.Errorf("second 01:30 = %v %v", p.Value, p.ICalParameters)
	}
	for _, tc := range []struct {
		loc  *time.Location
		want int
	}{{ny, 3}, {time.UTC, 1}, {mustZone("America/Phoenix"), 1}} {
		tz := vtimezone(tc.loc, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC))
		if n := len(tz.Components); n != tc.want {
			t.Errorf("%s: %d observances, want %d", tc.loc, n, tc.want)
		}
	}
	if got := []string{utcOffset(-5 * 3600), utcOffset(5*3600 + 30*60), utcOffset(0)}; !cmp.Equal(got, []string{"-0500", "+0530", "+0000"}) {
		t.Errorf("offsets = %v", got)
	}
}
