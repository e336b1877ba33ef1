package clients

import (
	"context"
	"testing"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

func TestPayersAndPolicies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		if _, err := p.svc.SavePayer(ctx, p.staff["frontdesk"], Payer{Name: "Aetna"}); !apperr.Is(err, apperr.CodeForbidden) {
			t.Fatalf("front desk payer err = %v, want forbidden", err)
		}
		if _, err := p.svc.SavePayer(ctx, p.staff["biller"], Payer{Name: "Aetna", ElectronicID: "60-054!", ClaimFilingIndicator: "XX"}); apperr.As(err).Fields["electronic_id"] == "" || apperr.As(err).Fields["claim_filing_indicator"] == "" {
			t.Fatalf("bad payer err = %v", err)
		}
		aetna, err := p.svc.SavePayer(ctx, p.staff["biller"], Payer{Name: "Aetna", ElectronicID: "60054", ClaimFilingIndicator: "CI", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		bcbs, err := p.svc.SavePayer(ctx, p.staff["admin"], Payer{Name: "Blue Cross Blue Shield of Illinois", ElectronicID: "00621", ClaimFilingIndicator: "BL", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		in := aClient("Kai", "Moana", "2014-02-11")
		in.PrimaryClinicianID = p.staff["clinician"].UserID
		kid := p.register("frontdesk", in)

		bad := Policy{ClientID: kid.ID, PayerID: aetna, Rank: 1, Relationship: "child", MemberID: "x", EffectiveDate: "2026-01-01", EndDate: "2025-01-01", CoinsuranceBP: 20000}
		_, err = p.svc.SavePolicy(ctx, p.staff["frontdesk"], bad)
		for _, k := range []string{"subscriber_name", "subscriber_birth", "member_id", "end_date", "coinsurance"} {
			if apperr.As(err).Fields[k] == "" {
				t.Errorf("no error for %s: %v", k, err)
			}
		}
		primary := Policy{ClientID: kid.ID, PayerID: aetna, Rank: Primary, Relationship: "child", SubscriberFirst: "Lea", SubscriberLast: "Moana",
			SubscriberBirth: "1986-07-07", SubscriberSex: "F", MemberID: "W123 456 789", GroupNumber: "G-77", PlanName: "Choice POS II",
			EffectiveDate: "2026-01-01", CopayCents: 3000, CoinsuranceBP: 2000, DeductibleCents: 150000, Active: true}
		pid, err := p.svc.SavePolicy(ctx, p.staff["frontdesk"], primary)
		if err != nil {
			t.Fatal(err)
		}
		dup := primary
		if _, err := p.svc.SavePolicy(ctx, p.staff["frontdesk"], dup); apperr.As(err).Fields["rank"] == "" {
			t.Fatalf("second primary err = %v", err)
		}
		second := primary
		second.PayerID, second.Rank, second.MemberID = bcbs, Secondary, "XOF900112"
		if _, err := p.svc.SavePolicy(ctx, p.staff["biller"], second); err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.AddAuthorization(ctx, p.staff["frontdesk"], kid.ID, Authorization{PolicyID: pid, Number: "PA-1", VisitsAuthorized: 12, VisitsUsed: 10,
			StartDate: "2026-01-01", EndDate: "2026-12-31", ServiceCodes: []string{"90837", "90791"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.AddAuthorization(ctx, p.staff["frontdesk"], kid.ID, Authorization{PolicyID: pid, Number: "PA-2", VisitsAuthorized: 1,
			StartDate: "2026-02-01", EndDate: "2026-01-01", ServiceCodes: []string{"abc"}}); apperr.As(err).Fields["dates"] == "" || apperr.As(err).Fields["service_codes"] == "" {
			t.Fatalf("bad authorisation err = %v", err)
		}
		// The clinician on the case reads insurance; another clinician may not.
		pols, err := p.svc.Policies(ctx, p.staff["clinician"], kid.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pols) != 2 || pols[0].PayerName != "Aetna" || pols[0].MemberID != "W123456789" || len(pols[0].Authorizations) != 1 {
			t.Fatalf("policies = %+v", pols)
		}
		if w := pols[0].Authorizations[0].Warning("2026-06-15"); w != "2 of 12 visits left" {
			t.Errorf("warning = %q", w)
		}
		if _, err := p.svc.Policies(ctx, p.staff["other"], kid.ID); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("other clinician err = %v", err)
		}
		if _, err := p.svc.SavePolicy(ctx, p.staff["clinician"], primary); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("clinician write err = %v", err)
		}
		// Optimistic concurrency on policies.
		pols[0].PlanName = "Open Access"
		if _, err := p.svc.SavePolicy(ctx, p.staff["biller"], pols[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := p.svc.SavePolicy(ctx, p.staff["biller"], pols[0]); !apperr.Is(err, apperr.CodeConflict) {
			t.Errorf("stale policy err = %v", err)
		}
	})
}

func TestAuthorizationWarnings(t *testing.T) {
	tests := []struct {
		name string
		a    Authorization
		want string
	}{
		{"Fine", Authorization{VisitsAuthorized: 20, VisitsUsed: 5, EndDate: "2026-12-31"}, ""},
		{"RunningLow", Authorization{VisitsAuthorized: 20, VisitsUsed: 17, EndDate: "2026-12-31"}, "3 of 20 visits left"},
		{"UsedUp", Authorization{VisitsAuthorized: 6, VisitsUsed: 6, EndDate: "2026-12-31"}, "No authorised visits left"},
		{"ExpiringSoon", Authorization{VisitsAuthorized: 20, VisitsUsed: 1, EndDate: "2026-06-20"}, "Expires 2026-06-20"},
		{"Expired", Authorization{VisitsAuthorized: 20, VisitsUsed: 1, EndDate: "2026-06-01"}, "Expired 2026-06-01"},
	}
	for _, tt := range tests {
		if got := tt.a.Warning("2026-06-15"); got != tt.want {
			t.Errorf("%s: Warning = %q, want %q", tt.name, got, tt.want)
		}
	}
}
