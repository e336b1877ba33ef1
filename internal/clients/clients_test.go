package clients

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

type practice struct {
	t       *testing.T
	d       *db.DB
	svc     *Service
	log     *audit.Log
	clk     *clock.Fake
	keyring *crypto.Keyring
	staff   map[string]access.Actor
}

// aPracticeWithStaff has one user per role, plus a second clinician ("other")
// and an associate supervised by the supervisor.
func aPracticeWithStaff(t *testing.T, d *db.DB) *practice {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 6, 15, 14, 0, 0, 0, time.UTC))
	l := audit.NewLog(d, clk, access.Policy{ClientRule: CaseloadRule(d, clk)})
	k := crypto.NewKeyring(d, crypto.GenerateMasterKey(), clk)
	p := &practice{t: t, d: d, log: l, clk: clk, keyring: k, svc: NewService(d, clk, l, k), staff: map[string]access.Actor{}}
	for _, s := range []struct {
		name string
		role access.Role
	}{{"admin", access.RoleAdmin}, {"clinician", access.RoleClinician}, {"other", access.RoleClinician},
		{"associate", access.RoleAssociate}, {"supervisor", access.RoleSupervisor}, {"frontdesk", access.RoleFrontDesk}, {"biller", access.RoleBiller}} {
		var id int64
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, password_hash, password_changed_at, created_at, updated_at)
				VALUES ($1, $2, 'x', 0, 0, 0) RETURNING id`, s.name+"@example.org", s.name).Scan(&id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, string(s.role))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		p.staff[s.name] = access.Actor{UserID: id, Roles: []access.Role{s.role}}
	}
	if err := p.svc.SetSupervisors(ctx, p.staff["admin"], p.staff["associate"].UserID, []int64{p.staff["supervisor"].UserID}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *practice) register(who string, in Input) Client {
	p.t.Helper()
	c, err := p.svc.Create(context.Background(), p.staff[who], in)
	if err != nil {
		p.t.Fatalf("register %s %s: %v", in.FirstName, in.LastName, err)
	}
	return c
}

func aClient(first, last, dob string) Input {
	return Input{FirstName: first, LastName: last, BirthDate: dob, Phones: []Phone{{Kind: "mobile", Number: "(555) 201-3344", CanText: true}}}
}

func TestCreateValidates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		p := aPracticeWithStaff(t, d)
		in := Input{FirstName: "", LastName: "Lee", BirthDate: "2030-01-01", Email: "not-an-email", SSN: "666-12-3456",
			Phones: []Phone{{Kind: "pager", Number: "12"}}, Address: Address{State: "Ohio", PostalCode: "4321"}, Races: []string{"purple"}}
		_, err := p.svc.Create(context.Background(), p.staff["frontdesk"], in)
		fields := apperr.As(err).Fields
		for _, k := range []string{"first_name", "birth_date", "email", "ssn", "phone_1", "phone_1_kind", "state", "postal_code", "races"} {
			if fields[k] == "" {
				t.Errorf("no error for %s; fields = %v", k, fields)
			}
		}
		var n int
		d.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM clients`).Scan(&n)
		if n != 0 {
			t.Errorf("an invalid registration saved %d rows", n)
		}
	})
}

