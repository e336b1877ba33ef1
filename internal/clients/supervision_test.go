package clients

import (
	"context"
	"testing"

	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/platform/db/dbtest"
)

func TestSupervisionLinksHaveAPrimaryAndDates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := aPracticeWithStaff(t, d)
		admin, sup, assoc := p.staff["admin"], p.staff["supervisor"], p.staff["associate"]
		in := aClient("Rae", "Ivers", "1991-03-03")
		in.PrimaryClinicianID = assoc.UserID
		c := p.register("frontdesk", in)
		bad := []struct {
			name  string
			links []SupervisionLink
			field string
		}{
			{"no primary", []SupervisionLink{{SupervisorID: sup.UserID}}, "primary"},
			{"ends before it starts", []SupervisionLink{{SupervisorID: sup.UserID, Primary: true, StartsOn: "2026-06-01", EndsOn: "2026-05-01"}}, "supervisor_1"},
			{"not a supervisor", []SupervisionLink{{SupervisorID: p.staff["other"].UserID, Primary: true}}, "supervisor_1"},
			{"self", []SupervisionLink{{SupervisorID: assoc.UserID, Primary: true}}, "supervisor_1"},
		}
		for _, b := range bad {
			err := p.svc.SetSupervision(ctx, admin, assoc.UserID, b.links)
			if apperr.CodeOf(err) != apperr.CodeInvalid || apperr.As(err).Fields[b.field] == "" {
				t.Errorf("%s: %v", b.name, err)
			}
		}
		if err := p.svc.SetSupervision(ctx, p.staff["frontdesk"], assoc.UserID, nil); !apperr.Is(err, apperr.CodeForbidden) {
			t.Errorf("front desk sets supervision: %v", err)
		}
		// The clock reads 2026-06-15: a link that ended in May no longer opens the supervisee's clients.
		canSee := func() bool {
			_, err := p.svc.Get(ctx, sup, c.ID, SectionChart)
			return err == nil
		}
		set := func(links ...SupervisionLink) {
			t.Helper()
			if err := p.svc.SetSupervision(ctx, admin, assoc.UserID, links); err != nil {
				t.Fatal(err)
			}
		}
		set(SupervisionLink{SupervisorID: sup.UserID, Primary: true, StartsOn: "2026-01-01", EndsOn: "2026-05-31"})
		if canSee() {
			t.Error("an ended link still opens the supervisee's clients")
		}
		set(SupervisionLink{SupervisorID: sup.UserID, Primary: true, StartsOn: "2026-06-01"})
		if !canSee() {
			t.Error("a link in force does not open the supervisee's clients")
		}
		res, _ := p.svc.Search(ctx, sup, SearchFilter{Query: "ive"})
		if len(res) != 1 {
			t.Errorf("supervisor search = %+v", res)
		}
		links, err := p.svc.Supervision(ctx, admin, assoc.UserID)
		if err != nil || len(links) != 1 || !links[0].Primary || links[0].StartsOn != "2026-06-01" || links[0].SupervisorName != "supervisor" {
			t.Errorf("links = %+v, %v", links, err)
		}
	})
}
