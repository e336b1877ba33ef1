package gen

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// course is a client's course of treatment (or a couple's): a slot on a
// clinician's grid held every week or every other week, from the first
// session (an intake) to the last. It is booked in blocks, the next block
// after the last session of the one before, as front desks do.
type course struct {
	clients   []int64   // the client, then a partner for a couple
	folded    [3]string // the client's folded names, for care team rows
	dx        [][]int64 // diagnoses per client, once the first session is done
	adult     bool
	cl        *clinician
	desk      *staffer
	loc       *location // nil for telehealth
	tele      bool
	couple    bool
	typeID    int64 // after the intake
	code      string
	minutes   int
	cell      int
	interval  int // weeks between sessions
	first     int // the week of the first session
	end       int // the week of the last session
	sessions  int
	booked    int
	diagnosed bool
	grouped   bool
	careTeam  []int64
}

// occurrence is one appointment and what happens to it, decided when it is
// booked; the simulation replays it when its first event comes due.
type occurrence struct {
	id         int64
	crs        *course
	grp        *cohort
	start, end time.Time
	typeID     int64
	code       string
	intake     bool
	outcome    outcome
	bookedAt   time.Time
	eventAt    time.Time // the cancellation or no-show
	readAt     time.Time // the clinician opens the chart
	checkIn    time.Time
	complete   time.Time
	reason     string
	waive      bool
	nextBlock  bool // the front desk books the course's next block after it
	attended   []bool
}

type outcome uint8

const (
	completed outcome = iota
	cancelledByClient
	cancelledByClinician
	noShow
)

// cohort is a group's run of twelve weekly evening sessions.
type cohort struct {
	leader  *clinician
	loc     *location
	members []*course
	desk    *staffer
}

const (
	lateCancelFee = 5000
	noShowFee     = 7500
	dayLength     = 10 * 3600 // business seconds in a day, 08:00–18:00
)

// generate runs the practice from its set-up to now.
func (g *generator) generate() error {
	g.setupRows()
	ids := make([]int64, len(g.clinicians))
	for i, cl := range g.clinicians {
		ids[i] = cl.id
	}
	g.cg = NewClientGen(g.seed, ids, g.size.Today)
	g.scheduleClient(1)
	g.tasks.add(g.at(0, 0, 6, 30), taskDay, nil)
	nowMicros := g.now.UnixMicro()
	for i := 0; g.tasks.Len() > 0; i++ {
		t := heap.Pop(&g.tasks).(task)
		if t.at > nowMicros {
			break
		}
		at := time.UnixMicro(t.at).In(g.loc)
		g.drainEntries(at)
		switch t.kind {
		case taskClient:
			g.registerClient(at)
		case taskOccurrence:
			if t.occ.grp != nil {
				g.happenGroup(t.occ)
			} else {
				g.happen(t.occ)
			}
		case taskDay:
			g.day(at)
		}
		if g.err != nil {
			return g.err
		}
		if g.l.full() {
			if err := g.l.flush(g.ctx); err != nil {
				return err
			}
		}
		if i%1024 == 0 {
			if err := g.ctx.Err(); err != nil {
				return err
			}
			g.report()
		}
	}
	return nil
}

// audit queues an entry for who's action at at, unless at is after now.
func (g *generator) audit(at time.Time, who *staffer, role string, action audit.Action, objectType, objectID string, clientID int64, detail string) {
	if at.After(g.now) {
		return
	}
	g.entrySeq++
	e := &audit.Entry{At: at, UserID: who.id, Role: role, Action: action, ObjectType: objectType, ObjectID: objectID,
		ClientID: clientID, IP: who.ip, UserAgent: who.ua, Outcome: audit.Success, Detail: detail,
		RequestID: fmt.Sprintf("%016x", g.r.Uint64())}
	heap.Push(&g.entries, queuedEntry{at: at.UnixMicro(), seq: g.entrySeq, e: e})
}

func id(n int64) string { return audit.ObjectIDOf(n) }

func minutes(r *rand.Rand, lo, hi int) time.Duration {
	return time.Duration(lo+r.IntN(hi-lo+1)) * time.Minute
}

