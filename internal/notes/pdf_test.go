package notes

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

// A signed note exports with letterhead, client, session, fields, signature
// and addenda; a draft does not; a biller may not; every export is audited.
func TestExportPDF(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		me := p.staff["clinician"]
		if _, err := d.Writer().ExecContext(ctx, `UPDATE practice SET address_line1 = '12 Harbor St', city = 'Boston', state = 'MA', postal_code = '02110',
			phone = '(617) 555-0100' WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := p.clinical.AddDiagnosis(ctx, me, p.client["ana"], clinical.DiagnosisInput{Code: "F33.1", Rank: 1, Onset: "2025-11-01"}); err != nil {
			t.Fatal(err)
		}
		appt := p.appointment("clinician", 55, "ana")
		id, err := p.svc.CreateDraft(ctx, me, NewNote{ClientID: p.client["ana"], TemplateID: p.tmpl[ProgressSOAP], AppointmentID: appt})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := p.svc.Get(ctx, me, id)

		// A draft is refused, before and without an export entry.
		if _, _, err := p.svc.ExportPDF(ctx, me, id); !apperr.Is(err, apperr.CodeConflict) {
			t.Fatalf("exporting a draft: %v", err)
		}
		body := soap()
		body["mse.mood"], body["mse.mood_other"] = "Other", "Tired but hopeful"
		body["risk.protective_factors"] = "Daughter; work"
		v, err := p.svc.SaveDraft(ctx, me, id, DraftInput{Body: body, Session: n.Session, Version: n.Version})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.Sign(ctx, me, id, SignInput{Password: password, Version: v, Attest: true}); err != nil {
			t.Fatal(err)
		}
		p.clk.Advance(26 * time.Hour)
		if _, err := p.svc.AddAddendum(ctx, me, id, AddendumInput{Kind: "amendment", Text: "Session ran 55 minutes, not 50.", Reason: "Time corrected",
			Password: password}); err != nil {
			t.Fatal(err)
		}

		// Billers see service details only: no export.
		if _, _, err := p.svc.ExportPDF(ctx, p.staff["biller"], id); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("biller export: %v", err)
		}
		before := p.count(`SELECT count(*) FROM audit_log WHERE action = 'export' AND object_type = 'note' AND object_id = $1 AND outcome = 'success'`, "1")

		b, name, err := p.svc.ExportPDF(ctx, me, id, Uncompressed())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("%%EOF")) {
			t.Fatalf("not a PDF: %.40q", b)
		}
		for _, want := range []string{"(clinician, LCSW)", "(Harbor)", "(F33.1 ", "(Reports better sleep.)", "Time corrected"} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("the PDF lacks %q", want)
			}
		}
		if name != "note-1-2026-03-10.pdf" || strings.Contains(name, "ana") {
			t.Errorf("filename %q", name)
		}
		if got := p.count(`SELECT count(*) FROM audit_log WHERE action = 'export' AND object_type = 'note' AND object_id = $1 AND outcome = 'success'`, "1"); got != before+1 {
			t.Errorf("export entries: %d, then %d", before, got)
		}
		// Compressed by default, still a PDF.
		if c, _, err := p.svc.ExportPDF(ctx, me, id); err != nil || !bytes.HasPrefix(c, []byte("%PDF-")) || len(c) >= len(b) {
			t.Errorf("compressed export: %d bytes (uncompressed %d), %v", len(c), len(b), err)
		}

		// What the PDF says, line by line.
		n, err = p.svc.Get(ctx, me, id)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := p.svc.printout(ctx, me, n)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "note_pdf.golden", pr.Text())
	})
}

// An associate's note exports while it waits for co-signature, saying so,
// and with the co-signature once the supervisor signs.
func TestExportPDFCosignature(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPractice(t, d)
		assoc, sup := p.staff["associate"], p.staff["supervisor"]
		id, err := p.svc.CreateDraft(ctx, assoc, NewNote{ClientID: p.client["ben"], TemplateID: p.tmpl[Contact]})
		if err != nil {
			t.Fatal(err)
		}
		v, err := p.svc.SaveDraft(ctx, assoc, id, DraftInput{Body: map[string]string{"contact_with": "School counselor", "method": "Phone",
			"summary": "Coordinated accommodations."}, Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		signed, err := p.svc.Sign(ctx, assoc, id, SignInput{Password: password, Version: v, Attest: true})
		if err != nil || signed.Status != AwaitingCosign {
			t.Fatalf("sign: %v %v", signed.Status, err)
		}
		b, _, err := p.svc.ExportPDF(ctx, assoc, id, Uncompressed())
		if err != nil || !bytes.Contains(b, []byte("Awaiting co-signature by supervisor")) {
			t.Fatalf("awaiting co-signature export: %v", err)
		}
		if err := p.svc.Cosign(ctx, sup, id, SignInput{Password: password, Version: signed.Version, Attest: true}); err != nil {
			t.Fatal(err)
		}
		b, _, err = p.svc.ExportPDF(ctx, sup, id, Uncompressed())
		if err != nil || !bytes.Contains(b, []byte("(supervisor, LCSW)")) || !bytes.Contains(b, []byte("(associate, ACSW)")) {
			t.Fatalf("co-signed export: %v", err)
		}
	})
}
