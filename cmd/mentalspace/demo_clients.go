package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clients"
)

// The demo practice's clients come from these lists, combined at random with
// a fixed seed: every run of `demo` on the same day seeds the same practice.
// The combinations are fictional; phone numbers are in the 555-0100…0199
// range kept for fiction, and email addresses use the example domains.
var (
	demoWomen = []string{"Amara", "Beatriz", "Chloe", "Daniela", "Esther", "Fatima", "Grace", "Hana", "Imani", "Jasmine", "Keiko",
		"Lucía", "Maya", "Nadia", "Olivia", "Rosa", "Sofia", "Tamar", "Valentina", "Wen", "Yasmin", "Zoë", "Ingrid", "Leila", "Mei",
		"Noor", "Renée", "Siobhan", "Thandiwe", "Ximena", "Bridget", "Camila", "Delphine", "Gabriela", "Inés", "Marisol", "Anjali", "Kateryna"}
	demoMen = []string{"Aaron", "Bilal", "Carlos", "Darius", "Elijah", "Felipe", "Gideon", "Hiroshi", "Ibrahim", "Jamal", "Kofi", "Liam",
		"Mateo", "Nikhil", "Omar", "Pavel", "Rafael", "Samuel", "Tariq", "Victor", "Wesley", "Xavier", "Yusuf", "Andrés", "Benjamin",
		"Cheng", "Dmitri", "Emeka", "Finn", "Gustavo", "Henrik", "Isaac", "Joaquín", "Kenji", "Lorenzo", "Malik", "Nathaniel", "Tomasz"}
	demoNeutral = []string{"Avery", "Quinn", "Rowan", "Sage", "River", "Skyler", "Emerson", "Remy", "Jules", "Ash"}
	demoGirls   = []string{"Ava", "Ellie", "Harper", "Isla", "Luna", "Nova", "Penelope", "Zara", "Mia", "Aria", "Amira", "Sadie", "Hazel",
		"Nia", "Ximena", "Aanya", "Chiamaka", "Yuna", "Maëlle", "Sloane"}
	demoBoys = []string{"Aiden", "Caleb", "Ezra", "Jayden", "Milo", "Owen", "Theo", "Leo", "Noah", "Mateo", "Elias", "Santiago", "Rohan",
		"Kwabena", "Dario", "Haruto", "Yosef", "Bastian", "Emeka", "Callum"}
	demoKids   = []string{"Kai", "Rowan", "Sage", "Parker", "Ellis", "Jude"}
	demoElders = []string{"Dolores", "Harold", "Gloria", "Walter", "Frances", "Eugene", "Bernice", "Raymond", "Marjorie", "Clarence",
		"Yolanda", "Herbert", "Shirley", "Vernon", "Lorraine", "Alfredo", "Consuelo", "Takeshi", "Mildred", "Stanisław", "Esperanza", "Augustin"}
	demoSurnames = []string{"Abernathy", "Adeyemi", "Alvarado", "Bergström", "Bianchi", "Castellanos", "Chaudhry", "Delacroix", "Dimitriou",
		"Eriksen", "Esposito", "Fairbanks", "Fitzgerald", "Gallagher", "Goldfarb", "Haddad", "Hollister", "Ikeda", "Iwu", "Jablonski",
		"Kaminski", "Kowalczyk", "Lindqvist", "Llewellyn", "Marchetti", "Mbatha", "Moreau", "Nakashima", "Novak", "Nwosu", "Okonkwo",
		"Oyelaran", "Petrakis", "Quintero", "Rahimi", "Ramanathan", "Sandoval", "Schreiber", "Silverstein", "Szabo", "Takahashi",
		"Thibodeaux", "Toledo", "Ueda", "Underwood", "Valdivia", "Vásquez", "Wainwright", "Whitfield", "Xu", "Yilmaz", "Zaragoza",
		"Zielinski", "O'Donnell", "de la Rosa", "Van Houten", "Núñez", "Peña", "Muñoz", "Bautista", "Castillo", "Delgado", "Fernández",
		"Gutiérrez", "Hoang", "Huynh", "Kuznetsov", "Lam", "Mahmoud", "Nguyen", "Oduya", "Popović", "Reyes", "Saito", "Tran", "Warsame",
		"Yamada", "Ortiz-Blake", "MacAllister", "Achterberg", "Brennan", "Cisneros", "Dlamini", "Eze", "Foster", "Grünewald", "Holloway"}
	demoStreets = []string{"W Addison St", "N Clark St", "S Halsted St", "W Belmont Ave", "N Damen Ave", "W Division St", "S Michigan Ave",
		"N Lincoln Ave", "W Armitage Ave", "N Sheridan Rd", "W Fullerton Pkwy", "S Cottage Grove Ave", "W Irving Park Rd", "N Milwaukee Ave"}
	demoSuburbanStreets = []string{"Maple Ave", "Oak St", "Elm St", "Forest Ave", "Central St", "Lake St", "Chestnut St", "Ridge Ave",
		"Washington St", "Jefferson Ave", "Prairie Ave", "Hickory Ln"}
	demoTowns = []struct{ City, Zip, Area string }{{"Chicago", "606", "312"}, {"Chicago", "606", "773"}, {"Chicago", "606", "872"},
		{"Evanston", "602", "847"}, {"Oak Park", "603", "708"}, {"Cicero", "608", "708"}, {"Skokie", "600", "224"}, {"Naperville", "605", "630"}}
	demoReferrals = []string{"Self", "Self", "Primary care physician", "Friend or family", "Insurance directory", "Online directory listing",
		"Employee assistance program", "Hospital discharge planner", "Former client"}
	demoEmployment = []string{"Employed full time", "Employed full time", "Employed part time", "Self-employed", "Unemployed", "Student", "On disability leave"}
	demoMarital    = []string{"Single", "Single", "Married", "Divorced", "Separated", "Partnered"}
	demoDomains    = []string{"example.com", "example.net", "example.org"}
)