// scheduleClient queues the registration of client k. Clients are spread
// evenly over the business hours of the history, in id order.
func (g *generator) scheduleClient(k int64) {
	n := int64(g.size.Clients)
	if k > n {
		return
	}
	wd := (int(g.size.Today.Weekday()) + 6) % 7 // 0 = Monday
	days := int64(5*g.size.HistoryWeeks + min(wd, 5))
	s := int64((float64(k-1) + g.r.Float64()) * float64(days*dayLength) / float64(n))
	day := s / dayLength
	t := g.at(int(day/5), int(day%5), gridFirst, 0).Add(time.Duration(s%dayLength) * time.Second)
	g.nextClientID = k
	g.tasks.add(t, taskClient, nil)
}

// client returns client k from the client generator.
func (g *generator) client(k int64) Client {
	if g.nextClient != nil && g.nextClient.ID == k {
		c := *g.nextClient
		g.nextClient = nil
		return c
	}
	return g.cg.Next(k)
}

// sessions draws the length of a course: a tenth never come, many stop
// within a few sessions, and a long tail stays for years.
func (g *generator) sessions() int {
	r := g.r
	switch p := r.Float64(); {
	case p < 0.10:
		return 0
	case p < 0.28:
		return 1 + r.IntN(3)
	case p < 0.58:
		return 4 + r.IntN(12)
	case p < 0.84:
		return 16 + r.IntN(25)
	default:
		return min(300, 41+int(r.ExpFloat64()*50))
	}
}

// free counts the slots a course could start in at week w.
func (cl *clinician) free(w int, weekly bool) int {
	n := 0
	for c := range cl.until {
		if cl.slotFree(c, w, weekly) {
			n++
		}
	}
	return n
}

func (cl *clinician) slotFree(c, w int, weekly bool) bool {
	u := &cl.until[c]
	if weekly {
		return int(u[0]) <= w && int(u[1]) <= w
	}
	return int(u[w%2]) <= w
}

// reserve holds slot c from week w for n sessions every interval weeks.
func (cl *clinician) reserve(c, w, n, interval int) {
	last := w + (n-1)*interval
	u := &cl.until[c]
	u[last%2] = int32(last + 1)
	if interval == 1 && n > 1 {
		u[(last+1)%2] = int32(last)
	}
}

// allocate finds a clinician with a free slot for a course, in the client's
// office (any clinician for telehealth), from week earliest and for up to
// eight weeks after: of four clinicians drawn, the one with most room.
func (g *generator) allocate(loc *location, tele, weekly bool, earliest int) (*clinician, int, int, bool) {
	pool := loc.staff
	if tele || len(pool) == 0 {
		pool = g.clinicians
	}
	for w := earliest; w < earliest+8; w++ {
		var best *clinician
		bestFree := 0
		for range min(4, len(pool)) {
			cl := pool[g.r.IntN(len(pool))]
			if f := cl.free(w, weekly); f > bestFree {
				best, bestFree = cl, f
			}
		}
		if best == nil {
			continue
		}
		k := g.r.IntN(bestFree)
		for c := range best.until {
			if best.slotFree(c, w, weekly) {
				if k == 0 {
					return best, c, w, true
				}
				k--
			}
		}
	}
	return nil, 0, 0, false
}

// slot is the start of session s of a course.
func (g *generator) slot(crs *course, s int) time.Time {
	w := crs.first + s*crs.interval
	return g.at(w, crs.cell/gridHours, gridFirst+crs.cell%gridHours, 0)
}

