package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// The front desk's scheduling flow in a real browser, on a clock the test
// moves: book a weekly series for a client from her chart through the form;
// see it on the calendar, move the first session by dragging it, and open
// the form from a free slot; a few hours later the client cancels that
// session inside 24 hours, and the confirmation shows the late fee before it
// is recorded; the freed slot lists a waitlist client, who is offered it;
// then another client is checked in on the Today board.
func TestBrowserCalendarFlow(t *testing.T) {
	chromiumPath(t) // skip before starting a server when there is no browser
	start := time.Now()
	cp := newCalPractice(t, db.SQLite)
	ctx, sys := context.Background(), access.Actor{System: true}
	// Ivan waits for a Tuesday morning with anyone; Rosa comes in today at 13:00.
	if _, err := cp.ta.Scheduling.AddToWaitlist(ctx, sys, scheduling.WaitlistEntry{ClientID: cp.ivan.ID, Days: []time.Weekday{time.Tuesday},
		EarliestMinute: 9 * 60, LatestMinute: 12 * 60, Urgency: "urgent", Note: "Prefers mornings"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.ta.Scheduling.Book(ctx, sys, scheduling.Booking{ClinicianID: cp.casey.ID, ClientIDs: []int64{cp.rosa.ID}, TypeID: cp.individual,
		LocationID: cp.location, Start: time.Date(2026, 11, 30, 13, 0, 0, 0, calZone)}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, cp.ta)
	t.Logf("app and browser started in %v", time.Since(start).Round(time.Millisecond))

	// From the client's chart: Schedule, a weekly series of four.
	b.signIn(cp.desk)
	chart := "/clients/" + itoa(cp.pepa.ID)
	b.open(chart, "#appointments")
	if got := b.text("#appointments"); !strings.Contains(got, "No upcoming appointments.") {
		t.Errorf("chart appointments before booking: %q", got)
	}
	b.follow("open the booking form", chromedp.Click(chromedp.CSS(`#appointments a[href="/appointments/new?client=`+itoa(cp.pepa.ID)+`"]`)), "#appt-form")
	b.checkLabels("new appointment", false)
	if got := b.js("chosen client", `document.getElementById('f-client').selectedOptions[0].text`); !strings.HasPrefix(got, "Pepa Núñez · MS-") {
		t.Errorf("the form from the chart has client %q chosen", got)
	}
	b.do("fill the booking", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const set = (id, v) => { const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event('change', {bubbles: true})); };
		set('f-clinician', %q); set('f-type', %q); set('f-location', %q); set('f-room', %q);
		set('f-date', '2026-12-01'); set('f-time', '10:00');
	})()`, itoa(cp.casey.ID), itoa(cp.individual), itoa(cp.location), itoa(cp.room))))
	b.do("repeat weekly", chromedp.Click(chromedp.CSS(`input[name=repeat][value=weekly]`)))
	b.fill([][2]string{{"count", "4"}})
	b.do("type a note", chromedp.SendKeys(chromedp.ID("f-front_desk_note"), "Needs the accessible entrance")) // an empty textarea cannot be cleared
	b.screenshot("calendar-book.png")
	b.follow("book the series", chromedp.Click(chromedp.CSS(`#appt-form button[type=submit]`)), "#appt-status")
	if got := b.text("main .notice.ok"); got != "Series booked: 4 appointments." {
		t.Errorf("flash after booking = %q", got)
	}
	if got := b.text(".appt-head"); !strings.Contains(got, "Every week, 4 sessions") || !strings.Contains(got, "Tuesday 1 December 2026, 10:00–10:53") {
		t.Errorf("appointment page: %q", got)
	}
	loc := run(b, "read location", chromedp.Location())
	first := loc[strings.LastIndex(loc, "/")+1:]

	// The calendar shows it; drag it half an hour later.
	b.open("/calendar?view=day&date=2026-12-01", "#cal-grid")
	block := `.cal-block[data-id="` + first + `"]`
	if stripe := b.js("stripe", `getComputedStyle(document.querySelector('`+block+`')).getPropertyValue('--stripe').trim()`); stripe != "#6b4596" {
		t.Errorf("block stripe = %q, want the type's colour", stripe)
	}
	if got := b.text(block); !strings.Contains(got, "Pepa Núñez") || !strings.Contains(got, "Scheduled") {
		t.Errorf("block reads %q", got)
	}
	b.screenshot("calendar-day.png")
	geo := run(b, "measure the block", chromedp.Evaluate[[]float64](`(() => {
		const el = document.querySelector('`+block+`');
		el.scrollIntoView({block: 'center'});
		const r = el.getBoundingClientRect(), col = el.closest('.cal-col').getBoundingClientRect();
		return [r.x + r.width / 2, r.y + 10, col.height / Number(document.getElementById('cal-grid').dataset.hours), col.x, col.y];
	})()`))
	x, y, hour := geo[0], geo[1], geo[2]
	b.do("drag the block down half an hour", chromedp.DragAndDropXY(x, y, x, y+hour/2, 12))
	b.do("wait for the calendar to reload", chromedp.WaitVisible(chromedp.CSS("main .notice.ok")))
	if got := b.text("main .notice.ok"); got != "Appointment changed: now Tue 1 Dec 2026 10:30." {
		t.Errorf("after the drag the flash says %q", got)
	}
	if got := b.text(block + " .cal-time"); got != "10:30–11:23" {
		t.Errorf("after the drag the block reads %q", got)
	}

	// A click on a free time opens the form for it.
	geo = run(b, "measure the column", chromedp.Evaluate[[]float64](`(() => {
		const col = document.querySelector('.cal-col[data-clinician="`+itoa(cp.casey.ID)+`"]');
		col.scrollIntoView({block: 'start'});
		const r = col.getBoundingClientRect(), first = Number(document.getElementById('cal-grid').dataset.firstHour);
		const hour = r.height / Number(document.getElementById('cal-grid').dataset.hours);
		return [r.x + r.width / 2, r.y + (15 - first) * hour + hour / 8];
	})()`))
	b.follow("click 15:00 in Casey's column", chromedp.MouseClickXY(geo[0], geo[1]), "#appt-form")
	if got := b.js("prefilled", `[document.getElementById('f-clinician').value, document.getElementById('f-date').value, document.getElementById('f-time').value].join(' ')`); got != itoa(cp.casey.ID)+" 2026-12-01 15:00" {
		t.Errorf("the free slot opened the form with %q", got)
	}

	// Four hours later the client calls to cancel that session: it is now
	// inside 24 hours, and the confirmation says what it will cost.
	cp.clk.Advance(4 * time.Hour)
	b.signIn(cp.desk) // the idle session ended on the moved clock
	b.open("/appointments/"+first, "#appt-status")
	b.follow("choose Cancel: client cancelled", chromedp.Click(chromedp.CSS(`a[href="/appointments/`+first+`/status?to=cancelled&by=client"]`)), "#fee-preview")
	b.checkLabels("cancel", false)
	if got := b.text("#fee-preview"); got != "$ This is a late cancellation (less than 24 hours ahead): a $75.00 fee will be recorded." {
		t.Errorf("fee preview = %q", got)
	}
	if got := b.text("#confirm-status"); got != "Cancel appointment and record $75.00 fee" {
		t.Errorf("confirm button = %q", got)
	}
	b.screenshot("calendar-late-cancel.png")
	b.do("type the reason", chromedp.SendKeys(chromedp.ID("f-reason"), "Child is sick"))
	b.follow("confirm the cancellation", chromedp.Click(chromedp.CSS("#confirm-status")), "#waitlist-matches")
	if got := b.text("main .notice.ok"); got != "Appointment cancelled. A $75.00 fee was recorded." {
		t.Errorf("flash after cancelling = %q", got)
	}
	if got := b.text("#appt-status"); !strings.Contains(got, "Late cancel") {
		t.Errorf("status after cancelling: %q", got)
	}
	if got := b.text("#waitlist-matches"); !strings.Contains(got, "Ivan Stone") || !strings.Contains(got, "Urgent") || !strings.Contains(got, "Prefers mornings") {
		t.Errorf("waitlist suggestions: %q", got)
	}
	b.screenshot("calendar-waitlist.png")
	b.follow("offer the slot", chromedp.Click(chromedp.CSS(`#waitlist-matches button[type=submit]`)), "#appt-status")
	if got := b.text("main .notice.ok"); !strings.HasPrefix(got, "The slot was offered.") {
		t.Errorf("flash after offering = %q", got)
	}

	// Today: Rosa arrives and is checked in with one click.
	b.follow("open Today", chromedp.Click(chromedp.CSS(`nav.main a[href="/today"]`)), "#today-board")
	if got := b.text("#col-expected"); !strings.Contains(got, "Rosa Parks-Lee") || !strings.Contains(got, "13:00–13:53") {
		t.Fatalf("expected column: %q", got)
	}
	b.screenshot("today-before.png")
	b.follow("check Rosa in", chromedp.Click(chromedp.CSS(`#col-expected article button[type=submit]`)), "#today-board")
	if got := b.text("main .notice.ok"); got != "Checked in." {
		t.Errorf("flash after check-in = %q", got)
	}
	if got := b.text("#col-checked-in"); !strings.Contains(got, "Rosa Parks-Lee") || !strings.Contains(got, "Checked in") {
		t.Errorf("checked-in column: %q", got)
	}
	if got := b.text("#col-expected"); strings.Contains(got, "Rosa") {
		t.Errorf("Rosa is still expected: %q", got)
	}
	b.screenshot("today-after.png")

	// The chart now lists the three sessions still ahead and the cancelled one.
	b.open(chart, "#appointments")
	if rows := b.tableRows("#appointments .appt-table"); len(rows) != 4 {
		t.Errorf("chart lists %d appointments, want 4: %q", len(rows), rows)
	}

	for _, m := range b.consoleErrors() {
		t.Errorf("browser console: %s", m)
	}
	t.Logf("flow took %v", time.Since(start).Round(time.Millisecond))
}