// demoClinician is a member of staff who treats clients, and how the demo
// spreads clients over them.
type demoClinician struct {
	email  string
	id     int64
	weight int // share of adults as primary clinician
	kids   int // share of children and teenagers
	elders int // share of older adults
}

// demoSeeder registers the demo practice's clients through the services, so
// that every record is validated and audited as if staff had typed it: the
// records as the system actor (the shell), consents and alerts as the staff
// who would have entered them (their tables name who did).
type demoSeeder struct {
	ctx        context.Context
	svc        *clients.Service
	r          *rand.Rand
	today      time.Time
	clinicians []demoClinician
	locations  []int64
	payers     []int64
	used       map[string]bool
	// actors are the staff by user id: consents and alerts record who
	// entered them, so the front desk and clinicians enter those.
	actors map[int64]access.Actor
	desk   access.Actor
	// caseload holds each user's clients (primary or care team).
	caseload map[int64]map[int64]bool
	total    int
}

// seedDemoClients registers about 150 clients: children and teenagers with
// guardians, couples sharing a name and an address, families, adults and
// older adults, across every status, with insurance, consents and alerts.
// It returns how many clients each member of staff has on their caseload.
func seedDemoClients(ctx context.Context, e *env, staff map[string]int64, locations []int64) (map[int64]map[int64]bool, int, error) {
	s := &demoSeeder{ctx: ctx, svc: e.clients, r: rand.New(rand.NewPCG(2026, 3)), today: e.clock.Now().UTC().Truncate(24 * time.Hour),
		locations: locations, used: map[string]bool{}, caseload: map[int64]map[int64]bool{}, actors: map[int64]access.Actor{}}
	for _, u := range demoStaff {
		s.actors[staff[u.Email]] = access.Actor{UserID: staff[u.Email], Roles: u.Roles, IP: "demo", UserAgent: "mentalspace demo"}
	}
	s.desk = s.actors[staff["frontdesk@demo.mentalspace.test"]]
	for _, c := range []demoClinician{
		{"clinician@demo.mentalspace.test", 0, 4, 1, 3},
		{"supervisor@demo.mentalspace.test", 0, 2, 0, 3},
		{"associate@demo.mentalspace.test", 0, 4, 2, 1},
		{"priya.raman@demo.mentalspace.test", 0, 3, 6, 0},
		{"luis.ortega@demo.mentalspace.test", 0, 2, 3, 1},
	} {
		c.id = staff[c.email]
		s.clinicians = append(s.clinicians, c)
	}
	sys := system()
	// The associate practises under the supervisor's licence.
	if err := e.clients.SetSupervisors(ctx, sys, staff["associate@demo.mentalspace.test"], []int64{staff["supervisor@demo.mentalspace.test"]}); err != nil {
		return nil, 0, err
	}
	if err := s.addPayers(); err != nil {
		return nil, 0, err
	}
	steps := []func() error{
		func() error { return s.minors(12, 6, 12) },
		func() error { return s.minors(16, 13, 17) },
		func() error { return s.couples(10) },
		func() error { return s.families(3) },
		func() error { return s.adults(80) },
		func() error { return s.elders(20) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, 0, err
		}
	}
	return s.caseload, s.total, nil
}