// registerClient registers the next client (and a partner, for a couple),
// plans their course, records what the front desk entered and books the
// intake.
func (g *generator) registerClient(at time.Time) {
	k := g.nextClientID
	r := g.r
	c := g.client(k)
	g.clientsDone = k
	next := k + 1
	n := g.sessions()
	weekly := n <= 3 || r.IntN(100) < 65
	tele := r.IntN(100) < 30
	loc := g.locs[r.IntN(len(g.locs))]
	desk := loc.desk[r.IntN(len(loc.desk))]
	var partner *Client
	if r.IntN(100) < 7 && n > 0 && c.Age >= 18 && k < int64(g.size.Clients) {
		p := g.cg.Next(k + 1)
		if p.Age >= 18 {
			partner, next = &p, k+2
		} else {
			g.nextClient = &p
		}
	}
	long := r.IntN(100) < 40
	var crs *course
	if n > 0 {
		if cl, cell, w, ok := g.allocate(loc, tele, weekly, g.week(at)+1+r.IntN(2)); ok {
			interval := 2
			if weekly {
				interval = 1
			}
			cl.reserve(cell, w, n, interval)
			crs = &course{clients: []int64{k}, adult: c.Age >= 18, cl: cl, desk: desk, tele: tele, cell: cell, interval: interval,
				first: w, end: w + (n-1)*interval, sessions: n, typeID: g.types.ind45, code: "90834", minutes: 45,
				folded: [3]string{clients.Fold(c.LastName), clients.Fold(c.FirstName), clients.Fold(c.PreferredName)}}
			if long {
				crs.typeID, crs.code, crs.minutes = g.types.ind55, "90837", 55
			}
			if partner != nil {
				crs.clients = append(crs.clients, partner.ID)
				crs.couple, crs.typeID, crs.code, crs.minutes = true, g.types.couples, "90847", 50
			}
			crs.dx = make([][]int64, len(crs.clients))
			if !tele {
				crs.loc = cl.loc
				if crs.adult && !crs.couple && cl.loc.groups > 0 {
					cl.loc.active = append(cl.loc.active, crs)
				}
			}
		}
	}
	if crs == nil && partner != nil {
		// No room for the couple: the partner registers on their own later.
		g.nextClient, partner, next = partner, nil, k+1
	}
	g.writeClient(&c, at, crs, loc, desk)
	if partner != nil {
		pAt := at.Add(30 * time.Second)
		g.writeClient(partner, pAt, crs, loc, desk)
		g.clientsDone = partner.ID
		for _, pair := range [][2]int64{{c.ID, partner.ID}, {partner.ID, c.ID}} {
			g.l.add("client_relations", pair[0], pair[1], "partner")
			g.audit(pAt.Add(minutes(r, 1, 3)), desk, "frontdesk", audit.ActionUpdate, "client_relation", id(pair[1]), pair[0], "related partner")
		}
	}
	if crs != nil {
		g.bookIntake(crs, at.Add(minutes(r, 8, 15)))
	}
	g.scheduleClient(next)
}