func TestCreateAssignsMRNSealsSSNAndWarnsOfDuplicates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		in := aClient("José", "Núñez", "1990-04-02")
		in.SSN, in.PreferredName = "123-45-6789", "Pepe"
		a := p.register("frontdesk", in)
		b := p.register("frontdesk", aClient("Ana", "Smith", "1985-01-09"))
		if a.MRN != "MS-000001" || b.MRN != "MS-000002" {
			t.Errorf("MRNs = %s, %s", a.MRN, b.MRN)
		}
		if a.MaskedSSN() != "•••-••-6789" || a.DisplayName() != "Pepe Núñez" || a.Status != StatusActive || a.StatusDate != "2026-06-15" {
			t.Errorf("client = %+v", a)
		}
		var sealed string
		d.Read().QueryRowContext(ctx, `SELECT ssn FROM clients WHERE id = $1`, a.ID).Scan(&sealed)
		if strings.Contains(sealed, "6789") || !strings.HasPrefix(sealed, "v1.") {
			t.Errorf("stored SSN %q is not sealed", sealed)
		}
		plain, err := p.keyring.Decrypt(ctx, sealed, SSNAAD(a.ID))
		if err != nil || string(plain) != "123456789" {
			t.Errorf("unsealed SSN = %q, %v", plain, err)
		}
		// Same name (any case or accents) and birth date: warned, unless confirmed.
		dup := aClient("jose", "NUNEZ", "1990-04-02")
		if _, err := p.svc.Create(ctx, p.staff["frontdesk"], dup); !apperr.Is(err, apperr.CodeConflict) || apperr.As(err).Fields["duplicate"] == "" {
			t.Fatalf("duplicate err = %v, want conflict", err)
		}
		dup.AllowDuplicate = true
		if c := p.register("frontdesk", dup); c.MRN != "MS-000003" {
			t.Errorf("confirmed duplicate MRN = %s", c.MRN)
		}
		// Text is stored as typed.
		odd := p.register("frontdesk", aClient("<script>alert(1)</script>", "'; DROP TABLE clients; --", "2001-02-03"))
		if odd.FirstName != "<script>alert(1)</script>" || odd.LastName != "'; DROP TABLE clients; --" {
			t.Errorf("stored names = %q %q", odd.FirstName, odd.LastName)
		}
	})
}

func TestCaseloadAccess(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		in := aClient("Mia", "Lopez", "2012-08-30")
		in.PrimaryClinicianID = p.staff["associate"].UserID
		mia := p.register("frontdesk", in)
		own := p.register("clinician", aClient("Ola", "Berg", "1970-03-03")) // a clinician who registers takes the client on
		if own.PrimaryClinicianID != p.staff["clinician"].UserID {
			t.Fatalf("registering clinician not primary: %d", own.PrimaryClinicianID)
		}
		tests := []struct {
			who    string
			client int64
			ok     bool
		}{
			{"admin", mia.ID, true}, {"frontdesk", mia.ID, true}, {"biller", mia.ID, true},
			{"associate", mia.ID, true}, {"supervisor", mia.ID, true}, // the associate's supervisor
			{"clinician", mia.ID, false}, {"other", mia.ID, false},
			{"clinician", own.ID, true}, {"supervisor", own.ID, false}, {"associate", own.ID, false},
		}
		for _, tt := range tests {
			_, err := p.svc.Get(ctx, p.staff[tt.who], tt.client, SectionChart)
			if (err == nil) != tt.ok || (err != nil && !apperr.Is(err, apperr.CodeForbidden)) {
				t.Errorf("%s reads client %d: err = %v, want ok=%v", tt.who, tt.client, err, tt.ok)
			}
		}
		// Adding the clinician to the care team opens the chart to them.
		up := Input{FirstName: mia.FirstName, LastName: mia.LastName, BirthDate: mia.BirthDate, Phones: mia.Phones,
			PrimaryClinicianID: mia.PrimaryClinicianID, CareTeam: []int64{p.staff["clinician"].UserID}, Status: mia.Status, StatusDate: mia.StatusDate}
		if err := p.svc.Update(ctx, p.staff["frontdesk"], mia.ID, up, mia.Version); err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.Get(ctx, p.staff["clinician"], mia.ID, SectionChart); err != nil {
			t.Errorf("care team member refused: %v", err)
		}
		// Denials are audited with the client id.
		page, _ := p.log.Find(ctx, p.staff["admin"], audit.Filter{ClientID: mia.ID, UserID: p.staff["other"].UserID})
		if page.Total != 1 || page.Entries[0].Outcome != audit.Denied {
			t.Errorf("denied read audit = %+v", page.Entries)
		}
	})
}