func (s *demoSeeder) pick(list []string) string { return list[s.r.IntN(len(list))] }

// anyName is an adult's first name, for sex when it is F or M.
func (s *demoSeeder) anyName(sex string) string {
	if sex == "F" || sex == "" && s.chance(50) {
		return s.pick(demoWomen)
	}
	if sex == "M" || sex == "" {
		return s.pick(demoMen)
	}
	return s.pick(demoNeutral)
}

func (s *demoSeeder) chance(percent int) bool { return s.r.IntN(100) < percent }

// date is days before today, as YYYY-MM-DD.
func (s *demoSeeder) date(daysAgo int) string {
	return s.today.AddDate(0, 0, -daysAgo).Format(time.DateOnly)
}

// birth is a birth date for someone aged between minAge and maxAge today.
func (s *demoSeeder) birth(minAge, maxAge int) string {
	age := minAge + s.r.IntN(maxAge-minAge+1)
	return s.today.AddDate(-age, 0, -1-s.r.IntN(364)).Format(time.DateOnly)
}

// name picks a first name from firsts and a surname not yet combined with it.
func (s *demoSeeder) name(firsts []string, last string) (string, string) {
	for {
		first, l := s.pick(firsts), last
		if l == "" {
			l = s.pick(demoSurnames)
		}
		if !s.used[first+" "+l] {
			s.used[first+" "+l] = true
			return first, l
		}
	}
}

func (s *demoSeeder) phone(area string) string {
	return fmt.Sprintf("(%s) 555-01%02d", area, s.r.IntN(100))
}

func (s *demoSeeder) email(first, last string) string {
	clean := strings.NewReplacer(" ", "", "'", "", "-", "")
	return clean.Replace(clients.Fold(first)) + "." + clean.Replace(clients.Fold(last)) + "@" + s.pick(demoDomains)
}

func (s *demoSeeder) address() clients.Address {
	t := demoTowns[s.r.IntN(len(demoTowns))]
	street := s.pick(demoStreets)
	if t.City != "Chicago" {
		street = s.pick(demoSuburbanStreets)
	}
	a := clients.Address{Line1: fmt.Sprintf("%d %s", 100+s.r.IntN(4800), street), City: t.City, State: "IL",
		PostalCode: fmt.Sprintf("%s%02d", t.Zip, 1+s.r.IntN(60))}
	if s.chance(20) {
		a.Line2 = fmt.Sprintf("Apt %d%c", 1+s.r.IntN(12), 'A'+rune(s.r.IntN(4)))
	}
	return a
}

// areaOf is the area code that goes with an address's town.
func areaOf(a clients.Address) string {
	for _, t := range demoTowns {
		if t.City == a.City && strings.HasPrefix(a.PostalCode, t.Zip) {
			return t.Area
		}
	}
	return "312"
}

// clinician picks a primary clinician by the weight function.
func (s *demoSeeder) clinician(weight func(demoClinician) int) int64 {
	sum := 0
	for _, c := range s.clinicians {
		sum += weight(c)
	}
	x := s.r.IntN(sum)
	for _, c := range s.clinicians {
		if x -= weight(c); x < 0 {
			return c.id
		}
	}
	return s.clinicians[0].id
}

