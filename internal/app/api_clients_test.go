package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/api"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

// apiCaller sends JSON API requests as one token's user and keeps every
// response body, so a test can check what never appears in any of them.
type apiCaller struct {
	name   string
	t      *testing.T
	ta     *testApp
	token  string
	bodies *[]string
}

func (ta *testApp) apiAs(t *testing.T, email string, bodies *[]string) apiCaller {
	t.Helper()
	token, _, err := ta.Auth.CreateTokenFor(context.Background(), access.Actor{System: true}, email, "test")
	if err != nil {
		t.Fatal(err)
	}
	return apiCaller{name: email, t: t, ta: ta, token: token, bodies: bodies}
}

// call sends body (marshalled unless it is a string) and decodes the
// response into out when out is not nil. It returns the status and the
// response's Location header.
func (c apiCaller) call(method, path string, body, out any) (int, string) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, c.ta.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	*c.bodies = append(*c.bodies, string(b))
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header.Get("Location")
}

// apiError is the API's error body.
type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// aClientBody is a registration as a front desk sends it.
func aClientBody(first, last, dob string, primary int64) map[string]any {
	return map[string]any{
		"first_name": first, "last_name": last, "birth_date": dob, "pronouns": "she/her", "races": []string{"2106-3"}, "ethnicity": "2186-5",
		"address": map[string]string{"line1": "12 Elm St", "city": "Chicago", "state": "IL", "postal_code": "60601"},
		"phones": []map[string]any{
			{"kind": "mobile", "number": "(312) 555-0142", "can_text": true, "can_voicemail": true},
			{"kind": "work", "number": "312.555.0177"},
		},
		"primary_clinician_id": primary,
	}
}

