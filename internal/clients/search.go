package clients

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// Summary is a search result row.
type Summary struct {
	ID                 int64
	MRN                string
	FirstName          string
	LastName           string
	PreferredName      string
	BirthDate          string
	Status             Status
	PrimaryClinicianID int64
}

// DisplayName is the preferred first name and legal last name.
func (s Summary) DisplayName() string {
	return Client{FirstName: s.FirstName, PreferredName: s.PreferredName, LastName: s.LastName}.DisplayName()
}

// SearchFilter narrows a search.
type SearchFilter struct {
	Query   string
	Status  Status
	Limit   int
	AfterID int64 // for listing without a query: ids after this one
}

var (
	mrnPattern  = regexp.MustCompile(`(?i)^ms-?\d{1,9}$`)
	isoDate     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	usDate      = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)
	prefixLimit = "\uffff"
)

// denseAt is the number of clients above which a first or preferred name
// prefix is answered by walking the name order (matches are then close
// together, so a page fills quickly) rather than by fetching every match and
// sorting it. Near this number both ways take a few milliseconds on a million
// clients (docs/PERFORMANCE.md, "Client search").
var denseAt = 1000 // a variable for the tests, which try both ways

const summaryColumns = `c.id, c.mrn, c.first_name, c.last_name, c.preferred_name, c.birth_date, c.status, COALESCE(c.primary_clinician_id, 0)`

// Search finds clients the actor may see by name prefix (legal first or last,
// or preferred; case and accents ignored; "first last" or "last, first"),
// date of birth (YYYY-MM-DD or MM/DD/YYYY), phone, email or MRN, in name
// order; without a query it lists them by id after f.AfterID. The search
// is audited without its text (it may be a name). Errors: forbidden, invalid.
func (s *Service) Search(ctx context.Context, a access.Actor, f SearchFilter) ([]Summary, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "client_search"}
	role, err := s.audit.Authorize(ctx, a, access.PermClientsRead, access.Target{}, ev)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 25
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, apperr.Invalid("Unknown status.", map[string]string{"status": "Choose a status from the list."})
	}
	f.Query = strings.TrimSpace(f.Query)
	if utf8.RuneCountInString(f.Query) > 100 {
		return nil, apperr.Invalid("The search is too long.", map[string]string{"q": "Use at most 100 characters."})
	}
	sr := searcher{s: s, ctx: ctx, a: a, f: f}
	var out []Summary
	if exact, args, ok := exactMatch(f.Query); ok || f.Query == "" && seesAll(a) {
		out, err = sr.direct(exact, args)
	} else if f.Query == "" {
		out, err = sr.list()
	} else if m := parseName(f.Query); m != nil {
		out, err = sr.names(m)
	}
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("search clients: %w", err))
	}
	ev.Role, ev.Detail = role, fmt.Sprintf("results %d", len(out))
	if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// exactMatch recognises a query for one value (MRN, birth date, email or
// phone) and returns its condition on clients c, with $1 as the value.
func exactMatch(q string) (string, []any, bool) {
	switch {
	case mrnPattern.MatchString(q):
		digits := strings.TrimLeft(strings.TrimPrefix(strings.ToUpper(strings.ReplaceAll(q, "-", "")), "MS"), "0")
		var n int64
		fmt.Sscan(digits, &n)
		return "c.mrn = $1", []any{fmt.Sprintf("MS-%06d", n)}, true
	case isoDate.MatchString(q):
		return "c.birth_date = $1", []any{q}, true
	case usDate.MatchString(q):
		m := usDate.FindStringSubmatch(q)
		return "c.birth_date = $1", []any{fmt.Sprintf("%s-%02s-%02s", m[3], m[1], m[2])}, true
	case strings.Contains(q, "@"):
		return "c.email = $1", []any{strings.ToLower(q)}, true
	case PhoneDigits(q) != "":
		// IN, not a correlated EXISTS: both engines then start from the
		// phone index instead of testing every client.
		return "c.id IN (SELECT client_id FROM client_phones WHERE digits = $1)", []any{PhoneDigits(q)}, true
	}
	return "", nil, false
}

