package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/notes"
)

// sign measures S4: clinicians sign drafts of their own (notes.Service.Sign:
// the note read and opened, the caseload check, the required fields, the
// identity check, the content hash, the update and the audit entry, one
// commit). Each writer is a different clinician (concurrent signatures of
// one account would trip the password throttle), up to Writers of them.
// It runs twice on drafts prepared beforehand, untimed: with the real
// auth.Service.ConfirmIdentity (argon2id, deliberately slow, and the
// throttle's two commits), and with a confirmer that skips it, which shows
// the database part.
func (r *runner) sign(ctx context.Context) error {
	signers, err := r.signers(ctx)
	if err != nil {
		return err
	}
	c := len(signers)
	svc := r.notes(nil)
	ts, err := svc.Templates(ctx, signers[0].actor)
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	var tmpl notes.Template
	for _, t := range ts {
		if t.Kind == notes.ProgressSOAP {
			tmpl = t
			break
		}
	}
	if tmpl.ID == 0 {
		return fmt.Errorf("no %s template", notes.ProgressSOAP)
	}
	trusted := trustedConfirmer{}
	for _, s := range signers {
		trusted[s.actor.UserID] = auth.Signer{UserID: s.actor.UserID, Name: s.name, Credentials: s.credentials}
	}
	for _, part := range []struct {
		name, note string
		confirm    notes.Confirmer
	}{
		{"S4", "with the identity check: argon2id password verification and the throttle's two commits", r.auth},
		{"S4/db", "identity check skipped: the database part", trusted},
	} {
		per := (r.o.Drafts + c - 1) / c
		r.logf("%s: preparing %d drafts for each of %d clinicians", part.name, per, c)
		drafts, err := r.drafts(ctx, svc, signers, tmpl, per)
		if err != nil {
			return err
		}
		s := r.notes(part.confirm)
		next := make([]int, c) // writer w's next draft; only w touches next[w]
		r.logf("%s: signing, %d writers", part.name, c)
		smp, err := r.drive(ctx, c, func(ctx context.Context, w int) error {
			if next[w] == len(drafts[w]) {
				return errDone
			}
			d := drafts[w][next[w]]
			next[w]++
			if _, err := s.Sign(ctx, signers[w].actor, d.id, notes.SignInput{Password: r.o.Password, Version: d.version, Attest: true}); err != nil {
				return fmt.Errorf("sign note %d: %w", d.id, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		res := result(Sign, part.name, c, smp, int64(len(smp.lat)), "signatures/s")
		res.Note = part.note
		if r.o.Iterations == 0 && len(smp.lat) == c*per {
			res.Note += fmt.Sprintf("; ended when the %d drafts ran out", c*per)
		}
		if err := r.versusLimit(ctx, &res); err != nil {
			return err
		}
		r.add(res)
	}
	return nil
}

// trustedConfirmer confirms everyone: the identity check skipped.
type trustedConfirmer map[int64]auth.Signer

func (t trustedConfirmer) ConfirmIdentity(_ context.Context, a access.Actor, _, _ string) (auth.Signer, error) {
	return t[a.UserID], nil
}

// signer is a clinician who signs, with clients of their own caseload.
type signer struct {
	staffer
	clients []int64
}

// signers returns up to Writers clinicians who are some clients' primary
// clinician, with some of those clients.
func (r *runner) signers(ctx context.Context) ([]signer, error) {
	var out []signer
	for _, c := range r.p.clinicians {
		if len(out) == r.o.Writers {
			break
		}
		rows, err := r.d.Read().QueryContext(ctx, `SELECT id FROM clients WHERE primary_clinician_id = $1 AND merged_into IS NULL ORDER BY id LIMIT 20`, c.actor.UserID)
		if err != nil {
			return nil, fmt.Errorf("caseload: %w", err)
		}
		s := signer{staffer: c}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			s.clients = append(s.clients, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(s.clients) > 0 {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no clinician has clients")
	}
	return out, nil
}

type draft struct{ id, version int64 }

// drafts has each signer start and fill per drafts for their clients,
// through the service (CreateDraft, SaveDraft), signers side by side.
func (r *runner) drafts(ctx context.Context, svc *notes.Service, signers []signer, t notes.Template, per int) ([][]draft, error) {
	body := fill(t)
	out := make([][]draft, len(signers))
	errs := make([]error, len(signers))
	var wg sync.WaitGroup
	for w, s := range signers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				id, err := svc.CreateDraft(ctx, s.actor, notes.NewNote{ClientID: s.clients[i%len(s.clients)], TemplateID: t.ID})
				if err != nil {
					errs[w] = fmt.Errorf("create draft: %w", err)
					return
				}
				v, err := svc.SaveDraft(ctx, s.actor, id, notes.DraftInput{Body: body, Version: 1})
				if err != nil {
					errs[w] = fmt.Errorf("save draft %d: %w", id, err)
					return
				}
				out[w] = append(out[w], draft{id, v})
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fill returns a body that completes every field of t, with text of the
// length a progress note's sections have.
func fill(t notes.Template) map[string]string {
	const text = "Client reports sleeping better since the last session and using the breathing exercise twice a day. " +
		"Discussed a conflict at work and practised the reframing worksheet; client identified two automatic thoughts " +
		"and wrote alternatives. Continues to attend weekly; homework reviewed and completed."
	b := map[string]string{}
	for _, f := range t.Fields {
		switch f.Type {
		case notes.FieldMSE:
			for _, d := range notes.MSEDomains {
				b[f.Key+"."+d.Key] = d.Options[0]
			}
		case notes.FieldRisk:
			if f.Required {
				b[f.Key+".level"] = "low"
			}
		case notes.FieldPlan:
			for _, p := range notes.PlanParts {
				b[f.Key+".1."+p.Key] = "Reduce anxiety at work"
			}
		case notes.FieldChoice, notes.FieldCheckboxes:
			if len(f.Options) > 0 {
				b[f.Key] = f.Options[0]
			}
		case notes.FieldScale:
			b[f.Key] = strconv.Itoa(max(f.Min, 1))
		case notes.FieldDate:
			b[f.Key] = "2026-11-20"
		case notes.FieldText:
			b[f.Key] = strings.SplitN(text, ".", 2)[0]
		default:
			b[f.Key] = text
		}
	}
	return b
}