// status spreads clients over the lifecycle, mostly active.
func (s *demoSeeder) status() (clients.Status, string) {
	switch p := s.r.IntN(100); {
	case p < 60:
		return clients.StatusActive, s.date(14 + s.r.IntN(700))
	case p < 68:
		return clients.StatusWaitlist, s.date(1 + s.r.IntN(60))
	case p < 75:
		return clients.StatusInquiry, s.date(s.r.IntN(14))
	case p < 87:
		return clients.StatusInactive, s.date(30 + s.r.IntN(300))
	}
	return clients.StatusDischarged, s.date(60 + s.r.IntN(1000))
}

// person fills what every client has; the caller adds the rest.
func (s *demoSeeder) person(first, last, birth, sex string, addr clients.Address) clients.Input {
	in := clients.Input{FirstName: first, LastName: last, BirthDate: birth, Sex: sex, Address: addr,
		Ethnicity: s.pick([]string{"2186-5", "2186-5", "2135-2", "ASKU"}), Language: "English", ReferralSource: s.pick(demoReferrals),
		LocationID: s.locations[0]}
	if s.chance(30) {
		in.LocationID = s.locations[1] // telehealth
	}
	in.Races = [][]string{{"2106-3"}, {"2054-5"}, {"2028-9"}, {"2106-3", "2054-5"}, {"1002-5"}, {"2076-8"}, {"ASKU"}, {"2106-3"}}[s.r.IntN(8)]
	switch sex {
	case "F":
		in.Pronouns = "she/her"
	case "M":
		in.Pronouns = "he/him"
	default:
		in.Pronouns, in.GenderIdentity = "they/them", "Non-binary"
	}
	if in.Ethnicity == "2135-2" && s.chance(45) {
		in.Language, in.InterpreterNeeded = "Spanish", s.chance(50)
	} else if s.chance(6) {
		in.Language = s.pick([]string{"Polish", "Vietnamese", "Arabic", "Tagalog", "Korean", "Ukrainian"})
		in.InterpreterNeeded = s.chance(40)
	}
	in.Status, in.StatusDate = s.status()
	return in
}

// mobile gives the client their own mobile number, and sometimes a second one.
func (s *demoSeeder) mobile(in *clients.Input) {
	area := areaOf(in.Address)
	in.Phones = append(in.Phones, clients.Phone{Kind: "mobile", Number: s.phone(area), CanText: s.chance(80), CanVoicemail: s.chance(88)})
	if s.chance(30) {
		in.Phones = append(in.Phones, clients.Phone{Kind: s.pick([]string{"home", "work", "work"}), Number: s.phone(area), CanVoicemail: s.chance(70)})
	}
}

func (s *demoSeeder) create(in clients.Input) (clients.Client, error) {
	c, err := s.svc.Create(s.ctx, system(), in)
	if err != nil {
		return c, fmt.Errorf("demo client %d: %w", s.total+1, describe(err))
	}
	s.total++
	for _, id := range append([]int64{c.PrimaryClinicianID}, c.CareTeam...) {
		if s.caseload[id] == nil {
			s.caseload[id] = map[int64]bool{}
		}
		s.caseload[id][c.ID] = true
	}
	return c, s.paperwork(c)
}