func TestBreakGlass(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		c := p.register("clinician", aClient("Ivy", "Stone", "1999-09-09"))
		other := p.staff["other"]
		if _, err := p.svc.Get(ctx, other, c.ID, SectionChart); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("before grant err = %v", err)
		}
		if err := p.svc.BreakGlass(ctx, other, c.ID, "short"); apperr.As(err).Fields["reason"] == "" {
			t.Fatalf("short reason err = %v", err)
		}
		if err := p.svc.BreakGlass(ctx, p.staff["frontdesk"], c.ID, "client in crisis at front desk"); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("front desk break-glass err = %v", err)
		}
		if err := p.svc.BreakGlass(ctx, other, c.ID, "on-call: client called in crisis, primary unreachable"); err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.Get(ctx, other, c.ID, SectionChart); err != nil {
			t.Fatalf("during grant: %v", err)
		}
		page, _ := p.log.Find(ctx, p.staff["admin"], audit.Filter{ClientID: c.ID, UserID: other.UserID, Action: audit.ActionRead})
		if page.Total != 2 || page.Entries[0].Outcome != audit.Success || !strings.HasPrefix(page.Entries[0].Detail, audit.EmergencyDetail) {
			t.Errorf("emergency read not flagged: %+v", page.Entries)
		}
		p.clk.Advance(BreakGlassFor + time.Minute)
		if _, err := p.svc.Get(ctx, other, c.ID, SectionChart); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("after expiry err = %v", err)
		}
	})
}

func TestSearch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		jose := aClient("José", "Núñez", "1990-04-02")
		jose.PreferredName, jose.Email = "Pepe", "Pepe.N@Example.org"
		jose.Phones = []Phone{{Kind: "home", Number: "+1 (312) 555-0199"}}
		jose.PrimaryClinicianID = p.staff["clinician"].UserID
		p.register("frontdesk", jose)
		p.register("frontdesk", aClient("Josephine", "Baker", "1956-06-03"))
		p.register("frontdesk", aClient("Ana", "de la Cruz", "2001-12-24"))
		tests := []struct {
			q    string
			want []string // display names, in order
		}{
			{"jos", []string{"Josephine Baker", "Pepe Núñez"}},
			{"NUN", []string{"Pepe Núñez"}},
			{"pep", []string{"Pepe Núñez"}},
			{"pepe nu", []string{"Pepe Núñez"}},
			{"nunez, jo", []string{"Pepe Núñez"}},
			{"de la c", []string{"Ana de la Cruz"}},
			{"1990-04-02", []string{"Pepe Núñez"}},
			{"4/2/1990", []string{"Pepe Núñez"}},
			{"312.555.0199", []string{"Pepe Núñez"}},
			{"pepe.n@example.org", []string{"Pepe Núñez"}},
			{"ms-000002", []string{"Josephine Baker"}},
			{"MS2", []string{"Josephine Baker"}},
			{"zzz", nil},
			{"%", nil},
		}
		for _, tt := range tests {
			res, err := p.svc.Search(ctx, p.staff["frontdesk"], SearchFilter{Query: tt.q})
			if err != nil {
				t.Fatalf("search %q: %v", tt.q, err)
			}
			var got []string
			for _, r := range res {
				got = append(got, r.DisplayName())
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("search %q = %v, want %v", tt.q, got, tt.want)
			}
		}
		// A clinician finds only their caseload.
		res, _ := p.svc.Search(ctx, p.staff["clinician"], SearchFilter{Query: "jos"})
		if len(res) != 1 || res[0].DisplayName() != "Pepe Núñez" {
			t.Errorf("clinician search = %+v", res)
		}
		res, _ = p.svc.Search(ctx, p.staff["other"], SearchFilter{Query: "jos"})
		if len(res) != 0 {
			t.Errorf("other clinician sees %+v", res)
		}
		// The audit entry says how many, never what was searched.
		page, _ := p.log.Find(ctx, p.staff["admin"], audit.Filter{UserID: p.staff["frontdesk"].UserID, Action: audit.ActionRead})
		for _, e := range page.Entries {
			if e.ObjectType == "client_search" && strings.Contains(strings.ToLower(e.Detail), "jos") {
				t.Errorf("audit detail carries the query: %q", e.Detail)
			}
		}
	})
}