// prefix is "column starts with value", on a folded name column.
type prefix struct{ col, value string }

// nameMatch is what a name query matches: any of alts, each a conjunction
// of prefixes with the search_last prefix, when there is one, first.
type nameMatch struct{ alts [][]prefix }

// parseName reads "last, first", "first last…" (or a last name of several
// words typed whole) or one word against each name column.
func parseName(q string) *nameMatch {
	if l, r, ok := strings.Cut(q, ","); ok {
		last, first := Fold(l), Fold(r)
		return &nameMatch{alts: [][]prefix{
			{{"search_last", last}, {"search_first", first}},
			{{"search_last", last}, {"search_preferred", first}},
		}}
	}
	words := strings.Fields(Fold(q))
	switch len(words) {
	case 0:
		return nil
	case 1:
		w := words[0]
		return &nameMatch{alts: [][]prefix{{{"search_last", w}}, {{"search_first", w}}, {{"search_preferred", w}}}}
	}
	first, rest := words[0], strings.Join(words[1:], " ")
	return &nameMatch{alts: [][]prefix{
		{{"search_last", rest}, {"search_first", first}},
		{{"search_last", rest}, {"search_preferred", first}},
		{{"search_last", strings.Join(words, " ")}},
	}}
}

// seek is a prefix that an index range answers, and the rest of each
// alternative looked up by it, checked on every entry of that range.
type seek struct {
	on   prefix
	rest [][]prefix
}

// seeks groups alternatives by the prefix each is looked up by: its first
// with a value (an empty one narrows nothing), or else its first.
func seeks(alts [][]prefix) []seek {
	var out []seek
	for _, alt := range alts {
		i := max(0, slices.IndexFunc(alt, func(p prefix) bool { return p.value != "" }))
		j := slices.IndexFunc(out, func(s seek) bool { return s.on == alt[i] })
		if j < 0 {
			out, j = append(out, seek{on: alt[i]}), len(out)
		}
		out[j].rest = append(out[j].rest, slices.Concat(alt[:i], alt[i+1:]))
	}
	return out
}

// searcher runs one search. Name queries and caseload listings are run as
// several small statements whose results are merged here: each statement is
// one both engines answer from one index range, in result order or sorting
// only its matches (or from a short list), whereas the same conditions
// OR-ed into one statement make both engines fetch and sort every match
// (docs/PERFORMANCE.md, "Client search"). A caseload's name statements are
// sent joined into one (caseloadNames).
type searcher struct {
	s   *Service
	ctx context.Context
	a   access.Actor
	f   SearchFilter
}

// stmt builds one statement: the table it reads (clients c, or the care
// team t, whose rows carry their client's names), its conditions and
// arguments.
type stmt struct {
	alias string // "c" or "t"
	where []string
	args  []any
	// distinct: the statement may find a client more than once (the care
	// teams of several supervisees), and each must fill one place of a page.
	distinct bool
}

func clientsStmt() *stmt { return &stmt{alias: "c"} }

func (st *stmt) arg(v any) string {
	st.args = append(st.args, v)
	return fmt.Sprintf("$%d", len(st.args))
}

// id is the statement's client id column.
func (st *stmt) id() string {
	if st.alias == "t" {
		return "t.client_id"
	}
	return "c.id"
}

func (st *stmt) from() string {
	if st.alias == "t" {
		return "client_care_team t"
	}
	return "clients c"
}

// nameOrder is the order of results, and of the name indexes.
func (st *stmt) nameOrder() string {
	return " ORDER BY " + st.alias + ".search_last, " + st.alias + ".search_first, " + st.id()
}