// minors registers n children or teenagers aged minAge to maxAge, each with a
// guardian (who is also their financial guarantor and insurance subscriber).
func (s *demoSeeder) minors(n, minAge, maxAge int) error {
	for range n {
		sex, names := "F", demoGirls
		switch p := s.r.IntN(20); {
		case p == 0:
			sex, names = "X", demoKids
		case p > 10:
			sex, names = "M", demoBoys
		}
		first, last := s.name(names, "")
		in := s.person(first, last, s.birth(minAge, maxAge), sex, s.address())
		in.PrimaryClinicianID = s.clinician(func(c demoClinician) int { return c.kids })
		in.ReferralSource = s.pick([]string{"School counselor", "Pediatrician", "Parent", "Parent", "Primary care physician"})
		area := areaOf(in.Address)
		parentFirst, rel := s.pick(demoWomen), "Mother"
		switch p := s.r.IntN(10); {
		case p >= 9:
			parentFirst, rel = s.pick(demoElders), "Grandmother (legal guardian)"
		case p >= 6:
			parentFirst, rel = s.pick(demoMen), "Father"
		}
		parentPhone := s.phone(area)
		in.Phones = []clients.Phone{{Kind: "mobile", Number: parentPhone, CanText: true, CanVoicemail: true}}
		if minAge >= 13 && s.chance(60) {
			// A teenager's own phone: texts about appointments, no voicemail.
			in.Phones = append(in.Phones, clients.Phone{Kind: "mobile", Number: s.phone(area), CanText: s.chance(70)})
		}
		if minAge >= 13 {
			in.EmploymentStatus = "Student"
		}
		if s.chance(50) {
			in.CareTeam = []int64{s.clinician(func(c demoClinician) int { return c.kids })}
		}
		c, err := s.create(in)
		if err != nil {
			return err
		}
		guardian := clients.Contact{Kind: "guardian", Name: parentFirst + " " + last, Relationship: rel, Phone: parentPhone,
			Email: s.email(parentFirst, last), Address: in.Address.Line1 + ", " + in.Address.City + ", IL " + in.Address.PostalCode,
			BirthDate: s.birth(30, 48)}
		if strings.HasPrefix(rel, "Grandmother") {
			guardian.BirthDate, guardian.LegalDocument = s.birth(58, 72), "Cook County guardianship order"
		}
		if _, err := s.svc.AddContact(s.ctx, system(), c.ID, guardian); err != nil {
			return describe(err)
		}
		guardian.Kind = "guarantor"
		if _, err := s.svc.AddContact(s.ctx, system(), c.ID, guardian); err != nil {
			return describe(err)
		}
		if err := s.insure(c, clients.Policy{Relationship: "child", SubscriberFirst: parentFirst, SubscriberLast: last,
			SubscriberBirth: guardian.BirthDate, SubscriberSex: map[bool]string{true: "M", false: "F"}[rel == "Father"]}); err != nil {
			return err
		}
	}
	return nil
}

// adult fills an adult client aged minAge to maxAge.
func (s *demoSeeder) adult(first, last, sex string, minAge, maxAge int, addr clients.Address) clients.Input {
	in := s.person(first, last, s.birth(minAge, maxAge), sex, addr)
	in.MaritalStatus, in.EmploymentStatus = s.pick(demoMarital), s.pick(demoEmployment)
	if s.chance(15) {
		in.MiddleName = s.anyName(sex)
	}
	if s.chance(12) {
		in.PreferredName = s.pick([]string{"Sunny", "Bea", "Nico", "Liz", "Teddy", "Max", "Dee", "Manny", "Kit", "Frankie"})
	}
	if s.chance(30) {
		in.SexualOrientation = s.pick([]string{"Straight", "Gay", "Lesbian", "Bisexual", "Queer", "Declined to answer"})
	}
	if s.chance(6) {
		// A few clients gave their SSN; it is sealed, and shown masked.
		in.SSN = fmt.Sprintf("%03d-%02d-%04d", 100+s.r.IntN(500), 10+s.r.IntN(89), 1000+s.r.IntN(8999))
	}
	if s.chance(75) {
		in.Email = s.email(first, last)
	}
	s.mobile(&in)
	in.PrimaryClinicianID = s.clinician(func(c demoClinician) int { return c.weight })
	if in.Status == clients.StatusInquiry && s.chance(60) {
		in.PrimaryClinicianID = 0 // not yet matched with a clinician
	}
	if in.PrimaryClinicianID != 0 && s.chance(15) {
		in.CareTeam = []int64{s.clinician(func(c demoClinician) int { return c.weight })}
	}
	return in
}

func sexFor(s *demoSeeder) (string, []string) {
	switch p := s.r.IntN(100); {
	case p < 50:
		return "F", demoWomen
	case p < 94:
		return "M", demoMen
	}
	return "X", demoNeutral
}

// adults registers n adults of working age, some with an emergency contact.
func (s *demoSeeder) adults(n int) error {
	for range n {
		sex, names := sexFor(s)
		first, last := s.name(names, "")
		c, err := s.create(s.adult(first, last, sex, 18, 64, s.address()))
		if err != nil {
			return err
		}
		if s.chance(50) {
			cf := s.anyName("")
			if _, err := s.svc.AddContact(s.ctx, system(), c.ID, clients.Contact{Kind: "emergency", Name: cf + " " + s.pick(demoSurnames),
				Relationship: s.pick([]string{"Sister", "Brother", "Friend", "Mother", "Father", "Roommate", "Partner"}), Phone: s.phone(areaOf(c.Address))}); err != nil {
				return describe(err)
			}
		}
		if err := s.insure(c, clients.Policy{}); err != nil {
			return err
		}
	}
	return nil
}

