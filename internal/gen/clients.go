package gen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// ClientGen makes a plausible client list: common names far more often than
// rare ones (a long tail of surnames made from syllables), children,
// teenagers, adults and older adults, most clients discharged or inactive as
// in a practice that has run for years, one or two phones each, and a
// primary clinician and sometimes a care team among the clinicians given.
// The same seed and clinicians give the same clients, in the same order.
// The client search benchmark (package clients) loads its practice with it;
// Run overrides status, dates and clinicians with what its schedule implies.
type ClientGen struct {
	r           *rand.Rand
	first, last *zipf
	clinicians  []int64
	today       time.Time
}

// NewClientGen returns a generator whose clients are treated by clinicians
// (user ids; at least one) and whose ages and dates count back from today.
func NewClientGen(seed uint64, clinicians []int64, today time.Time) *ClientGen {
	return &ClientGen{r: rand.New(rand.NewPCG(seed, seed)), first: newZipf(firstNames), last: newZipf(lastNames),
		clinicians: clinicians, today: today}
}

// Client is one generated client, with their phones and care team.
type Client struct {
	ID                                              int64
	MRN                                             string
	FirstName, MiddleName, LastName, PreferredName  string
	BirthDate                                       string // YYYY-MM-DD
	Age                                             int
	Sex, Races, Ethnicity, Language, Email          string
	AddressLine1, City, State, PostalCode           string
	Status                                          clients.Status
	StatusDate                                      string
	PrimaryClinicianID                              int64 // 0: none
	LocationID                                      int64 // 0: none
	ReferralSource, MaritalStatus, EmploymentStatus string
	Created, Updated                                time.Time // a zero Updated is Created
	Phones                                          []Phone
	CareTeam                                        []int64 // besides the primary clinician
}

// Phone is one of a client's numbers.
type Phone struct {
	Kind, Number, Digits  string
	CanText, CanVoicemail bool
}

// The columns of ClientColumns, PhoneColumns and CareTeamColumns, in the
// order Row, PhoneRows and CareTeamRows give them.
var (
	ClientColumns = []string{"id", "mrn", "first_name", "middle_name", "last_name", "preferred_name", "birth_date", "sex", "races",
		"ethnicity", "language", "email", "address_line1", "city", "state", "postal_code", "status", "status_date",
		"primary_clinician_id", "search_last", "search_first", "search_preferred", "created_at", "updated_at",
		"location_id", "referral_source", "marital_status", "employment_status"}
	PhoneColumns    = []string{"client_id", "position", "kind", "number", "digits", "can_text", "can_voicemail"}
	CareTeamColumns = []string{"client_id", "user_id", "search_last", "search_first", "search_preferred"}
)

// Row is the client's clients row, with the folded search keys Create stores.
func (c *Client) Row() []any {
	created, updated := db.Micros(c.Created), db.Micros(c.Created)
	if !c.Updated.IsZero() {
		updated = db.Micros(c.Updated)
	}
	return []any{c.ID, c.MRN, c.FirstName, c.MiddleName, c.LastName, c.PreferredName, c.BirthDate, c.Sex, c.Races, c.Ethnicity,
		c.Language, c.Email, c.AddressLine1, c.City, c.State, c.PostalCode, string(c.Status), c.StatusDate, nullID(c.PrimaryClinicianID),
		clients.Fold(c.LastName), clients.Fold(c.FirstName), clients.Fold(c.PreferredName), created, updated,
		nullID(c.LocationID), c.ReferralSource, c.MaritalStatus, c.EmploymentStatus}
}

// PhoneRows are the client's client_phones rows (ids left to the database).
func (c *Client) PhoneRows() [][]any {
	out := make([][]any, len(c.Phones))
	for i, p := range c.Phones {
		out[i] = []any{c.ID, i, p.Kind, p.Number, p.Digits, p.CanText, p.CanVoicemail}
	}
	return out
}