// writeClient writes a client's record as the front desk registered it, and
// their status as their course leaves it now.
func (g *generator) writeClient(c *Client, at time.Time, crs *course, loc *location, desk *staffer) {
	r := g.r
	c.Created = at.Truncate(time.Second)
	c.ReferralSource = pick(r, referralSources)
	if c.Age >= 18 {
		c.MaritalStatus, c.EmploymentStatus = pick(r, maritalStatuses), pick(r, employmentStatus)
	}
	c.LocationID, c.PrimaryClinicianID = loc.id, 0
	var changedAt time.Time // when the status last changed, if after registration
	switch {
	case crs != nil:
		c.PrimaryClinicianID = crs.cl.id
		if crs.tele {
			c.LocationID = g.teleLoc
		} else {
			c.LocationID = crs.loc.id
		}
		c.CareTeam = slices.DeleteFunc(c.CareTeam, func(u int64) bool { return u == crs.cl.id })
		if crs.clients[0] == c.ID {
			crs.careTeam = c.CareTeam
		} else {
			c.CareTeam = nil
		}
		last := g.slot(crs, crs.sessions-1)
		closed := time.Date(last.Year(), last.Month(), last.Day()+14, 10, 0, 0, 0, g.loc).Add(minutes(r, 0, 300))
		switch {
		case closed.After(g.now):
			c.Status = clients.StatusActive
		case g.now.Sub(last) < 180*24*time.Hour:
			c.Status, changedAt = clients.StatusInactive, closed
		default:
			c.Status, changedAt = clients.StatusDischarged, closed
		}
	case g.now.Sub(at) < 6*7*24*time.Hour:
		c.Status = []clients.Status{clients.StatusWaitlist, clients.StatusInquiry}[r.IntN(2)]
		c.CareTeam = nil
	default:
		c.Status, changedAt = []clients.Status{clients.StatusInquiry, clients.StatusDischarged, clients.StatusDischarged}[r.IntN(3)], at.AddDate(0, 0, 30)
		if c.Status == clients.StatusInquiry {
			changedAt = time.Time{}
		}
		c.CareTeam = nil
	}
	c.StatusDate = c.Created.Format(time.DateOnly)
	if !changedAt.IsZero() {
		c.StatusDate, c.Updated = changedAt.Format(time.DateOnly), changedAt.Truncate(time.Second)
	}
	created := db.Micros(c.Created)
	g.l.add("clients", c.Row()...)
	for _, row := range c.PhoneRows() {
		g.l.add("client_phones", row...)
	}
	for _, row := range c.CareTeamRows() {
		g.l.add("client_care_team", row...)
	}
	g.audit(c.Created, desk, "frontdesk", audit.ActionCreate, "client", id(c.ID), c.ID, "")
	t := c.Created

	// Contacts: a guardian for a minor, an emergency contact for most adults.
	if c.Age < 18 || r.IntN(100) < 55 {
		g.ids.contact++
		kind, rel := "emergency", pick(r, emergencyRelation)
		birth := ""
		if c.Age < 18 {
			kind, rel = "guardian", pick(r, guardianRelation)
			birth = g.size.Today.AddDate(-c.Age-25-r.IntN(15), 0, -r.IntN(365)).Format(time.DateOnly)
		}
		name := pick(r, staffFirstNames) + " " + c.LastName
		phone := fmt.Sprintf("(%d) 555-01%02d", []int{312, 773, 847, 708, 630}[r.IntN(5)], r.IntN(100))
		g.l.add("client_contacts", g.ids.contact, c.ID, kind, name, rel, phone, "", "", birth, created)
		t = t.Add(minutes(r, 1, 2))
		g.audit(t, desk, "frontdesk", audit.ActionCreate, "client_contact", id(g.ids.contact), c.ID, "kind "+kind)
	}
	if crs == nil {
		if c.Status == clients.StatusWaitlist {
			g.ids.waitlist++
			modality := []string{"any", "in_person", "telehealth"}[r.IntN(3)]
			urgency := []string{"routine", "routine", "soon", "urgent"}[r.IntN(4)]
			early, late := []int{0, 480, 540, 720}[r.IntN(4)], []int{1440, 1020, 1080, 1200}[r.IntN(4)]
			g.l.add("waitlist", g.ids.waitlist, c.ID, []int{127, 62, 42, 20}[r.IntN(4)], early, max(late, early+60), modality, urgency,
				"", "waiting", desk.id, created, created)
			t = t.Add(minutes(r, 1, 3))
			g.audit(t, desk, "frontdesk", audit.ActionCreate, "waitlist", id(g.ids.waitlist), c.ID, "")
		}
		if !changedAt.IsZero() {
			g.audit(changedAt, desk, "frontdesk", audit.ActionUpdate, "client", id(c.ID), c.ID, "fields status, status_date")
		}
		return
	}

	// Insurance for most clients who come.
	if r.IntN(100) < 80 {
		ranks := 1
		if r.IntN(100) < 12 {
			ranks = 2
		}
		for rank := 1; rank <= ranks; rank++ {
			g.ids.policy++
			payer := g.payers[min(len(g.payers)-1, int(r.ExpFloat64()*3))]
			if rank == 2 {
				payer = g.payers[r.IntN(len(g.payers))]
			}
			rel, first, last, birth, sex := "self", c.FirstName, c.LastName, c.BirthDate, c.Sex
			if c.Age < 18 {
				rel, first = "child", pick(r, staffFirstNames)
				birth = g.size.Today.AddDate(-c.Age-25-r.IntN(15), 0, -r.IntN(365)).Format(time.DateOnly)
				sex = []string{"F", "M"}[r.IntN(2)]
			}
			member := fmt.Sprintf("%c%c%c%09d", 'A'+r.IntN(26), 'A'+r.IntN(26), 'A'+r.IntN(26), r.IntN(1_000_000_000))
			g.l.add("insurance_policies", g.ids.policy, c.ID, payer, rank, rel, first, last, birth, sex,
				c.AddressLine1+", "+c.City+", "+c.State+" "+c.PostalCode, member, fmt.Sprintf("%06d", r.IntN(1_000_000)),
				pick(r, []string{"PPO", "HMO", "POS", "EPO", "Choice Plus", "Medicaid managed care"}),
				c.Created.AddDate(0, -r.IntN(24), 0).Format(time.DateOnly), []int{0, 1500, 2000, 2500, 3000, 4000}[r.IntN(6)],
				[]int{0, 0, 1000, 2000}[r.IntN(4)], []int{0, 50000, 100000, 250000}[r.IntN(4)], true, created, created)
			t = t.Add(minutes(r, 1, 3))
			g.audit(t, desk, "frontdesk", audit.ActionCreate, "insurance_policy", id(g.ids.policy), c.ID, "")
		}
	}
	// Consents signed at registration.
	kinds := []string{"treatment", "privacy_notice", "financial_policy"}
	if crs.tele {
		kinds = append(kinds, "telehealth")
	}
	if r.IntN(100) < 10 {
		kinds = append(kinds, "release")
	}
	signed := c.Created.Format(time.DateOnly)
	for _, kind := range kinds {
		g.ids.consent++
		expires, recipient, purpose, scope := "", "", "", ""
		if kind == "release" {
			expires = c.Created.AddDate(1, 0, 0).Format(time.DateOnly)
			recipient, purpose, scope = "Primary care physician", "Coordination of care", "Diagnosis, treatment dates and summary"
		}
		g.l.add("client_consents", g.ids.consent, c.ID, kind, signed, expires, recipient, purpose, scope, false, desk.id, created)
		t = t.Add(minutes(r, 1, 2))
		g.audit(t, desk, "frontdesk", audit.ActionCreate, "client_consent", id(g.ids.consent), c.ID, "kind "+kind)
	}
	if r.IntN(100) < 4 {
		g.ids.alert++
		a := alertTexts[r.IntN(len(alertTexts))]
		g.l.add("client_alerts", g.ids.alert, c.ID, a.kind, a.text, desk.id, created)
		t = t.Add(minutes(r, 1, 2))
		g.audit(t, desk, "frontdesk", audit.ActionCreate, "client_alert", id(g.ids.alert), c.ID, "kind "+a.kind)
	}
	if !changedAt.IsZero() {
		g.audit(changedAt, &crs.cl.staffer, crs.cl.role, audit.ActionUpdate, "client", id(c.ID), c.ID, "fields status, status_date")
	}
}