// elders registers n older adults, several on Medicare with a supplemental plan.
func (s *demoSeeder) elders(n int) error {
	for range n {
		sex, names := "F", demoElders
		if s.chance(45) {
			sex = "M"
		}
		first, last := s.name(names, "")
		in := s.adult(first, last, sex, 65, 92, s.address())
		in.PrimaryClinicianID = s.clinician(func(c demoClinician) int { return c.elders })
		in.MaritalStatus, in.EmploymentStatus = s.pick([]string{"Married", "Widowed", "Widowed", "Divorced", "Single"}), "Retired"
		if s.chance(40) {
			in.Phones = append([]clients.Phone{{Kind: "home", Number: s.phone(areaOf(in.Address)), CanVoicemail: true}}, in.Phones...)
		}
		c, err := s.create(in)
		if err != nil {
			return err
		}
		if err := s.insure(c, clients.Policy{}); err != nil {
			return err
		}
	}
	return nil
}

// couples registers n couples who share a surname and an address, linked to
// each other; about half are seen together by the family therapist.
func (s *demoSeeder) couples(n int) error {
	luis := s.clinicians[4].id
	for range n {
		last, addr := s.pick(demoSurnames), s.address()
		sexA, namesA := sexFor(s)
		sexB, namesB := sexFor(s)
		var partners []clients.Client
		together := s.chance(50)
		for i, sx := range []struct {
			sex   string
			names []string
		}{{sexA, namesA}, {sexB, namesB}} {
			first, _ := s.name(sx.names, last)
			in := s.adult(first, last, sx.sex, 26, 70, addr)
			in.MaritalStatus = s.pick([]string{"Married", "Married", "Partnered"})
			if together {
				in.PrimaryClinicianID, in.CareTeam, in.ReferralSource = luis, nil, "Couples therapy"
			} else if in.PrimaryClinicianID != luis && s.chance(50) {
				in.CareTeam = []int64{luis}
			}
			if i == 1 {
				in.Status, in.StatusDate = partners[0].Status, partners[0].StatusDate
			}
			c, err := s.create(in)
			if err != nil {
				return err
			}
			partners = append(partners, c)
		}
		if err := s.svc.Relate(s.ctx, system(), partners[0].ID, partners[1].ID, "partner"); err != nil {
			return describe(err)
		}
		// One policy through the first partner's employer covers both.
		if err := s.insure(partners[0], clients.Policy{}); err != nil {
			return err
		}
		a := partners[0]
		if err := s.insure(partners[1], clients.Policy{Relationship: "spouse", SubscriberFirst: a.FirstName, SubscriberLast: a.LastName,
			SubscriberBirth: a.BirthDate, SubscriberSex: a.Sex}); err != nil {
			return err
		}
	}
	return nil
}

// families registers n parents who are clients themselves, each with a
// teenager in treatment with another clinician.
func (s *demoSeeder) families(n int) error {
	for range n {
		last, addr := s.pick(demoSurnames), s.address()
		pf, _ := s.name(demoWomen, last)
		parentIn := s.adult(pf, last, "F", 36, 52, addr)
		parentIn.MaritalStatus = s.pick([]string{"Divorced", "Married", "Single"})
		parent, err := s.create(parentIn)
		if err != nil {
			return err
		}
		if err := s.insure(parent, clients.Policy{}); err != nil {
			return err
		}
		sex, names := "F", demoGirls
		if s.chance(50) {
			sex, names = "M", demoBoys
		}
		cf, _ := s.name(names, last)
		teenIn := s.person(cf, last, s.birth(13, 17), sex, addr)
		teenIn.PrimaryClinicianID, teenIn.ReferralSource, teenIn.EmploymentStatus = s.clinician(func(c demoClinician) int { return c.kids }), "Parent", "Student"
		teenIn.Phones = []clients.Phone{{Kind: "mobile", Number: parent.Phones[0].Number, CanText: true, CanVoicemail: true}}
		teen, err := s.create(teenIn)
		if err != nil {
			return err
		}
		if err := s.svc.Relate(s.ctx, system(), teen.ID, parent.ID, "parent"); err != nil {
			return describe(err)
		}
		if _, err := s.svc.AddContact(s.ctx, system(), teen.ID, clients.Contact{Kind: "guardian", Name: pf + " " + last, Relationship: "Mother",
			Phone: parent.Phones[0].Number, Email: parent.Email, BirthDate: parent.BirthDate}); err != nil {
			return describe(err)
		}
		if err := s.insure(teen, clients.Policy{Relationship: "child", SubscriberFirst: pf, SubscriberLast: last, SubscriberBirth: parent.BirthDate, SubscriberSex: "F"}); err != nil {
			return err
		}
	}
	return nil
}

