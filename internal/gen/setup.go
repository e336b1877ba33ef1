package gen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/icd10"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// StaffDomain is the domain of every generated staff email address:
// admin@lakeshore.example is the first administrator.
const StaffDomain = "lakeshore.example"

// The grid: each clinician works hour slots 08:00–17:00 (starts), Monday to
// Friday. A slot holds any individual, couple or intake session (60 minutes
// at most); groups meet at 18:00, after the grid, so that neither their
// leader nor their members can be double-booked by them.
const (
	gridDays  = 5
	gridHours = 10
	gridFirst = 8
	gridCells = gridDays * gridHours
	groupHour = 18
)

// staffer is a member of staff as the audit log sees them.
type staffer struct {
	id          int64
	name, email string
	credentials string
	role        string // the role their actions are recorded under
	ip, ua      string
}

// clinician is a staffer who treats clients, with their weekly grid.
type clinician struct {
	staffer
	idx       int
	loc       *location
	room      int64
	associate bool
	// supervisor co-signs an associate's notes.
	supervisor *clinician
	progress   notes.Kind // the progress note format they use
	signature  string     // name and credentials, as notes are signed
	// until[cell][parity] is one past the last week of that parity the slot
	// is held: the slot is free in week w (of parity w%2) when until ≤ w.
	until [gridCells][2]int32
	// groupDay is the weekday (0 = Monday) of the group they lead, or -1.
	groupDay   int
	groupName  string
	groupUntil int // the week after their current group's last session
}

// location is an in-person office.
type location struct {
	id        int64
	name      string
	groupRoom int64
	staff     []*clinician
	desk      []*staffer
	// active lists courses held here, for group members; ended ones are
	// dropped as they are met.
	active []*course
	groups int // weekdays taken by groups
}

// practice is the generated practice's staff, places and lists.
type practice struct {
	admins     []*staffer
	desk       []*staffer
	billers    []*staffer
	clinicians []*clinician
	leaders    []*clinician
	staff      []*staffer // everyone, in id order
	locs       []*location
	teleLoc    int64
	teleDesk   []*staffer
	types      struct{ intake, ind45, ind55, couples, group int64 }
	templates  map[notes.Kind]int64
	payers     []int64
	codes      []weightedCode
	codeWeight int
}

type weightedCode struct {
	code   icd10.Code
	weight int
	minor  bool
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
}

// setupPractice writes the single rows (the practice, the scheduling
// policy), the built-in note templates and the first data key, before the
// bulk load starts.
func (g *generator) setupPractice() error {
	ctx, d := g.ctx, g.d
	created := db.Micros(g.setupAt)
	err := d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO practice (id, name, address_line1, city, state, postal_code, phone, tax_id, group_npi,
			time_zone, created_at, updated_at) VALUES (1, 'Lakeshore Behavioral Health Group', '200 W Madison St, Suite 1400', 'Chicago', 'IL',
			'60606', '(312) 555-0100', '36-4815162', $1, $2, $3, $3)`, withCheckDigit("124531959"), TimeZone, created); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE scheduling_policy SET late_cancel_hours = 24, no_show_fee_cents = $1, late_cancel_fee_cents = $2,
			version = version + 1, updated_at = $3 WHERE id = 1`, noShowFee, lateCancelFee, created)
		return err
	})
	if err != nil {
		return fmt.Errorf("practice: %w", err)
	}
	if g.templates, err = ensureTemplates(ctx, d, g.setupAt); err != nil {
		return err
	}
	for _, k := range []notes.Kind{notes.Intake, notes.ProgressSOAP, notes.ProgressDAP, notes.ProgressBIRP, notes.CouplesFamily, notes.GroupNote} {
		if g.templates[k] == 0 {
			return fmt.Errorf("no built-in %s template", k)
		}
	}
	// The first seal creates the data key: do it now, outside the load.
	if _, err := g.sealer.Encrypt(ctx, []byte("{}"), "gen.warmup:0"); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	for _, c := range commonCodes {
		code, ok := icd10.Lookup(c.code)
		if !ok {
			continue
		}
		g.codes = append(g.codes, weightedCode{code: code, weight: c.weight, minor: c.minor})
		g.codeWeight += c.weight
	}
	if len(g.codes) == 0 {
		return fmt.Errorf("none of the diagnosis codes is billable")
	}
	return nil
}

// stateOf names the state of a ZIP code of the offices' region.
func stateOf(zip string) string {
	switch zip[:2] {
	case "46":
		return "IN"
	case "53":
		return "WI"
	}
	return "IL"
}

// withCheckDigit appends the NPI Luhn check digit to nine digits.
func withCheckDigit(nine string) string {
	digits := "80840" + nine
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return nine + strconv.Itoa((10-sum%10)%10)
}

