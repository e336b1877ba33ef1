package clients

import (
	"context"
	"strings"
	"testing"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

func TestContactsRelationsConsentsAlerts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		fd := p.staff["frontdesk"]
		in := aClient("Noah", "Reyes", "2015-05-05")
		in.PrimaryClinicianID = p.staff["clinician"].UserID
		kid := p.register("frontdesk", in)
		mom := p.register("frontdesk", aClient("Rosa", "Reyes", "1984-11-11"))

		if _, err := p.svc.AddContact(ctx, fd, kid.ID, Contact{Kind: "guardian", Name: ""}); apperr.As(err).Fields["name"] == "" || apperr.As(err).Fields["phone"] == "" {
			t.Fatalf("empty contact err = %v", err)
		}
		gid, err := p.svc.AddContact(ctx, fd, kid.ID, Contact{Kind: "guardian", Name: "Rosa Reyes", Relationship: "mother", Phone: "312-555-0101", LegalDocument: "birth certificate"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.AddContact(ctx, fd, kid.ID, Contact{Kind: "emergency", Name: "Luis Reyes", Phone: "312-555-0102"}); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.RemoveContact(ctx, fd, kid.ID, gid); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.RemoveContact(ctx, fd, mom.ID, gid); !apperr.Is(err, apperr.CodeNotFound) {
			t.Errorf("removing another client's contact err = %v", err)
		}
		cs, err := p.svc.Contacts(ctx, p.staff["clinician"], kid.ID)
		if err != nil || len(cs) != 1 || cs[0].Kind != "emergency" {
			t.Fatalf("contacts = %+v, %v", cs, err)
		}

		if err := p.svc.Relate(ctx, fd, kid.ID, mom.ID, "parent"); err != nil {
			t.Fatal(err)
		}
		rel, err := p.svc.Relations(ctx, fd, mom.ID)
		if err != nil || len(rel) != 1 || rel[0].ID != kid.ID || rel[0].Kind != "child" {
			t.Fatalf("mother's relations = %+v, %v", rel, err)
		}
		// The clinician sees the child, but not the mother, who is not on their caseload.
		rel, err = p.svc.Relations(ctx, p.staff["clinician"], kid.ID)
		if err != nil || len(rel) != 0 {
			t.Errorf("clinician sees relations %+v, %v", rel, err)
		}
		if err := p.svc.Relate(ctx, p.staff["clinician"], kid.ID, mom.ID, "parent"); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("clinician relating an unseen client err = %v", err)
		}

		if _, err := p.svc.AddConsent(ctx, fd, kid.ID, Consent{Kind: "release", SignedDate: "2030-01-01"}); apperr.As(err).Fields["recipient"] == "" || apperr.As(err).Fields["signed_date"] == "" {
			t.Fatalf("bad release err = %v", err)
		}
		if _, err := p.svc.AddConsent(ctx, fd, kid.ID, Consent{Kind: "treatment", SignedDate: "2026-01-10"}); err != nil {
			t.Fatal(err)
		}
		rid, err := p.svc.AddConsent(ctx, fd, kid.ID, Consent{Kind: "release", SignedDate: "2026-02-01", ExpiresDate: "2026-12-31",
			Recipient: "Lincoln Elementary counselor", Purpose: "coordination of care", Scope: "attendance and diagnosis"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.AddConsent(ctx, fd, kid.ID, Consent{Kind: "telehealth", SignedDate: "2025-01-01", ExpiresDate: "2025-12-31"}); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.RevokeConsent(ctx, fd, kid.ID, rid, "2026-06-01"); err != nil {
			t.Fatal(err)
		}
		cons, _ := p.svc.Consents(ctx, fd, kid.ID)
		states := map[string]string{}
		for _, c := range cons {
			states[c.Kind] = c.State("2026-06-15")
		}
		if states["treatment"] != "active" || states["release"] != "revoked" || states["telehealth"] != "expired" {
			t.Errorf("consent states = %v", states)
		}

		if _, err := p.svc.AddAlert(ctx, fd, kid.ID, Alert{Kind: "contact", Text: "Do not leave voicemail"}); err != nil {
			t.Fatal(err)
		}
		aid, _ := p.svc.AddAlert(ctx, p.staff["clinician"], kid.ID, Alert{Kind: "safety", Text: "Safety plan on file"})
		if err := p.svc.ResolveAlert(ctx, fd, kid.ID, aid); err != nil {
			t.Fatal(err)
		}
		als, _ := p.svc.Alerts(ctx, fd, kid.ID)
		if len(als) != 1 || als[0].Text != "Do not leave voicemail" {
			t.Errorf("alerts = %+v", als)
		}
		if _, err := p.svc.AddAlert(ctx, p.staff["biller"], kid.ID, Alert{Kind: "billing", Text: "Balance due"}); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("biller alert err = %v", err)
		}
	})
}

func TestMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		fd, admin := p.staff["frontdesk"], p.staff["admin"]
		keep := p.register("frontdesk", aClient("Eli", "Park", "1992-02-02"))
		dupIn := aClient("Elijah", "Park", "1992-02-02")
		dupIn.CareTeam = []int64{p.staff["clinician"].UserID}
		dup := p.register("frontdesk", dupIn)
		other := p.register("frontdesk", aClient("Sun", "Park", "1990-01-01"))
		if _, err := p.svc.AddConsent(ctx, fd, dup.ID, Consent{Kind: "treatment", SignedDate: "2026-01-01"}); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.Relate(ctx, fd, dup.ID, other.ID, "partner"); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.Merge(ctx, fd, keep.ID, dup.ID); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("front desk merge err = %v", err)
		}
		if err := p.svc.Merge(ctx, admin, keep.ID, dup.ID); err != nil {
			t.Fatal(err)
		}
		if err := p.svc.Merge(ctx, admin, keep.ID, dup.ID); !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("second merge err = %v", err)
		}
		got, _ := p.svc.Get(ctx, admin, keep.ID, SectionChart)
		if len(got.CareTeam) != 1 || len(got.Phones) != 2 {
			t.Errorf("survivor = care team %v, phones %v", got.CareTeam, got.Phones)
		}
		cons, _ := p.svc.Consents(ctx, admin, keep.ID)
		rel, _ := p.svc.Relations(ctx, admin, other.ID)
		if len(cons) != 1 || len(rel) != 1 || rel[0].ID != keep.ID {
			t.Errorf("moved consents %d, relations %+v", len(cons), rel)
		}
		res, _ := p.svc.Search(ctx, fd, SearchFilter{Query: "park"})
		if len(res) != 2 {
			t.Errorf("search after merge = %+v, want the survivor and Sun", res)
		}
	})
}

// The system actor (imports, the demo) can record consents and alerts.
func TestSystemRecordsConsentsAndAlerts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		c := p.register("frontdesk", aClient("Ada", "Vale", "1990-01-01"))
		sys := access.Actor{System: true}
		if _, err := p.svc.AddConsent(ctx, sys, c.ID, Consent{Kind: "treatment", SignedDate: "2026-01-01"}); err != nil {
			t.Fatalf("system consent: %v", err)
		}
		if _, err := p.svc.AddAlert(ctx, sys, c.ID, Alert{Kind: "contact", Text: "Text only"}); err != nil {
			t.Fatalf("system alert: %v", err)
		}
	})
}

// TestMergeMovesEveryLinkedTable keeps Merge complete: every table with a
// column referring to clients must be moved by mergeMoves or by Merge itself.
func TestMergeMovesEveryLinkedTable(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	rows, err := d.Read().QueryContext(context.Background(), `SELECT m.name, f."from" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' AND f."table" = 'clients'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	all := strings.Join(mergeMoves, "\n")
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		switch {
		case table == "clients" && column == "merged_into", table == "safety_plans":
			continue // the pointer itself; the safety plan is re-sealed by Merge
		case !strings.Contains(all, " "+table+" "):
			t.Errorf("merge does not move %s.%s", table, column)
		}
	}
}

func TestMergeMovesTheClinicalRecordAndCalendar(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		keep := p.register("frontdesk", aClient("Eli", "Park", "1992-02-02"))
		dup := p.register("frontdesk", aClient("Elijah", "Park", "1992-02-02"))
		clin := p.staff["clinician"].UserID
		err := d.InTx(ctx, func(tx *db.Tx) error {
			stmts := []struct {
				q    string
				args []any
			}{
				{`INSERT INTO appointment_types (id, name, duration_minutes, kind, created_at, updated_at) VALUES (1, 'Individual', 50, 'individual', 0, 0)`, nil},
				{`INSERT INTO appointments (id, clinician_id, type_id, starts_at, ends_at, status, created_at, updated_at) VALUES (1, $1, 1, 0, 3000000000, 'completed', 0, 0)`, []any{clin}},
				{`INSERT INTO appointment_clients (appointment_id, client_id, starts_at) VALUES (1, $1, 0)`, []any{dup.ID}},
				{`INSERT INTO diagnoses (client_id, code, title, rank, status, created_at, updated_at) VALUES ($1, 'F331', 'x', 1, 'active', 0, 0)`, []any{dup.ID}},
				{`INSERT INTO waitlist (client_id, created_at, updated_at) VALUES ($1, 0, 0)`, []any{dup.ID}},
			}
			for _, s := range stmts {
				if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
					return err
				}
			}
			sealed, err := p.keyring.EncryptTx(ctx, tx, []byte(`{"warning_signs":"x"}`), clinical.SafetyPlanAAD(dup.ID))
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO safety_plans (client_id, body, updated_at) VALUES ($1, $2, 0)`, dup.ID, sealed)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.svc.Merge(ctx, p.staff["admin"], keep.ID, dup.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"appointment_clients", "diagnoses", "waitlist", "safety_plans"} {
			var n int
			d.Read().QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE client_id = $1`, keep.ID).Scan(&n)
			if n != 1 {
				t.Errorf("%s rows on the survivor = %d, want 1", table, n)
			}
		}
		var sealed string
		d.Read().QueryRowContext(ctx, `SELECT body FROM safety_plans WHERE client_id = $1`, keep.ID).Scan(&sealed)
		if plain, err := p.keyring.Decrypt(ctx, sealed, clinical.SafetyPlanAAD(keep.ID)); err != nil || string(plain) != `{"warning_signs":"x"}` {
			t.Errorf("moved safety plan: %q, %v", plain, err)
		}
	})
}