// addPayers fills the payer directory with fictional plans.
func (s *demoSeeder) addPayers() error {
	for _, p := range []clients.Payer{
		{Name: "Lakeshore Mutual Health", ElectronicID: "LKM01", ClaimFilingIndicator: "CI", Phone: "(800) 555-0110",
			Address: clients.Address{Line1: "PO Box 4410", City: "Chicago", State: "IL", PostalCode: "60680"}},
		{Name: "Prairie Shield PPO", ElectronicID: "PRS22", ClaimFilingIndicator: "12", Phone: "(800) 555-0122",
			Address: clients.Address{Line1: "PO Box 9022", City: "Springfield", State: "IL", PostalCode: "62794"}},
		{Name: "Northpoint HMO", ElectronicID: "NPH07", ClaimFilingIndicator: "HM", Phone: "(888) 555-0107",
			Address: clients.Address{Line1: "1 Northpoint Plaza", City: "Schaumburg", State: "IL", PostalCode: "60173"}},
		{Name: "Medicare Part B (demo contractor)", ElectronicID: "MCRB1", ClaimFilingIndicator: "MB", Phone: "(877) 555-0133"},
		{Name: "Illinois Medicaid managed care (demo)", ElectronicID: "MCD14", ClaimFilingIndicator: "MC", Phone: "(877) 555-0144"},
	} {
		p.Active = true
		id, err := s.svc.SavePayer(s.ctx, system(), p)
		if err != nil {
			return describe(err)
		}
		s.payers = append(s.payers, id)
	}
	return nil
}

// insure gives most clients a primary policy (sub names another subscriber,
// when there is one), older adults Medicare with a supplemental plan, and
// self-pay clients none.
func (s *demoSeeder) insure(c clients.Client, sub clients.Policy) error {
	if s.chance(12) || c.Status == clients.StatusInquiry {
		return nil // self-pay, or not yet asked
	}
	age := c.Age(s.today)
	policy := func(rank int, payer int64, plan string) clients.Policy {
		p := sub
		p.ClientID, p.PayerID, p.Rank, p.PlanName, p.Active = c.ID, payer, rank, plan, true
		p.MemberID = fmt.Sprintf("%c%c%d", 'A'+rune(s.r.IntN(26)), 'A'+rune(s.r.IntN(26)), 100000000+s.r.IntN(900000000))
		p.GroupNumber = fmt.Sprintf("G-%05d", s.r.IntN(100000))
		p.EffectiveDate = fmt.Sprintf("%d-01-01", s.today.Year()-s.r.IntN(3))
		p.CopayCents, p.CoinsuranceBP, p.DeductibleCents = int64(1500+500*s.r.IntN(6)), int64(1000*s.r.IntN(3)), int64(50000*s.r.IntN(7))
		return p
	}
	var ps []clients.Policy
	switch {
	case age >= 65:
		mc := policy(clients.Primary, s.payers[3], "Original Medicare")
		mc.Relationship, mc.SubscriberFirst, mc.SubscriberLast, mc.SubscriberBirth, mc.SubscriberSex, mc.GroupNumber = "self", "", "", "", "", ""
		mc.CopayCents, mc.CoinsuranceBP, mc.DeductibleCents = 0, 2000, 25700
		ps = append(ps, mc)
		if s.chance(60) {
			sup := policy(clients.Secondary, s.payers[0], "Medigap Plan G")
			sup.Relationship, sup.SubscriberFirst, sup.SubscriberLast, sup.SubscriberBirth, sup.SubscriberSex = "self", "", "", "", ""
			ps = append(ps, sup)
		}
	case s.chance(18):
		ps = append(ps, policy(clients.Primary, s.payers[4], "Medicaid managed care"))
		ps[0].CopayCents, ps[0].CoinsuranceBP, ps[0].DeductibleCents = 0, 0, 0
	default:
		i := s.r.IntN(3)
		ps = append(ps, policy(clients.Primary, s.payers[i], []string{"Choice PPO", "Blue Prairie PPO", "Northpoint Select HMO"}[i]))
	}
	for _, p := range ps {
		if _, err := s.svc.SavePolicy(s.ctx, system(), p); err != nil {
			return fmt.Errorf("demo policy for client %d: %w", c.ID, describe(err))
		}
	}
	return nil
}