// TestCaseloadSearch pins name searches by caseload-bound staff: each of
// their scopes (primary clinician, care team, a supervisee's of either),
// matches by last, first and preferred name, a client who matches several
// ways or is in several scopes found once, merged records and other
// caseloads left out, the status filter and the page size.
func TestCaseloadSearch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		staff := func(who string) int64 { return p.staff[who].UserID }
		client := func(first, pref, last, primary string, team ...string) Client {
			in := aClient(first, last, "1980-01-01")
			in.PreferredName, in.PrimaryClinicianID = pref, staff(primary)
			for _, who := range team {
				in.CareTeam = append(in.CareTeam, staff(who))
			}
			return p.register("frontdesk", in)
		}
		// In name order (search_last, search_first).
		madelyn := client("Madelyn", "", "Abbott", "supervisor")
		omar := client("Omar", "", "Madden", "associate", "clinician")
		ana := client("Ana", "", "Madrigal", "clinician")
		madeline := client("Madeline", "Maddie", "Madsen", "clinician", "associate") // "mad" by all three names
		paul := client("Paul", "", "Madsen", "clinician")
		theo := client("Theo", "", "Madsen", "associate", "supervisor") // two of the supervisor's scopes
		mads := client("Mads", "", "Olsen", "other")
		lena := client("Léna", "Maddy", "Price", "other", "clinician")
		maddox := client("Maddox", "", "Quinn", "clinician")
		madison := client("Madison", "", "Reyes", "clinician")
		in := Input{FirstName: maddox.FirstName, LastName: maddox.LastName, BirthDate: maddox.BirthDate, Phones: maddox.Phones,
			PrimaryClinicianID: maddox.PrimaryClinicianID, Status: StatusInactive, StatusDate: "2026-06-01"}
		if err := p.svc.Update(ctx, p.staff["admin"], maddox.ID, in, maddox.Version); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.Merge(ctx, p.staff["admin"], ana.ID, madison.ID); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			who  string
			f    SearchFilter
			want []Client
		}{
			{"OneWord", "clinician", SearchFilter{Query: "mad"}, []Client{omar, ana, madeline, paul, lena, maddox}},
			{"OneWordActive", "clinician", SearchFilter{Query: "mad", Status: StatusActive}, []Client{omar, ana, madeline, paul, lena}},
			{"OneWordInactive", "clinician", SearchFilter{Query: "MAD", Status: StatusInactive}, []Client{maddox}},
			{"OneWordPage", "clinician", SearchFilter{Query: "mad", Limit: 3}, []Client{omar, ana, madeline}},
			{"OneWordPageOfOne", "clinician", SearchFilter{Query: "mad", Limit: 1}, []Client{omar}},
			{"FirstAndPreferred", "clinician", SearchFilter{Query: "madd"}, []Client{omar, madeline, lena, maddox}},
			{"FirstOnly", "clinician", SearchFilter{Query: "omar"}, []Client{omar}},
			{"FirstAccents", "clinician", SearchFilter{Query: "léna"}, []Client{lena}},
			{"LastNotFirst", "clinician", SearchFilter{Query: "mads"}, []Client{madeline, paul}},
			{"Merged", "clinician", SearchFilter{Query: "madison"}, nil},
			{"MergedLast", "clinician", SearchFilter{Query: "reyes"}, nil},
			{"NotOnCaseload", "clinician", SearchFilter{Query: "theo"}, nil},
			{"FirstLast", "clinician", SearchFilter{Query: "paul mad"}, []Client{paul}},
			{"PreferredLast", "clinician", SearchFilter{Query: "maddie madsen"}, []Client{madeline}},
			{"FirstLastBoth", "clinician", SearchFilter{Query: "mad madsen"}, []Client{madeline}},
			{"LastComma", "clinician", SearchFilter{Query: "madsen, p"}, []Client{paul}},
			{"LastCommaBoth", "clinician", SearchFilter{Query: "Madsen, Mad"}, []Client{madeline}},
			{"LastCommaAny", "clinician", SearchFilter{Query: "madsen,"}, []Client{madeline, paul}},
			{"CommaFirst", "clinician", SearchFilter{Query: ", mad"}, []Client{madeline, lena, maddox}},
			{"LastWords", "clinician", SearchFilter{Query: "madsen paul"}, nil},
			{"Nothing", "clinician", SearchFilter{Query: "zz"}, nil},
			{"Supervisor", "supervisor", SearchFilter{Query: "mad"}, []Client{madelyn, omar, madeline, theo}},
			{"SupervisorPage", "supervisor", SearchFilter{Query: "mad", Limit: 2}, []Client{madelyn, omar}},
			{"SupervisorTwoScopes", "supervisor", SearchFilter{Query: "theo mad"}, []Client{theo}},
			{"SupervisorLast", "supervisor", SearchFilter{Query: "madsen"}, []Client{madeline, theo}},
			{"SupervisorFirst", "supervisor", SearchFilter{Query: "o"}, []Client{omar}},
			{"SupervisorNotOnCaseload", "supervisor", SearchFilter{Query: "paul"}, nil},
			{"Associate", "associate", SearchFilter{Query: "mad"}, []Client{omar, madeline, theo}},
			{"Other", "other", SearchFilter{Query: "mad"}, []Client{mads, lena}},
			{"OtherLastFirst", "other", SearchFilter{Query: "mads"}, []Client{mads}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := p.svc.Search(ctx, p.staff[tt.who], tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var got, want []string
				for _, r := range res {
					got = append(got, fmt.Sprintf("%d %s", r.ID, r.DisplayName()))
				}
				for _, c := range tt.want {
					want = append(want, fmt.Sprintf("%d %s", c.ID, c.DisplayName()))
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s searches %+v (-want +got):\n%s", tt.who, tt.f, diff)
				}
			})
		}
	})
}