// newOccurrence makes session s of a course, booked at bookedAt, and
// decides what will happen to it.
func (g *generator) newOccurrence(crs *course, s int, bookedAt time.Time) *occurrence {
	start := g.slot(crs, s)
	o := &occurrence{crs: crs, start: start, typeID: crs.typeID, code: crs.code, bookedAt: bookedAt}
	mins := crs.minutes
	if s == 0 && !crs.couple {
		o.intake, o.typeID, o.code, mins = true, g.types.intake, "90791", 60
	}
	o.end = start.Add(time.Duration(mins) * time.Minute)
	g.decide(o, crs.cl)
	return o
}

// decide draws an occurrence's fate: most happen, some are cancelled by the
// client (some of those late) or the clinician, a few are missed.
func (g *generator) decide(o *occurrence, cl *clinician) {
	r := g.r
	earliest := o.bookedAt.Add(10 * time.Minute)
	switch p := r.IntN(100); {
	case p < 80:
	case p < 88:
		o.outcome, o.reason = cancelledByClient, pick(r, cancelReasons)
		if r.IntN(8) < 3 {
			o.eventAt = o.start.Add(-minutes(r, 60, 20*60))
		} else {
			o.eventAt = o.start.Add(-minutes(r, 26*60, 6*24*60))
		}
		o.waive = r.IntN(5) == 0
	case p < 91:
		o.outcome, o.reason = cancelledByClinician, pick(r, clinicianReasons)
		o.eventAt = o.start.Add(-minutes(r, 60, 4*24*60))
	default:
		o.outcome, o.eventAt = noShow, o.start.Add(minutes(r, 15, 25))
		o.waive = r.IntN(4) == 0
	}
	if o.outcome == cancelledByClient || o.outcome == cancelledByClinician {
		if o.eventAt.Before(earliest) {
			o.eventAt = earliest
		}
		if !o.eventAt.Before(o.start.Add(-30 * time.Minute)) {
			o.outcome, o.reason, o.eventAt = completed, "", time.Time{}
		}
	}
	o.readAt = o.start.Add(-minutes(r, 5, 45))
	o.checkIn = o.start.Add(-minutes(r, 0, 12))
	o.complete = o.end.Add(minutes(r, 1, 10))
	if o.readAt.Before(earliest) {
		o.readAt = earliest
	}
	if o.checkIn.Before(earliest) {
		o.checkIn = earliest
	}
}

func blockSize(interval int) int {
	if interval == 1 {
		return 12
	}
	return 6
}

// bookIntake books a course's first session on its own, as the front desk
// does while the client is on the phone.
func (g *generator) bookIntake(crs *course, at time.Time) {
	o := g.newOccurrence(crs, 0, at)
	o.nextBlock = crs.sessions > 1
	crs.booked = 1
	g.ids.appointment++
	o.id = g.ids.appointment
	g.writeAppointment(o, 0, crs.clients, 1, "")
	for _, c := range crs.clients {
		g.audit(at, crs.desk, "frontdesk", audit.ActionCreate, "appointment", id(o.id), c, "")
	}
}