// setupRows writes the staff, offices, rooms, appointment types, schedules
// and payers, with the entries their creation left in the log: all of it by
// the first administrator in the two weeks before the first client.
func (g *generator) setupRows() {
	r, at := g.r, g.setupAt
	tick := func() time.Time { at = at.Add(time.Duration(20+r.IntN(60)) * time.Second); return at }
	created := db.Micros(g.setupAt)
	c := g.size.Clinicians
	nLocs := max(1, (c+14)/15)

	// Offices first (ids 1…), then the telehealth location.
	for i := range nLocs {
		n := neighbourhoods[i%len(neighbourhoods)]
		name := "Lakeshore " + n.name
		if i >= len(neighbourhoods) {
			name += fmt.Sprintf(" %d", i/len(neighbourhoods)+1)
		}
		l := &location{id: int64(i + 1), name: name}
		g.locs = append(g.locs, l)
		g.l.add("locations", l.id, name, fmt.Sprintf("%d %s", 100+r.IntN(4900), officeStreets[i%len(officeStreets)]), n.city,
			stateOf(n.zip), n.zip, "11", true, created, created)
	}
	g.teleLoc = int64(nLocs + 1)
	g.l.add("locations", g.teleLoc, "Telehealth", "", "", "", "", "10", true, created, created)

	// Staff: administrators, front desk (two to an office), billers, then clinicians.
	usedEmails := map[string]bool{}
	common := newZipf(lastNames)
	var nextID int64
	newStaffer := func(role string, creds string) *staffer {
		nextID++
		first, last := staffFirstNames[r.IntN(len(staffFirstNames))], surname(r, common)
		email := strings.NewReplacer(" ", "", "'", "").Replace(clients.Fold(first) + "." + clients.Fold(last))
		if nextID == 1 {
			email = "admin"
		}
		for base, k := email, 2; usedEmails[email]; k++ {
			email = fmt.Sprintf("%s%d", base, k)
		}
		usedEmails[email] = true
		s := &staffer{id: nextID, name: first + " " + last, email: email + "@" + StaffDomain, credentials: creds, role: role,
			ip: fmt.Sprintf("10.%d.%d.%d", 20+int(nextID)/50000, int(nextID)/250%200, 10+int(nextID)%250), ua: userAgents[r.IntN(len(userAgents))]}
		g.staff = append(g.staff, s)
		return s
	}
	for range max(1, c/100) {
		g.admins = append(g.admins, newStaffer("admin", ""))
	}
	for _, l := range g.locs {
		for range 2 {
			s := newStaffer("frontdesk", "")
			l.desk = append(l.desk, s)
			g.desk = append(g.desk, s)
		}
	}
	// Telehealth clients are booked by whoever answers the phone.
	g.teleDesk = g.desk
	for range max(1, c/20) {
		g.billers = append(g.billers, newStaffer("biller", ""))
	}
	progressKinds := []notes.Kind{notes.ProgressSOAP, notes.ProgressSOAP, notes.ProgressDAP, notes.ProgressBIRP}
	for i := range c {
		associate := i%8 == 7
		creds := pick(r, licensedCredentials)
		role := "clinician"
		if associate {
			creds, role = pick(r, associateCredentials), "associate"
		}
		s := newStaffer(role, creds)
		cl := &clinician{staffer: *s, idx: i, loc: g.locs[i%nLocs], associate: associate, progress: progressKinds[r.IntN(len(progressKinds))],
			signature: s.name + ", " + creds, groupDay: -1}
		g.staff[len(g.staff)-1] = &cl.staffer // one staffer, shared
		cl.loc.staff = append(cl.loc.staff, cl)
		g.clinicians = append(g.clinicians, cl)
	}
	admin := g.admins[0]
	g.audit(tick(), admin, "admin", audit.ActionCreate, "practice", "1", 0, "setup")
	supervisors := map[int64]bool{}
	for _, cl := range g.clinicians {
		if cl.idx%8 == 0 {
			supervisors[cl.id] = true
		}
	}
	for _, s := range g.staff {
		roles := []string{s.role}
		if supervisors[s.id] {
			roles = append(roles, "supervisor")
		}
		npi := ""
		if s.role == "clinician" {
			npi = withCheckDigit(fmt.Sprintf("1%08d", r.IntN(100_000_000)))
		}
		g.l.add("users", s.id, s.email, s.name, s.credentials, npi, "active", g.passwordHash, created, created, created)
		for _, role := range roles {
			g.l.add("user_roles", s.id, role)
		}
		g.audit(tick(), admin, "admin", audit.ActionCreate, "user", audit.ObjectIDOf(s.id), 0, "roles "+strings.Join(roles, ","))
	}
	// Each associate is supervised by the supervisor of their block of
	// eight, and some also by the next block's.
	since := g.setupAt.Format(time.DateOnly)
	for _, cl := range g.clinicians {
		if !cl.associate {
			continue
		}
		cl.supervisor = g.clinicians[cl.idx-7]
		g.l.add("supervision", cl.supervisor.id, cl.id, true, since)
		if next := cl.idx + 1; next < len(g.clinicians) && r.IntN(3) == 0 {
			g.l.add("supervision", g.clinicians[next].id, cl.id, false, since)
		}
		g.audit(tick(), admin, "admin", audit.ActionUpdate, "supervision", audit.ObjectIDOf(cl.id), 0, "")
	}
	for _, l := range g.locs {
		g.audit(tick(), admin, "admin", audit.ActionCreate, "location", audit.ObjectIDOf(l.id), 0, "")
	}
	g.audit(tick(), admin, "admin", audit.ActionCreate, "location", audit.ObjectIDOf(g.teleLoc), 0, "")

	// Rooms: an office for each clinician, and a group room, at each location.
	var room int64
	for _, l := range g.locs {
		for k, cl := range l.staff {
			room++
			cl.room = room
			g.l.add("rooms", room, l.id, fmt.Sprintf("Office %d%02d", 1+k/12, 1+k%12), true, created)
			g.audit(tick(), admin, "admin", audit.ActionCreate, "room", audit.ObjectIDOf(room), 0, "")
		}
		room++
		l.groupRoom = room
		g.l.add("rooms", room, l.id, "Group room", true, created)
		g.audit(tick(), admin, "admin", audit.ActionCreate, "room", audit.ObjectIDOf(room), 0, "")
	}

	// Appointment types.
	types := []struct {
		id               *int64
		name, code, kind string
		minutes, cap     int
		color            string
		tele, online     bool
	}{
		{&g.types.intake, "Intake assessment", "90791", "intake", 60, 1, "#7a4f9e", true, true},
		{&g.types.ind45, "Individual psychotherapy, 45 min", "90834", "individual", 45, 1, "#2f6f8f", true, false},
		{&g.types.ind55, "Individual psychotherapy, 55 min", "90837", "individual", 55, 1, "#2f8f6f", true, false},
		{&g.types.couples, "Couples therapy", "90847", "couple", 50, 2, "#b3652b", true, false},
		{&g.types.group, "Group psychotherapy", "90853", "group", 90, 8, "#8f2f4f", false, false},
	}
	for i, t := range types {
		*t.id = int64(i + 1)
		g.l.add("appointment_types", *t.id, t.name, t.minutes, t.code, t.color, t.kind, t.cap, t.tele, t.online, true, created, created)
		g.audit(tick(), admin, "admin", audit.ActionCreate, "appointment_type", audit.ObjectIDOf(*t.id), 0, "")
	}

	// Weekly availability: the grid, and the group evening for leaders.
	// One in eight licensed clinicians leads a group, if their office has
	// a weekday evening free (Monday to Thursday).
	for _, cl := range g.clinicians {
		if cl.idx%8 == 1 && cl.loc.groups < 4 {
			cl.groupDay = cl.loc.groups
			cl.loc.groups++
			cl.groupName = groupNames[r.IntN(len(groupNames))]
			g.leaders = append(g.leaders, cl)
		}
		for d := range gridDays {
			g.l.add("availability", cl.id, cl.loc.id, d+1, gridFirst*60, (gridFirst+gridHours)*60, created)
		}
		if cl.groupDay >= 0 {
			g.l.add("availability", cl.id, cl.loc.id, cl.groupDay+1, groupHour*60, groupHour*60+90, created)
		}
		g.audit(tick(), admin, "admin", audit.ActionUpdate, "availability", audit.ObjectIDOf(cl.id), 0, "")
	}
	g.audit(tick(), admin, "admin", audit.ActionUpdate, "scheduling_policy", "1", 0, "")

	// The payer directory, entered by a biller.
	biller := g.billers[0]
	for i, p := range payerList {
		id := int64(i + 1)
		g.payers = append(g.payers, id)
		g.l.add("payers", id, p.name, p.eid, p.cfi, fmt.Sprintf("PO Box %d", 1000+r.IntN(90000)), "Chicago", "IL",
			fmt.Sprintf("606%02d", r.IntN(100)), fmt.Sprintf("(800) 555-01%02d", r.IntN(100)), created, created)
		g.audit(tick(), biller, "biller", audit.ActionCreate, "payer", audit.ObjectIDOf(id), 0, "")
	}
}