// TestSupervisorSharedCareTeam: a client on the care teams of two of a
// supervisor's supervisees is one place of a page, in a name search and in
// the listing, so that a page is never short (a short page reads as the
// last one).
func TestSupervisorSharedCareTeam(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		if err := p.svc.SetSupervisors(ctx, p.staff["admin"], p.staff["clinician"].UserID, []int64{p.staff["supervisor"].UserID}); err != nil {
			t.Fatal(err)
		}
		var want []int64
		for _, last := range []string{"Aab", "Aac", "Aad", "Aae"} {
			in := aClient("Kim", last, "1980-01-01")
			in.PrimaryClinicianID = p.staff["other"].UserID
			in.CareTeam = []int64{p.staff["associate"].UserID, p.staff["clinician"].UserID}
			want = append(want, p.register("frontdesk", in).ID)
		}
		for _, f := range []SearchFilter{{Query: "aa", Limit: 3}, {Limit: 3}} {
			res, err := p.svc.Search(ctx, p.staff["supervisor"], f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range res {
				got = append(got, r.ID)
			}
			if diff := cmp.Diff(want[:3], got); diff != "" {
				t.Errorf("supervisor searches %+v (-want +got):\n%s", f, diff)
			}
		}
	})
}

func TestUpdateConflictAndAudit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		c := p.register("frontdesk", aClient("Tom", "Hart", "1980-05-05"))
		in := Input{FirstName: "Tom", LastName: "Hart", BirthDate: "1980-05-05", PreferredName: "Tommy", Email: "tom@example.org",
			Status: StatusInactive, Phones: c.Phones, SSN: "123456789"}
		if err := p.svc.Update(ctx, p.staff["frontdesk"], c.ID, in, c.Version); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.Update(ctx, p.staff["frontdesk"], c.ID, in, c.Version); !apperr.Is(err, apperr.CodeConflict) {
			t.Fatalf("stale update err = %v", err)
		}
		got, _ := p.svc.Get(ctx, p.staff["admin"], c.ID, SectionDemographics)
		if got.PreferredName != "Tommy" || got.Status != StatusInactive || got.SSNLast4 != "6789" || got.Version != 2 {
			t.Errorf("after update = %+v", got)
		}
		page, _ := p.log.Find(ctx, p.staff["admin"], audit.Filter{ClientID: c.ID, Action: audit.ActionUpdate})
		if page.Total != 1 || page.Entries[0].Detail != "fields preferred_name,email,status,ssn" {
			t.Errorf("update audit = %+v", page.Entries)
		}
		reads, _ := p.log.Find(ctx, p.staff["admin"], audit.Filter{ClientID: c.ID, Action: audit.ActionRead})
		if reads.Total != 2 || reads.Entries[1].ObjectType != "client" || reads.Entries[1].Detail != "section demographics" {
			t.Errorf("read audit = %+v", reads.Entries)
		}
	})
}