// bookBlock books the course's next block of sessions as a series.
func (g *generator) bookBlock(crs *course, at time.Time) {
	n := min(blockSize(crs.interval), crs.sessions-crs.booked)
	if n <= 0 {
		return
	}
	var series int64
	if n > 1 {
		g.ids.series++
		series = g.ids.series
		rule := fmt.Sprintf("FREQ=WEEKLY;COUNT=%d", n)
		if crs.interval == 2 {
			rule = fmt.Sprintf("FREQ=WEEKLY;INTERVAL=2;COUNT=%d", n)
		}
		g.l.add("appointment_series", series, rule, TimeZone, crs.desk.id, db.Micros(at))
	}
	var firstID int64
	for i := range n {
		o := g.newOccurrence(crs, crs.booked+i, at)
		o.nextBlock = i == n-1 && crs.booked+n < crs.sessions
		g.ids.appointment++
		o.id = g.ids.appointment
		if i == 0 {
			firstID = o.id
		}
		g.writeAppointment(o, series, crs.clients, 1, "")
	}
	crs.booked += n
	detail := ""
	if n > 1 {
		detail = fmt.Sprintf("series of %d", n)
	}
	for _, c := range crs.clients {
		g.audit(at, crs.desk, "frontdesk", audit.ActionCreate, "appointment", id(firstID), c, detail)
	}
}