// paperwork records what intake collects (consent to treatment, the notice
// of privacy practices, the financial policy; telehealth consent for
// telehealth clients), a release of information for some, and the odd alert.
func (s *demoSeeder) paperwork(c clients.Client) error {
	if c.Status == clients.StatusInquiry || c.Status == clients.StatusWaitlist {
		return nil
	}
	signed := c.StatusDate
	if c.Status != clients.StatusActive {
		signed = s.today.AddDate(0, 0, -800-s.r.IntN(400)).Format(time.DateOnly)
	}
	kinds := []string{"treatment", "privacy_notice", "financial_policy"}
	if c.LocationID == s.locations[1] {
		kinds = append(kinds, "telehealth")
	}
	for _, k := range kinds {
		if _, err := s.svc.AddConsent(s.ctx, s.desk, c.ID, clients.Consent{Kind: k, SignedDate: signed}); err != nil {
			return describe(err)
		}
	}
	if s.chance(15) {
		rel := clients.Consent{Kind: "release", SignedDate: signed, Recipient: "Dr. " + s.pick(demoSurnames) + ", primary care",
			Purpose: "Coordination of care", Scope: "Diagnosis, treatment plan and attendance"}
		// A year from signing: older releases have expired.
		sd, _ := time.Parse(time.DateOnly, signed)
		rel.ExpiresDate = sd.AddDate(1, 0, 0).Format(time.DateOnly)
		id, err := s.svc.AddConsent(s.ctx, s.desk, c.ID, rel)
		if err != nil {
			return describe(err)
		}
		if s.chance(20) {
			if err := s.svc.RevokeConsent(s.ctx, s.desk, c.ID, id, s.date(s.r.IntN(10))); err != nil {
				return describe(err)
			}
		}
	}
	// Alerts: the front desk flags contact and billing matters, the
	// clinician a safety plan.
	var err error
	switch {
	case len(c.Phones) > 0 && !c.Phones[0].CanVoicemail:
		_, err = s.svc.AddAlert(s.ctx, s.desk, c.ID, clients.Alert{Kind: "contact", Text: "Do not leave voicemail"})
	case c.Status == clients.StatusActive && c.PrimaryClinicianID != 0 && s.chance(5):
		_, err = s.svc.AddAlert(s.ctx, s.actors[c.PrimaryClinicianID], c.ID, clients.Alert{Kind: "safety", Text: "Safety plan on file: review at each session"})
	case s.chance(3):
		_, err = s.svc.AddAlert(s.ctx, s.desk, c.ID, clients.Alert{Kind: "billing", Text: "Balance over 90 days: see billing before booking"})
	}
	if err != nil {
		return describe(err)
	}
	return nil
}

// caseloadLine is the banner's note on a member of staff's clients.
func caseloadLine(roles []access.Role, own, supervised, total int) string {
	for _, r := range roles {
		switch r {
		case access.RoleClinician, access.RoleAssociate, access.RoleSupervisor:
			line := fmt.Sprintf("%d clients on caseload", own)
			if supervised > 0 {
				line += fmt.Sprintf(", %d more through supervision", supervised)
			}
			return line
		}
	}
	return fmt.Sprintf("sees all %d clients", total)
}
