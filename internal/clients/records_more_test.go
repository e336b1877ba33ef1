package clients

import (
	"context"
	"testing"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

func TestSetAuthorizationUsage(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		payer, err := p.svc.SavePayer(ctx, p.staff["biller"], Payer{Name: "Aetna", ClaimFilingIndicator: "CI", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		in := aClient("Mara", "Lind", "1990-03-03")
		in.PrimaryClinicianID = p.staff["clinician"].UserID
		c := p.register("frontdesk", in)
		other := p.register("frontdesk", aClient("Otto", "Lind", "1991-03-03"))
		pid, err := p.svc.SavePolicy(ctx, p.staff["frontdesk"], Policy{ClientID: c.ID, PayerID: payer, Rank: Primary, MemberID: "W1", EffectiveDate: "2026-01-01", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		aid, err := p.svc.AddAuthorization(ctx, p.staff["frontdesk"], c.ID, Authorization{PolicyID: pid, Number: "PA-1", VisitsAuthorized: 10,
			StartDate: "2026-01-01", EndDate: "2026-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			who    string
			client int64
			used   int
			want   apperr.Code // "" for success
		}{
			{"OK", "frontdesk", c.ID, 9, ""},
			{"ErrTooMany", "biller", c.ID, 11, apperr.CodeInvalid},
			{"ErrNegative", "biller", c.ID, -1, apperr.CodeInvalid},
			{"ErrOtherClient", "frontdesk", other.ID, 1, apperr.CodeNotFound},
			{"ErrClinician", "clinician", c.ID, 1, apperr.CodeForbidden},
		}
		for _, tt := range tests {
			err := p.svc.SetAuthorizationUsage(ctx, p.staff[tt.who], tt.client, aid, tt.used)
			if got := codeOf(err); got != tt.want {
				t.Errorf("%s: err = %v, want code %q", tt.name, err, tt.want)
			}
		}
		pols, err := p.svc.Policies(ctx, p.staff["biller"], c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := pols[0].Authorizations[0].VisitsUsed; got != 9 {
			t.Errorf("visits used = %d, want 9 (the failed updates left it)", got)
		}
	})
}

func TestUnrelate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		fd := p.staff["frontdesk"]
		in := aClient("Ana", "Cruz", "1988-08-08")
		in.PrimaryClinicianID = p.staff["clinician"].UserID
		ana := p.register("frontdesk", in)
		ben := p.register("frontdesk", aClient("Ben", "Cruz", "1987-07-07"))
		if err := p.svc.Relate(ctx, fd, ana.ID, ben.ID, "partner"); err != nil {
			t.Fatal(err)
		}
		// The clinician may change Ana but cannot see Ben.
		if err := p.svc.Unrelate(ctx, p.staff["clinician"], ana.ID, ben.ID); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("clinician unrelate err = %v, want forbidden", err)
		}
		if err := p.svc.Unrelate(ctx, fd, ben.ID, ana.ID); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{ana.ID, ben.ID} {
			if rel, err := p.svc.Relations(ctx, fd, id); err != nil || len(rel) != 0 {
				t.Errorf("relations of %d after unrelate = %+v, %v", id, rel, err)
			}
		}
		if err := p.svc.Unrelate(ctx, fd, ana.ID, ben.ID); !apperr.Is(err, apperr.CodeNotFound) {
			t.Errorf("second unrelate err = %v, want not_found", err)
		}
	})
}

func codeOf(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}
