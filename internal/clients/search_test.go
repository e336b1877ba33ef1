package clients_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clients"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// refClient is a client as the reference search sees it.
type refClient struct {
	id                int64
	last, first, pref string
	status            clients.Status
	primary           int64
	merged            bool
	team              []int64
}

// refPractice is every client of a database, and who supervises whom.
type refPractice struct {
	clients     []refClient
	supervisees map[int64][]int64
}

func loadReference(t *testing.T, d *db.DB) refPractice {
	t.Helper()
	ctx := context.Background()
	p := refPractice{supervisees: map[int64][]int64{}}
	rows, err := d.Read().QueryContext(ctx, `SELECT id, search_last, search_first, search_preferred, status, COALESCE(primary_clinician_id, 0),
		merged_into IS NOT NULL FROM clients ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]int{}
	for rows.Next() {
		var c refClient
		if err := rows.Scan(&c.id, &c.last, &c.first, &c.pref, &c.status, &c.primary, &c.merged); err != nil {
			t.Fatal(err)
		}
		byID[c.id] = len(p.clients)
		p.clients = append(p.clients, c)
	}
	rows.Close()
	rows, err = d.Read().QueryContext(ctx, `SELECT client_id, user_id FROM client_care_team`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c, u int64
		rows.Scan(&c, &u)
		p.clients[byID[c]].team = append(p.clients[byID[c]].team, u)
	}
	rows.Close()
	rows, err = d.Read().QueryContext(ctx, `SELECT supervisor_id, supervisee_id FROM supervision`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s, e int64
		rows.Scan(&s, &e)
		p.supervisees[s] = append(p.supervisees[s], e)
	}
	return p
}

// visible is the caseload rule written out.
func (p refPractice) visible(a access.Actor, c refClient) bool {
	if clients.SeesAll(a) {
		return true
	}
	treats := func(u int64) bool { return c.primary == u || slices.Contains(c.team, u) }
	if treats(a.UserID) {
		return true
	}
	if a.Has(access.RoleSupervisor) {
		for _, e := range p.supervisees[a.UserID] {
			if treats(e) {
				return true
			}
		}
	}
	return false
}

// refNameMatch is the name search's meaning, written the obvious way.
func refNameMatch(q string, c refClient) bool {
	hp := strings.HasPrefix
	if l, r, ok := strings.Cut(q, ","); ok {
		last, first := clients.Fold(l), clients.Fold(r)
		return hp(c.last, last) && (hp(c.first, first) || hp(c.pref, first))
	}
	words := strings.Fields(clients.Fold(q))
	if len(words) == 1 {
		w := words[0]
		return hp(c.last, w) || hp(c.first, w) || hp(c.pref, w)
	}
	first, rest := words[0], strings.Join(words[1:], " ")
	return (hp(c.first, first) || hp(c.pref, first)) && hp(c.last, rest) || hp(c.last, strings.Join(words, " "))
}

// search is the reference: every visible, unmerged client that matches, in
// name order (by id when listing), after afterID when listing.
func (p refPractice) search(a access.Actor, f clients.SearchFilter) []int64 {
	var hits []refClient
	for _, c := range p.clients {
		if c.merged || !p.visible(a, c) || f.Status != "" && c.status != f.Status {
			continue
		}
		if f.Query == "" && c.id > f.AfterID || f.Query != "" && refNameMatch(f.Query, c) {
			hits = append(hits, c)
		}
	}
	if f.Query != "" {
		slices.SortFunc(hits, func(x, y refClient) int {
			return cmp.Or(strings.Compare(x.last, y.last), strings.Compare(x.first, y.first), cmp.Compare(x.id, y.id))
		})
	}
	var ids []int64
	for _, c := range hits[:min(len(hits), f.Limit)] {
		ids = append(ids, c.id)
	}
	return ids
}

// Search returns what the reference returns, for each kind of actor, name
// query, status and page size, whichever way it answers a first-name prefix
// (sorting few matches, or walking the name order when there are many).
func TestSearchMatchesReference(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fillPractice(t, d, 2500)
		clk := clock.System{}
		svc := clients.NewService(d, clk, audit.NewLog(d, clk, access.Policy{ClientRule: clients.CaseloadRule(d, clk)}), nil)
		// Some records merged behind the service's back (their care team
		// rows stay), some through it, and some renamed: care team rows
		// must follow their client's names.
		if _, err := d.Writer().ExecContext(ctx, `UPDATE clients SET merged_into = id - 1 WHERE id % 97 = 0`); err != nil {
			t.Fatal(err)
		}
		admin := access.Actor{UserID: 1, Roles: []access.Role{access.RoleAdmin}}
		for id := int64(50); id <= 2500; id += 150 {
			c, err := svc.Get(ctx, admin, id, clients.SectionDemographics)
			if err != nil {
				t.Fatal(err)
			}
			in := clients.Input{FirstName: "Marisol", LastName: "Abara " + c.LastName, PreferredName: "Mara", BirthDate: c.BirthDate, Phones: c.Phones,
				Status: c.Status, StatusDate: c.StatusDate, PrimaryClinicianID: c.PrimaryClinicianID, CareTeam: c.CareTeam}
			if err := svc.Update(ctx, admin, id, in, c.Version); err != nil {
				t.Fatal(err)
			}
			// The duplicate is on the clinician's care team, so the survivor
			// arrives there under the survivor's names.
			dup, err := svc.Get(ctx, admin, id+1, clients.SectionDemographics)
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Update(ctx, admin, id+1, clients.Input{FirstName: dup.FirstName, LastName: dup.LastName, BirthDate: dup.BirthDate,
				Status: dup.Status, StatusDate: dup.StatusDate, PrimaryClinicianID: dup.PrimaryClinicianID,
				CareTeam: append(dup.CareTeam, benchClinician)}, dup.Version); err != nil {
				t.Fatal(err)
			}
			if err := svc.Merge(ctx, admin, id, id+1); err != nil {
				t.Fatal(err)
			}
		}
		ref := loadReference(t, d)
		actors := map[string]access.Actor{
			"frontdesk":  {UserID: benchFrontDesk, Roles: []access.Role{access.RoleFrontDesk}},
			"clinician":  {UserID: benchClinician, Roles: []access.Role{access.RoleClinician}},
			"associate":  {UserID: benchClinician + 7, Roles: []access.Role{access.RoleAssociate}},
			"supervisor": {UserID: benchClinician + 24, Roles: []access.Role{access.RoleClinician, access.RoleSupervisor}},
		}
		queries := []string{"mar", "MAR", "ma", "m", "abara", "marisol ab", "mara a", "abara, mar", "jos", "smi", "Maria Gar", "maria g", "garcia, ma", "Garcia,", ", ma", "de la", "de la c",
			"o'b", "van der", "thandiwe", "nguyen t", "zz", "José", "núñ", "bra", "a"}
		for _, q := range sampleQueries(t, d, actors["frontdesk"], 15) {
			queries = append(queries, q...)
		}
		saved := *clients.DenseAt
		t.Cleanup(func() { *clients.DenseAt = saved })
		for _, dense := range []int{saved, 3} {
			*clients.DenseAt = dense
			for name, a := range actors {
				for _, q := range queries {
					if _, _, exact := clients.ExactMatch(q); exact {
						continue
					}
					for _, f := range []clients.SearchFilter{{Query: q, Limit: 25}, {Query: q, Limit: 3}, {Query: q, Limit: 100, Status: clients.StatusActive}} {
						res, err := svc.Search(ctx, a, f)
						if err != nil {
							t.Fatalf("%s: search %+v: %v", name, f, err)
						}
						var got []int64
						for _, r := range res {
							got = append(got, r.ID)
						}
						if want := ref.search(a, f); !slices.Equal(got, want) {
							t.Errorf("denseAt %d, %s, %+v:\n got %v\nwant %v", dense, name, f, got, want)
						}
					}
				}
				// Listing pages through everything visible, by id.
				var got []int64
				for after, pages := int64(0), 0; ; pages++ {
					res, err := svc.Search(ctx, a, clients.SearchFilter{AfterID: after, Limit: 100})
					if err != nil || pages > 100 {
						t.Fatalf("%s: list after %d: %v", name, after, err)
					}
					for _, r := range res {
						got = append(got, r.ID)
					}
					if len(res) < 100 {
						break
					}
					after = res[len(res)-1].ID
				}
				if want := ref.search(a, clients.SearchFilter{Limit: 1 << 30}); !slices.Equal(got, want) {
					t.Errorf("%s: listed %d clients, want %d (%s)", name, len(got), len(want), firstDiff(got, want))
				}
			}
		}
	})
}

func firstDiff(got, want []int64) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at %d: %d, want %d", i, got[i], want[i])
		}
	}
	return "one is a prefix of the other"
}