// prefix writes the prefix condition. With indexed false it compares the
// column joined to an empty string, which no index serves: the engine then
// stays on the index that gives the statement's order or scope.
func (st *stmt) prefix(p prefix, indexed bool) string {
	col := st.alias + "." + p.col
	if !indexed {
		col = "(" + col + " || '')"
	}
	return "(" + col + " >= " + st.arg(p.value) + " AND " + col + " < " + st.arg(p.value+prefixLimit) + ")"
}

func (st *stmt) match(alts [][]prefix, indexed bool) string {
	var or []string
	for _, alt := range alts {
		var and []string
		for _, p := range alt {
			and = append(and, st.prefix(p, indexed))
		}
		or = append(or, "("+strings.Join(and, " AND ")+")")
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// live adds what every statement has: no merged records, and the status
// asked for. A care team statement checks them on the client's row.
func (sr *searcher) live(st *stmt) {
	cond := "c.merged_into IS NULL"
	if sr.f.Status != "" {
		cond += " AND c.status = " + st.arg(string(sr.f.Status))
	}
	if st.alias == "t" {
		cond = "EXISTS (SELECT 1 FROM clients c WHERE c.id = t.client_id AND " + cond + ")"
	}
	st.where = append(st.where, cond)
}

// scopes are statements that together cover the clients a caseload-bound
// actor may see: the clients they are primary clinician of, those whose
// care team they are on, and for supervisors the same for their
// supervisees. Each has its own indexes, led by the scope's column; OR-ed
// together in one statement they would have none. A scope's statement
// continues args, so that several can be joined into one. It returns nil
// for staff who see everyone.
func (sr *searcher) scopes() []func(args []any) *stmt {
	if seesAll(sr.a) {
		return nil
	}
	scope := func(alias, cond string) func([]any) *stmt {
		return func(args []any) *stmt {
			st := &stmt{alias: alias, args: args}
			st.where = append(st.where, strings.ReplaceAll(cond, "$u", st.arg(sr.a.UserID)))
			return st
		}
	}
	out := []func([]any) *stmt{scope("c", "c.primary_clinician_id = $u"), scope("t", "t.user_id = $u")}
	if sr.a.Has(access.RoleSupervisor) {
		sup := superviseesSQL("$u", sr.s.clock.Now())
		teams := scope("t", "t.user_id IN "+sup)
		out = append(out, scope("c", "c.primary_clinician_id IN "+sup), func(args []any) *stmt {
			st := teams(args)
			st.distinct = true
			return st
		})
	}
	return out
}

// direct answers an exact query, or a listing for staff who see everyone,
// in one statement: the value's index finds a handful of rows, which the
// caseload condition then filters.
func (sr *searcher) direct(exact string, args []any) ([]Summary, error) {
	st := &stmt{alias: "c", args: args}
	order := st.nameOrder()
	if exact == "" {
		exact, order = "c.id > "+st.arg(sr.f.AfterID), " ORDER BY c.id"
	}
	st.where = append(st.where, exact)
	sr.live(st)
	if !seesAll(sr.a) {
		st.where = append(st.where, caseloadSQL(st.arg(sr.a.UserID), sr.a.Has(access.RoleSupervisor), sr.s.clock.Now()))
	}
	return sr.summaries(`SELECT `+summaryColumns+` FROM clients c WHERE `+strings.Join(st.where, " AND ")+order+
		fmt.Sprintf(" LIMIT %d", sr.f.Limit), st.args...)
}

// list pages through a caseload by id: one statement per scope.
func (sr *searcher) list() ([]Summary, error) {
	var all []candidate
	for _, scope := range sr.scopes() {
		st := scope(nil)
		st.where = append(st.where, st.id()+" > "+st.arg(sr.f.AfterID))
		sr.live(st)
		got, err := sr.candidates(st, " ORDER BY "+st.id(), sr.f.Limit)
		if err != nil {
			return nil, err
		}
		all = append(all, got...)
	}
	return sr.fetch(all, func(x, y candidate) int { return cmpID(x.id, y.id) })
}

// names answers a name query, within a caseload's scopes or among every
// client.
func (sr *searcher) names(m *nameMatch) ([]Summary, error) {
	var all []candidate
	add := func(st *stmt, order string, limit int) error {
		got, err := sr.candidates(st, order, limit)
		all = append(all, got...)
		return err
	}
	if scopes := sr.scopes(); scopes != nil {
		all, err := sr.scan(sr.caseloadNames(scopes, m))
		if err != nil {
			return nil, err
		}
		return sr.fetch(all, cmpName)
	}
	// Everyone's clients. Alternatives with a last-name prefix walk that
	// range of the name index in order and stop after a page; those with
	// the same last-name prefix go together.
	var lasts []string
	byLast := map[string][][]prefix{}
	var others []prefix
	for _, alt := range m.alts {
		if alt[0].col != "search_last" {
			others = append(others, alt...)
			continue
		}
		if _, ok := byLast[alt[0].value]; !ok {
			lasts = append(lasts, alt[0].value)
		}
		byLast[alt[0].value] = append(byLast[alt[0].value], alt[1:])
	}
	for _, last := range lasts {
		st := clientsStmt()
		st.where = append(st.where, st.prefix(prefix{"search_last", last}, true))
		if rest := byLast[last]; !slices.ContainsFunc(rest, func(r []prefix) bool { return len(r) == 0 }) {
			st.where = append(st.where, st.match(rest, false))
		}
		sr.live(st)
		if err := add(st, st.nameOrder(), sr.f.Limit); err != nil {
			return nil, err
		}
	}
	// A first or preferred name prefix on its own: few matches are fetched
	// and sorted here; many are found by walking the name order, where they
	// are dense.
	if len(others) > 0 {
		n := 0
		for _, p := range others {
			c, err := sr.count(p)
			if err != nil {
				return nil, err
			}
			n += c
		}
		if n > denseAt {
			st := clientsStmt()
			var alts [][]prefix
			for _, p := range others {
				alts = append(alts, []prefix{p})
			}
			st.where = append(st.where, st.match(alts, false))
			sr.live(st)
			if err := add(st, st.nameOrder(), sr.f.Limit); err != nil {
				return nil, err
			}
		} else {
			for _, p := range others {
				st := clientsStmt()
				st.where = append(st.where, st.prefix(p, true))
				sr.live(st)
				if err := add(st, "", denseAt+1); err != nil {
					return nil, err
				}
			}
		}
	}
	return sr.fetch(all, cmpName)
}

// caseloadNames is the statement that finds a name within a caseload. In
// each scope, each prefix the alternatives are looked up by (see seeks) is
// a range of an index led by the scope's column, so the engine reads the
// scope's clients with that prefix rather than the whole caseload. A
// surname range is read in name order and stops after a page; a first or
// preferred name range is read whole and sorted, so it costs as many
// entries as the scope has clients with that first or preferred name
// prefix. The statements are sent as one, each a subquery (a compound's own
// members cannot have ORDER BY and LIMIT), because PostgreSQL pays a round
// trip for each.
func (sr *searcher) caseloadNames(scopes []func([]any) *stmt, m *nameMatch) (string, []any) {
	var parts []string
	var args []any
	sks := seeks(m.alts)
	for _, scope := range scopes {
		for _, sk := range sks {
			st := scope(args)
			st.where = append(st.where, st.prefix(sk.on, true))
			if sk.on.col == "search_preferred" && sk.on.value != "" {
				// Implied by the prefix, but the engines use the preferred
				// name indexes, which leave out clients without one, only
				// when the statement says so.
				st.where = append(st.where, st.alias+".search_preferred <> ''")
			}
			if !slices.ContainsFunc(sk.rest, func(r []prefix) bool { return len(r) == 0 }) {
				st.where = append(st.where, st.match(sk.rest, false))
			}
			sr.live(st)
			parts = append(parts, fmt.Sprintf("SELECT * FROM (%s) s%d", st.candidatesSQL(st.nameOrder(), sr.f.Limit), len(parts)))
			args = st.args
		}
	}
	return strings.Join(parts, " UNION ALL "), args
}

// count is how many clients have a name column starting with p, up to denseAt+1.
func (sr *searcher) count(p prefix) (int, error) {
	st := clientsStmt()
	var n int
	err := sr.s.db.Read().QueryRowContext(sr.ctx, fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM clients c WHERE %s LIMIT %d) m`,
		st.prefix(p, true), denseAt+1), st.args...).Scan(&n)
	return n, err
}

// candidate is a matching client and its place in name order.
type candidate struct {
	id          int64
	last, first string
}

func cmpID(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpName is the name order, as both engines sort the folded names
// (byte order: SQLite's BINARY collation, PostgreSQL's "C").
func cmpName(x, y candidate) int {
	if c := strings.Compare(x.last, y.last); c != 0 {
		return c
	}
	if c := strings.Compare(x.first, y.first); c != 0 {
		return c
	}
	return cmpID(x.id, y.id)
}

func (sr *searcher) candidates(st *stmt, order string, limit int) ([]candidate, error) {
	return sr.scan(st.candidatesSQL(order, limit), st.args)
}

// candidatesSQL selects the statement's candidates: id and folded names.
func (st *stmt) candidatesSQL(order string, limit int) string {
	a := st.alias
	sel := `SELECT `
	if st.distinct {
		sel = `SELECT DISTINCT `
	}
	return sel + st.id() + `, ` + a + `.search_last, ` + a + `.search_first FROM ` + st.from() + ` WHERE ` +
		strings.Join(st.where, " AND ") + order + fmt.Sprintf(" LIMIT %d", limit)
}

func (sr *searcher) scan(query string, args []any) ([]candidate, error) {
	rows, err := sr.s.db.Read().QueryContext(sr.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.last, &c.first); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// fetch sorts the candidates, keeps the first page of distinct clients and
// reads their summaries.
func (sr *searcher) fetch(all []candidate, cmp func(x, y candidate) int) ([]Summary, error) {
	slices.SortFunc(all, cmp)
	all = slices.CompactFunc(all, func(x, y candidate) bool { return x.id == y.id })
	all = all[:min(len(all), sr.f.Limit)]
	if len(all) == 0 {
		return nil, nil
	}
	st := clientsStmt()
	var ids []string
	for _, c := range all {
		ids = append(ids, st.arg(c.id))
	}
	got, err := sr.summaries(`SELECT `+summaryColumns+` FROM clients c WHERE c.id IN (`+strings.Join(ids, ", ")+`)`, st.args...)
	if err != nil {
		return nil, err
	}
	pos := map[int64]int{}
	for i, c := range all {
		pos[c.id] = i
	}
	slices.SortFunc(got, func(x, y Summary) int { return pos[x.ID] - pos[y.ID] })
	return got, nil
}

func (sr *searcher) summaries(query string, args ...any) ([]Summary, error) {
	rows, err := sr.s.db.Read().QueryContext(sr.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var r Summary
		var st string
		if err := rows.Scan(&r.ID, &r.MRN, &r.FirstName, &r.LastName, &r.PreferredName, &r.BirthDate, &st, &r.PrimaryClinicianID); err != nil {
			return nil, err
		}
		r.Status = Status(st)
		out = append(out, r)
	}
	return out, rows.Err()
}

// seesAll reports whether one of the actor's roles reads clients without a
// caseload limit.
func seesAll(a access.Actor) bool {
	if a.System {
		return true
	}
	for _, r := range a.Roles {
		if !slices.Contains(access.CaseloadRoles, r) && slices.Contains(access.PermissionsOf(r), access.PermClientsRead) {
			return true
		}
	}
	return false
}