// CareTeamRows are the client's client_care_team rows, with the copy of the
// folded names the care-team search index needs.
func (c *Client) CareTeamRows() [][]any {
	out := make([][]any, len(c.CareTeam))
	for i, u := range c.CareTeam {
		out[i] = []any{c.ID, u, clients.Fold(c.LastName), clients.Fold(c.FirstName), clients.Fold(c.PreferredName)}
	}
	return out
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// zipf picks from a list, the k-th item with weight 1/(k+10): the most
// common of 100 names about 4 % of the time, the rarest 0.4 %, about as
// steep as the commonest names of the United States.
type zipf struct {
	items []string
	cum   []float64
}

func newZipf(items []string) *zipf {
	z := &zipf{items: items}
	sum := 0.0
	for k := range items {
		sum += 1 / float64(k+11)
		z.cum = append(z.cum, sum)
	}
	return z
}

func (z *zipf) pick(r *rand.Rand) string {
	x := r.Float64() * z.cum[len(z.cum)-1]
	i, _ := slices.BinarySearch(z.cum, x)
	return z.items[min(i, len(z.items)-1)]
}

var (
	firstNames = []string{"Maria", "James", "Sofia", "Michael", "Emma", "David", "Olivia", "Daniel", "Isabella", "José", "Ava", "Christopher",
		"Mia", "Anthony", "Emily", "Matthew", "Camila", "Joshua", "Aaliyah", "Andrew", "Chloé", "Luis", "Grace", "Kevin", "Nia", "Juan", "Hannah",
		"Jamal", "Priya", "Wei", "Fatima", "Mohammed", "Aiden", "Zoë", "Ethan", "Ana", "Carlos", "Lucía", "Noah", "Elena", "Jin", "Amara", "Omar",
		"Leah", "Diego", "Renée", "Kwame", "Yuki", "Marcus", "Sarah", "Tomás", "Ingrid", "Rahul", "Abigail", "Dmitri", "Mei", "Liam", "Adaeze",
		"Gabriel", "Naomi", "Hiroshi", "Valentina", "Samuel", "Imani", "Ahmed", "Rosa", "Benjamin", "Keisha", "Hao", "Margaret", "Isaac", "Lina",
		"Tyrone", "Ximena", "Elijah", "Aisha", "Nathan", "Beatriz", "Ravi", "Ruth", "Mateo", "Sienna", "Kofi", "Dolores", "Joaquín", "Astrid",
		"Caleb", "Ngozi", "Andrés", "Harriet", "Arjun", "Esther", "Malik", "Paloma", "Sung", "Frances", "Miguel", "Leila", "Jonah", "Thandiwe"}
	lastNames = []string{"Smith", "Garcia", "Johnson", "Nguyen", "Williams", "Rodriguez", "Brown", "Martinez", "Jones", "Hernandez", "Kim",
		"Lopez", "Patel", "Davis", "Gonzalez", "Lee", "Wilson", "Pérez", "Anderson", "Chen", "Taylor", "Sánchez", "Thomas", "Ramírez", "Moore",
		"Jackson", "Torres", "Martin", "Wang", "White", "Rivera", "Harris", "Flores", "Okafor", "Clark", "Singh", "Lewis", "Núñez", "Robinson",
		"Walker", "Khan", "Young", "Cohen", "Allen", "Park", "Wright", "Tran", "Scott", "Ali", "Green", "O'Brien", "Adams", "Murphy", "Baker",
		"Mensah", "Hall", "Nakamura", "Campbell", "Kowalski", "Mitchell", "Peña", "Carter", "Huang", "Roberts", "Shah", "Phillips", "Haddad",
		"Evans", "Ivanova", "Turner", "de la Cruz", "Collins", "Sato", "Stewart", "Müller", "Morris", "Gupta", "Rogers", "Choi", "Reed", "Rossi",
		"Cook", "Dubois", "Morgan", "Larsen", "Bell", "Mbeki", "Bailey", "Goldberg", "Cooper", "Popescu", "Richardson", "Ibáñez", "Cox",
		"Friedman", "Howard", "Yamamoto", "Ward", "Van der Berg", "Peterson", "Nasser"}
	syllableOnsets = []string{"b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p", "pr", "r", "s", "sh",
		"st", "t", "tr", "v", "w", "z"}
	syllableVowels = []string{"a", "e", "i", "o", "u", "ai", "ei", "ou", "ia", "ó", "é"}
	syllableCodas  = []string{"", "", "n", "r", "l", "s", "k", "m", "t", "nd", "rt", "ll", "ck", "sk", "z"}
	cities         = []struct{ city, state, zip, area string }{{"Chicago", "IL", "606", "312"}, {"Evanston", "IL", "602", "847"},
		{"Oak Park", "IL", "603", "708"}, {"Naperville", "IL", "605", "630"}, {"Gary", "IN", "464", "219"}, {"Milwaukee", "WI", "532", "414"},
		{"Skokie", "IL", "600", "224"}, {"Joliet", "IL", "604", "815"}}
	streets = []string{"Main St", "Oak Ave", "Lake Shore Dr", "Maple St", "Washington Blvd", "Cedar Ln", "Division St", "Elm St",
		"Halsted St", "Pine Ct", "Grand Ave", "Ridge Rd"}
	emailDomains = []string{"example.com", "example.org", "example.net", "mail.example.com"}
)

// surname is a common surname two times in five, else one made of two or
// three syllables: the long tail a large practice sees.
func surname(r *rand.Rand, common *zipf) string {
	if r.IntN(5) < 2 {
		return common.pick(r)
	}
	var b strings.Builder
	for range 2 + r.IntN(2) {
		b.WriteString(syllableOnsets[r.IntN(len(syllableOnsets))])
		b.WriteString(syllableVowels[r.IntN(len(syllableVowels))])
		b.WriteString(syllableCodas[r.IntN(len(syllableCodas))])
	}
	s := []rune(b.String())
	return strings.ToUpper(string(s[0])) + string(s[1:])
}

// Next returns the client with this id (ids are given in order).
func (g *ClientGen) Next(id int64) Client {
	r := g.r
	c := Client{ID: id, MRN: fmt.Sprintf("MS-%06d", id)}
	c.FirstName, c.LastName = g.first.pick(r), surname(r, g.last)
	if r.IntN(3) == 0 {
		c.MiddleName = string(rune('A'+r.IntN(26))) + "."
	}
	if r.IntN(8) == 0 {
		c.PreferredName = g.first.pick(r)
	}
	switch p := r.IntN(100); {
	case p < 8:
		c.Age = 5 + r.IntN(8) // children
	case p < 18:
		c.Age = 13 + r.IntN(5) // teenagers
	case p < 82:
		c.Age = 18 + r.IntN(47)
	default:
		c.Age = 65 + r.IntN(30)
	}
	c.BirthDate = g.today.AddDate(-c.Age, 0, -r.IntN(365)).Format(time.DateOnly)
	c.Sex = []string{"F", "F", "M", "M", "X", "U", ""}[r.IntN(7)]
	c.Races = []string{"2106-3", "2054-5", "2028-9", "1002-5", "2076-8", "2106-3,2054-5", "ASKU", ""}[r.IntN(8)]
	c.Ethnicity = []string{"2135-2", "2186-5", "2186-5", "ASKU", ""}[r.IntN(5)]
	c.Language = []string{"English", "English", "English", "English", "Spanish", "Spanish", "Polish", "Vietnamese", "Arabic", "Korean"}[r.IntN(10)]
	if r.IntN(10) < 7 {
		local := strings.NewReplacer(" ", "", "'", "").Replace(clients.Fold(c.FirstName) + "." + clients.Fold(c.LastName))
		if r.IntN(2) == 0 {
			local += fmt.Sprint(r.IntN(100))
		}
		c.Email = local + "@" + emailDomains[r.IntN(len(emailDomains))]
	}
	city := cities[r.IntN(len(cities))]
	c.City, c.State = city.city, city.state
	c.Status = clients.StatusDischarged
	switch p := r.IntN(100); {
	case p < 15:
		c.Status = clients.StatusActive
	case p < 35:
		c.Status = clients.StatusInactive
	case p < 40:
		c.Status = clients.StatusWaitlist
	case p < 45:
		c.Status = clients.StatusInquiry
	}
	c.Created = g.today.AddDate(0, 0, -r.IntN(15*365))
	c.StatusDate = c.Created.Format(time.DateOnly)
	picks := g.threeClinicians()
	if r.IntN(20) > 0 {
		c.PrimaryClinicianID = g.clinicians[picks[0]]
	}
	c.AddressLine1 = fmt.Sprintf("%d %s", 100+r.IntN(9900), streets[r.IntN(len(streets))])
	c.PostalCode = fmt.Sprintf("%s%02d", city.zip, r.IntN(100))
	nPhones := 1
	switch p := r.IntN(20); {
	case p == 0:
		nPhones = 0
	case p < 6:
		nPhones = 2
	}
	for pos := range nPhones {
		area := city.area
		if r.IntN(3) == 0 {
			area = []string{"773", "872", "331", "646", "917", "415"}[r.IntN(6)]
		}
		digits := fmt.Sprintf("%s%d%02d%04d", area, 2+r.IntN(8), r.IntN(100), r.IntN(10000))
		number := []string{"(%s) %s-%s", "%s-%s-%s", "%s.%s.%s"}[r.IntN(3)]
		number = fmt.Sprintf(number, digits[:3], digits[3:6], digits[6:])
		kind := "mobile"
		if pos == 1 {
			kind = []string{"home", "work", "other"}[r.IntN(3)]
		}
		c.Phones = append(c.Phones, Phone{Kind: kind, Number: number, Digits: digits,
			CanText: kind == "mobile" && r.IntN(4) > 0, CanVoicemail: r.IntN(3) > 0})
	}
	// Care team: none for most, one or two other clinicians for some.
	k := 0
	switch p := r.IntN(10); {
	case p >= 9:
		k = 2
	case p >= 6:
		k = 1
	}
	for _, i := range picks[1 : 1+k] {
		if u := g.clinicians[i]; u != c.PrimaryClinicianID && !slices.Contains(c.CareTeam, u) {
			c.CareTeam = append(c.CareTeam, u)
		}
	}
	return c
}

// threeClinicians picks three clinicians (indexes), different ones when
// there are three or more.
func (g *ClientGen) threeClinicians() [3]int {
	var c [3]int
	n := len(g.clinicians)
	for i := range c {
	again:
		c[i] = g.r.IntN(n)
		for _, prev := range c[:i] {
			if prev == c[i] && n >= 3 {
				goto again
			}
		}
	}
	return c
}