// writeAppointment writes an appointment as it stands now, with its
// clients and history, and queues its events.
func (g *generator) writeAppointment(o *occurrence, series int64, clientIDs []int64, capacity int, note string) {
	var cl *clinician
	var desk *staffer
	var loc, room any
	tele, video := false, ""
	if o.grp != nil {
		cl, desk, loc, room = o.grp.leader, o.grp.desk, o.grp.loc.id, o.grp.loc.groupRoom
	} else {
		cl, desk = o.crs.cl, o.crs.desk
		if o.crs.tele {
			loc, tele, video = g.teleLoc, true, fmt.Sprintf("https://video.example.com/lakeshore/%d", cl.id)
		} else {
			loc, room = o.crs.loc.id, cl.room
		}
	}
	now := g.now
	status, blocks := "scheduled", true
	cancelledBy, late, fee, reason := "", false, 0, ""
	var checkedIn, checkedOut any
	version, updated := 1, o.bookedAt
	events := [][]any{{o.id, "", "scheduled", "", desk.id, db.Micros(o.bookedAt)}}
	event := func(to string, at time.Time, by *staffer, why string) {
		events = append(events, []any{o.id, status, to, why, by.id, db.Micros(at)})
		status, updated = to, at
		version++
	}
	attendance := "expected"
	switch o.outcome {
	case completed:
		checker := desk
		if tele {
			checker = &cl.staffer
		}
		if !o.checkIn.After(now) {
			checkedIn = db.Micros(o.checkIn)
			event("checked_in", o.checkIn, checker, "")
		}
		if !o.complete.After(now) {
			checkedOut = db.Micros(o.complete)
			event("completed", o.complete, &cl.staffer, "")
		}
	case cancelledByClient, cancelledByClinician:
		if !o.eventAt.After(now) {
			by, who := desk, "client"
			if o.outcome == cancelledByClinician {
				by, who = &cl.staffer, "clinician"
			} else if o.start.Sub(o.eventAt) < 24*time.Hour {
				late = true
				if !o.waive {
					fee = lateCancelFee
				}
			}
			event("cancelled", o.eventAt, by, o.reason)
			blocks, cancelledBy, reason, attendance = false, who, o.reason, "cancelled"
		}
	case noShow:
		if !o.eventAt.After(now) {
			event("no_show", o.eventAt, desk, "")
			blocks, attendance = false, "absent"
			if !o.waive {
				fee = noShowFee
			}
		}
	}
	g.l.add("appointments", o.id, nullID(series), cl.id, o.typeID, loc, room, tele, video, db.Micros(o.start), db.Micros(o.end),
		status, blocks, cancelledBy, late, fee, reason, checkedIn, checkedOut, capacity, note, version, desk.id,
		db.Micros(o.bookedAt), db.Micros(updated))
	for i, c := range clientIDs {
		a := attendance
		if o.grp != nil && status == "completed" && !o.complete.Add(2*time.Minute).After(now) {
			a = map[bool]string{true: "attended", false: "absent"}[o.attended[i]]
		}
		g.l.add("appointment_clients", o.id, c, a, db.Micros(o.start))
	}
	for _, e := range events {
		g.l.add("appointment_events", e...)
	}
	// Queue the occurrence at its first event, if anything happens by now.
	first := time.Time{}
	consider := func(t time.Time) {
		if !t.IsZero() && !t.After(now) && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	switch o.outcome {
	case completed:
		if o.grp == nil {
			consider(o.readAt)
		}
		consider(o.checkIn)
	default:
		consider(o.eventAt)
	}
	if o.nextBlock {
		consider(o.end.Add(5 * time.Minute))
	}
	if !first.IsZero() {
		g.tasks.add(first, taskOccurrence, o)
	}
}

// happen replays an individual or couple session's events.
func (g *generator) happen(o *occurrence) {
	crs, r := o.crs, g.r
	cl := crs.cl
	switch o.outcome {
	case completed:
		g.audit(o.readAt, &cl.staffer, cl.role, audit.ActionRead, "client", id(crs.clients[0]), crs.clients[0], "section chart")
		checker, role := crs.desk, "frontdesk"
		if crs.tele {
			checker, role = &cl.staffer, cl.role
		}
		for _, c := range crs.clients {
			g.audit(o.checkIn, checker, role, audit.ActionUpdate, "appointment", id(o.id), c, "status scheduled to checked_in")
		}
		for _, c := range crs.clients {
			g.audit(o.complete, &cl.staffer, cl.role, audit.ActionUpdate, "appointment", id(o.id), c, "status checked_in to completed")
		}
		if o.complete.After(g.now) {
			break
		}
		if !crs.diagnosed {
			crs.diagnosed = true
			g.diagnose(crs, o.complete.Add(minutes(r, 2, 6)))
		}
		if !o.start.Before(g.notesFrom) {
			kind := cl.progress
			switch {
			case o.intake:
				kind = notes.Intake
			case crs.couple:
				kind = notes.CouplesFamily
			}
			created := o.complete.Add(minutes(r, 2, 20))
			for i, c := range crs.clients {
				g.writeNote(o, cl, kind, c, crs.dx[i], 0, "", crs.tele, created)
			}
		}
	case cancelledByClient, cancelledByClinician:
		by, role := crs.desk, "frontdesk"
		if o.outcome == cancelledByClinician {
			by, role = &cl.staffer, cl.role
		}
		detail := "status scheduled to cancelled"
		if o.outcome == cancelledByClient && o.start.Sub(o.eventAt) < 24*time.Hour {
			detail += " (late)"
		}
		for _, c := range crs.clients {
			g.audit(o.eventAt, by, role, audit.ActionUpdate, "appointment", id(o.id), c, detail)
		}
	case noShow:
		for _, c := range crs.clients {
			g.audit(o.eventAt, crs.desk, "frontdesk", audit.ActionUpdate, "appointment", id(o.id), c, "status scheduled to no_show")
		}
	}
	if o.nextBlock {
		if at := o.end.Add(5 * time.Minute); !at.After(g.now) {
			g.bookBlock(crs, at)
		}
	}
}

// day is a working day's start: everyone signs in, and on Mondays new
// groups are formed and booked.
func (g *generator) day(at time.Time) {
	w, wd := g.week(at), (int(at.Weekday())+6)%7
	if wd == 0 {
		g.formGroups(w, at)
	}
	for _, s := range g.staff {
		g.audit(at.Add(minutes(g.r, 10, 45)).Add(time.Duration(g.r.IntN(60))*time.Second), s, "", audit.ActionLogin, "user", id(s.id), 0, "password")
	}
	if wd == 4 {
		g.tasks.add(g.at(w+1, 0, 6, 30), taskDay, nil)
	} else {
		g.tasks.add(g.at(w, wd+1, 6, 30), taskDay, nil)
	}
}

// formGroups starts a new twelve-week group for each leader whose last one
// has ended, with members drawn from adults in individual treatment at the
// office, each in one group at most.
func (g *generator) formGroups(w int, at time.Time) {
	r := g.r
	for _, cl := range g.leaders {
		if cl.groupUntil > w {
			continue
		}
		loc := cl.loc
		loc.active = slices.DeleteFunc(loc.active, func(c *course) bool { return c.end <= w || c.grouped })
		want := 5 + r.IntN(4)
		var members []*course
		for range 4 * want {
			if len(members) == want || len(loc.active) == 0 {
				break
			}
			c := loc.active[r.IntN(len(loc.active))]
			if c.first <= w && c.end >= w+12 && !c.grouped && !slices.Contains(members, c) {
				members = append(members, c)
			}
		}
		if len(members) < 3 {
			continue
		}
		bookAt := at.Add(2*time.Hour + minutes(r, 30, 90))
		if bookAt.After(g.now) {
			return
		}
		cl.groupUntil = w + 13
		desk := loc.desk[r.IntN(len(loc.desk))]
		co := &cohort{leader: cl, loc: loc, members: members, desk: desk}
		ids := make([]int64, len(members))
		for i, m := range members {
			m.grouped = true
			ids[i] = m.clients[0]
			if m.cl != cl && !slices.Contains(m.careTeam, cl.id) {
				m.careTeam = append(m.careTeam, cl.id)
				g.l.add("client_care_team", m.clients[0], cl.id, m.folded[0], m.folded[1], m.folded[2])
				g.audit(bookAt, desk, "frontdesk", audit.ActionUpdate, "client", id(m.clients[0]), m.clients[0], "fields care_team")
			}
		}
		g.ids.series++
		series := g.ids.series
		g.l.add("appointment_series", series, "FREQ=WEEKLY;COUNT=12", TimeZone, desk.id, db.Micros(bookAt))
		var firstID int64
		for s := range 12 {
			start := g.at(w+1+s, cl.groupDay, groupHour, 0)
			o := &occurrence{grp: co, start: start, end: start.Add(90 * time.Minute), typeID: g.types.group, code: "90853", bookedAt: bookAt}
			if r.IntN(100) < 3 {
				o.outcome, o.reason = cancelledByClinician, pick(r, clinicianReasons)
				o.eventAt = start.Add(-minutes(r, 120, 3*24*60))
			}
			o.checkIn = start.Add(-2 * time.Minute)
			o.complete = o.end.Add(minutes(r, 1, 5))
			o.attended = make([]bool, len(members))
			for i := range members {
				o.attended[i] = r.IntN(100) < 85
			}
			g.ids.appointment++
			o.id = g.ids.appointment
			if s == 0 {
				firstID = o.id
			}
			g.writeAppointment(o, series, ids, 8, cl.groupName)
		}
		for _, c := range ids {
			g.audit(bookAt, desk, "frontdesk", audit.ActionCreate, "appointment", id(firstID), c, "series of 12")
		}
	}
}

// happenGroup replays a group session's events.
func (g *generator) happenGroup(o *occurrence) {
	co := o.grp
	cl := co.leader
	if o.outcome != completed {
		for _, m := range co.members {
			g.audit(o.eventAt, &cl.staffer, cl.role, audit.ActionUpdate, "appointment", id(o.id), m.clients[0], "status scheduled to cancelled")
		}
		return
	}
	for _, m := range co.members {
		g.audit(o.checkIn, &cl.staffer, cl.role, audit.ActionUpdate, "appointment", id(o.id), m.clients[0], "status scheduled to checked_in")
	}
	for _, m := range co.members {
		g.audit(o.complete, &cl.staffer, cl.role, audit.ActionUpdate, "appointment", id(o.id), m.clients[0], "status checked_in to completed")
	}
	marked := o.complete.Add(2 * time.Minute)
	for _, m := range co.members {
		g.audit(marked, &cl.staffer, cl.role, audit.ActionUpdate, "appointment", id(o.id), m.clients[0], "changed attendance")
	}
	created := marked.Add(minutes(g.r, 5, 30))
	if created.After(g.now) || o.start.Before(g.notesFrom) {
		return
	}
	// One note per member present, sharing the narrative and a group key:
	// the first note's id.
	narrative := pick(g.r, groupNarratives)
	var present []*course
	for i, m := range co.members {
		if o.attended[i] {
			present = append(present, m)
		}
	}
	var groupKey int64
	if len(present) > 1 {
		groupKey = g.ids.note + 1
	}
	for _, m := range present {
		g.writeNote(o, cl, notes.GroupNote, m.clients[0], m.dx[0], groupKey, narrative, false, created)
	}
}