func clientCount(t *testing.T, ta *testApp) int {
	t.Helper()
	var n int
	if err := ta.DB.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM clients`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The clients API end to end on both engines: registration with the
// duplicate warning, reads, optimistic updates, search and listing, the
// caseload rule, validation, and an SSN that never comes back.
func TestAPIClients(t *testing.T) {
	for _, engine := range dbtest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			if engine == db.Postgres {
				dbtest.PostgresSchema(t) // skips, or fails under CI, without a server
			}
			ta := newTestApp(t, engine)
			ctx := context.Background()
			ta.addUser("frontdesk@example.org", access.RoleFrontDesk)
			dana := ta.addUser("dana@example.org", access.RoleClinician)
			ta.addUser("eli@example.org", access.RoleClinician)
			var bodies []string
			desk := ta.apiAs(t, "frontdesk@example.org", &bodies)
			danaAPI := ta.apiAs(t, "dana@example.org", &bodies)
			eliAPI := ta.apiAs(t, "eli@example.org", &bodies)
			eli, _ := ta.Auth.FindByEmail(ctx, access.Actor{System: true}, "eli@example.org")

			// Create.
			in := aClientBody("Marisol", "Núñez", "1988-03-14", dana.ID)
			in["ssn"], in["preferred_name"], in["email"] = "123-45-6789", "Sol", " Marisol.N@Example.org"
			var marisol api.Client
			st, loc := desk.call("POST", "/api/v1/clients", in, &marisol)
			if st != http.StatusCreated || loc != "/api/v1/clients/"+strconv.FormatInt(marisol.ID, 10) {
				t.Fatalf("create = %d at %q: %+v", st, loc, marisol)
			}
			want := api.Client{ID: marisol.ID, MRN: "MS-000001", FirstName: "Marisol", LastName: "Núñez", PreferredName: "Sol", Pronouns: "she/her",
				BirthDate: "1988-03-14", Races: []string{"2106-3"}, Ethnicity: "2186-5", Email: "marisol.n@example.org",
				Address:   api.Address{Line1: "12 Elm St", City: "Chicago", State: "IL", PostalCode: "60601"},
				Phones:    []api.Phone{{Kind: "mobile", Number: "(312) 555-0142", CanText: true, CanVoicemail: true}, {Kind: "work", Number: "312.555.0177"}},
				SSNMasked: "•••-••-6789", Status: "active", StatusDate: marisol.StatusDate, PrimaryClinicianID: dana.ID, CareTeam: []int64{},
				Version: 1, CreatedAt: marisol.CreatedAt, UpdatedAt: marisol.UpdatedAt}
			if diff := cmp.Diff(want, marisol); diff != "" {
				t.Errorf("created client (-want +got):\n%s", diff)
			}

			// Same name (other case, no accents) and birth date: 409 until confirmed.
			dup := aClientBody("MARISOL", "Nunez", "1988-03-14", 0)
			var conflict apiError
			if st, _ := desk.call("POST", "/api/v1/clients", dup, &conflict); st != http.StatusConflict || conflict.Error.Code != "conflict" || conflict.Error.Fields["duplicate"] == "" {
				t.Fatalf("duplicate = %d %+v", st, conflict)
			}
			dup["allow_duplicate"] = true
			var second api.Client
			if st, _ := desk.call("POST", "/api/v1/clients", dup, &second); st != http.StatusCreated || second.MRN != "MS-000002" {
				t.Fatalf("confirmed duplicate = %d %+v", st, second)
			}

			// Get.
			path := "/api/v1/clients/" + strconv.FormatInt(marisol.ID, 10)
			var got api.Client
			if st, _ := desk.call("GET", path, nil, &got); st != http.StatusOK || !cmp.Equal(got, marisol) {
				t.Errorf("get = %d, diff (-created +got):\n%s", st, cmp.Diff(marisol, got))
			}
			if st, _ := desk.call("GET", "/api/v1/clients/999999", nil, &conflict); st != http.StatusNotFound {
				t.Errorf("missing client = %d", st)
			}

			// Full update with the version read; a stale version is refused.
			upd := aClientBody("Marisol", "Núñez", "1988-03-14", dana.ID)
			upd["preferred_name"], upd["status"], upd["version"] = "Mari", "inactive", marisol.Version
			var updated api.Client
			if st, _ := desk.call("PUT", path, upd, &updated); st != http.StatusOK || updated.PreferredName != "Mari" || updated.Status != "inactive" ||
				updated.Version != 2 || updated.SSNMasked != "•••-••-6789" {
				t.Fatalf("update = %d %+v", st, updated)
			}
			upd["preferred_name"] = "Marisa"
			if st, _ := desk.call("PUT", path, upd, &conflict); st != http.StatusConflict || conflict.Error.Code != "conflict" {
				t.Errorf("stale update = %d %+v", st, conflict)
			}
			delete(upd, "version")
			if st, _ := desk.call("PUT", path, upd, &conflict); st != http.StatusUnprocessableEntity || conflict.Error.Fields["version"] == "" {
				t.Errorf("update without version = %d %+v", st, conflict)
			}
			if desk.call("GET", path, nil, &got); got.PreferredName != "Mari" || got.Version != 2 {
				t.Errorf("after refused updates = %+v", got)
			}

			// Search by prefix, and the caseload: Dana treats Marisol and
			// Josie, Eli treats nobody.
			for _, c := range []struct {
				first, last, dob string
				primary          int64
			}{{"Josephine", "Baker", "1956-06-03", 0}, {"Josie", "Nakamura", "2011-09-30", dana.ID}, {"Tomás", "Josefsson", "1979-01-20", 0}} {
				if st, _ := desk.call("POST", "/api/v1/clients", aClientBody(c.first, c.last, c.dob, c.primary), nil); st != http.StatusCreated {
					t.Fatalf("create %s = %d", c.first, st)
				}
			}
			names := func(caller apiCaller, query string) []string {
				t.Helper()
				var page api.List[api.ClientSummary]
				if st, _ := caller.call("GET", "/api/v1/clients?"+query, nil, &page); st != http.StatusOK {
					t.Fatalf("search %q = %d", query, st)
				}
				if page.NextCursor != "" && strings.Contains(query, "q=") {
					t.Errorf("search %q returned a cursor", query)
				}
				out := []string{}
				for _, s := range page.Data {
					out = append(out, s.FirstName+" "+s.LastName)
				}
				return out
			}
			for _, tt := range []struct {
				caller apiCaller
				query  string
				want   []string
			}{
				{desk, "q=jos", []string{"Josephine Baker", "Tomás Josefsson", "Josie Nakamura"}},
				{desk, "q=JOS&limit=2", []string{"Josephine Baker", "Tomás Josefsson"}},
				{desk, "q=nun", []string{"Marisol Núñez", "MARISOL Nunez"}},
				{desk, "q=marisol+n&status=inactive", []string{"Marisol Núñez"}},
				{desk, "q=1956-06-03", []string{"Josephine Baker"}},
				{desk, "q=(312)+555-0177", []string{"Josephine Baker", "Tomás Josefsson", "Josie Nakamura", "Marisol Núñez", "MARISOL Nunez"}},
				{desk, "q=ms-000004", []string{"Josie Nakamura"}},
				{desk, "q=zzz", []string{}},
				{danaAPI, "q=jos", []string{"Josie Nakamura"}},
				{danaAPI, "", []string{"Marisol Núñez", "Josie Nakamura"}},
				{eliAPI, "q=jos", []string{}},
				{eliAPI, "", []string{}},
			} {
				if got := names(tt.caller, tt.query); !cmp.Equal(got, tt.want) {
					t.Errorf("search %q as %s = %q, want %q", tt.query, tt.caller.name, got, tt.want)
				}
			}

			// Listing without q pages by id.
			var ids []int64
			for cursor, pages := "", 0; ; pages++ {
				var page api.List[api.ClientSummary]
				if st, _ := desk.call("GET", "/api/v1/clients?limit=2&cursor="+cursor, nil, &page); st != http.StatusOK || pages > 5 {
					t.Fatalf("list page %d = %d", pages, st)
				}
				for _, s := range page.Data {
					ids = append(ids, s.ID)
				}
				if cursor = page.NextCursor; cursor == "" {
					break
				}
			}
			if len(ids) != 5 || ids[0] != marisol.ID || ids[4] <= ids[3] {
				t.Errorf("listed ids = %v", ids)
			}
			for _, q := range []string{"limit=0", "limit=101", "status=asleep", "cursor=bogus", "q=jos&cursor=" + "Mg"} {
				if st, _ := desk.call("GET", "/api/v1/clients?"+q, nil, &conflict); st != http.StatusUnprocessableEntity || len(conflict.Error.Fields) == 0 {
					t.Errorf("list %s = %d %+v", q, st, conflict)
				}
			}

			// A clinician reads their own client, and is refused another's,
			// with an audit entry naming the client.
			if st, _ := danaAPI.call("GET", path, nil, &got); st != http.StatusOK {
				t.Errorf("primary clinician get = %d", st)
			}
			if st, _ := eliAPI.call("GET", path, nil, &conflict); st != http.StatusForbidden || conflict.Error.Code != "forbidden" {
				t.Errorf("other clinician get = %d %+v", st, conflict)
			}
			upd["version"] = 2
			if st, _ := eliAPI.call("PUT", path, upd, &conflict); st != http.StatusForbidden {
				t.Errorf("other clinician update = %d %+v", st, conflict)
			}
			page, err := ta.Audit.Find(ctx, access.Actor{System: true}, audit.Filter{UserID: eli.ID, ClientID: marisol.ID})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 2 || page.Entries[0].Outcome != audit.Denied || page.Entries[1].Outcome != audit.Denied ||
				page.Entries[1].Action != audit.ActionRead || page.Entries[0].Action != audit.ActionUpdate {
				t.Errorf("denials audited as %+v", page.Entries)
			}

			// Bad input: every problem named, nothing saved.
			before := clientCount(t, ta)
			bad := aClientBody("Quinn", "Bad", "2999-01-01", 0)
			bad["email"], bad["ssn"] = "quinn(at)example", "666-12-3456"
			bad["phones"] = []map[string]any{{"kind": "mobile", "number": "555-01"}}
			var invalid apiError
			if st, _ := desk.call("POST", "/api/v1/clients", bad, &invalid); st != http.StatusUnprocessableEntity || invalid.Error.Code != "invalid" {
				t.Fatalf("invalid create = %d %+v", st, invalid)
			}
			for _, f := range []string{"birth_date", "email", "phone_1", "ssn"} {
				if invalid.Error.Fields[f] == "" {
					t.Errorf("no message for %s: %v", f, invalid.Error.Fields)
				}
			}
			bad["version"] = 2
			if st, _ := desk.call("PUT", path, bad, &invalid); st != http.StatusUnprocessableEntity || invalid.Error.Fields["birth_date"] == "" {
				t.Errorf("invalid update = %d %+v", st, invalid)
			}
			for _, body := range []string{`{"first_name": 7}`, `{"first_name": "A", "shoe_size": 9}`, `not json`} {
				if st, _ := desk.call("POST", "/api/v1/clients", body, &invalid); st != http.StatusUnprocessableEntity {
					t.Errorf("body %s = %d", body, st)
				}
			}
			if after := clientCount(t, ta); after != before {
				t.Errorf("invalid requests saved %d clients", after-before)
			}
			if desk.call("GET", path, nil, &got); got.Version != 2 || got.PreferredName != "Mari" {
				t.Errorf("invalid update changed the record: %+v", got)
			}

			// Text round-trips exactly as typed.
			odd := aClientBody("<script>alert(1)</script>", "'; DROP TABLE clients; --", "2001-02-03", 0)
			odd["email"] = "odd@example.org"
			var stored, fetched api.Client
			if st, _ := desk.call("POST", "/api/v1/clients", odd, &stored); st != http.StatusCreated {
				t.Fatalf("create odd = %d", st)
			}
			desk.call("GET", "/api/v1/clients/"+strconv.FormatInt(stored.ID, 10), nil, &fetched)
			if fetched.FirstName != "<script>alert(1)</script>" || fetched.LastName != "'; DROP TABLE clients; --" {
				t.Errorf("round trip = %q %q", fetched.FirstName, fetched.LastName)
			}
			if got := names(desk, "q="+url.QueryEscape("'; drop")); len(got) != 1 || got[0] != "<script>alert(1)</script> '; DROP TABLE clients; --" {
				t.Errorf("search for the odd name = %q", got)
			}
			if n := clientCount(t, ta); n != before+1 {
				t.Errorf("clients = %d after the odd name, want %d", n, before+1)
			}

			// The SSN is write-only.
			for _, b := range bodies {
				// (An error may name the field "ssn", never its value.)
				if strings.Contains(b, "123-45") || strings.Contains(b, "123456789") || strings.Contains(b, `"ssn"`) && !strings.Contains(b, `"error"`) {
					t.Errorf("a response carries the SSN: %.300s", b)
				}
			}
		})
	}
}
