package gen

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// diagnose adds the diagnoses (and for some the medications) a clinician
// records after a course's first session, for each of its clients.
func (g *generator) diagnose(crs *course, at time.Time) {
	r, cl := g.r, crs.cl
	for i, client := range crs.clients {
		n := 1
		if r.IntN(10) >= 6 {
			n++
		}
		if r.IntN(10) >= 9 {
			n++
		}
		var picked []weightedCode
		if crs.couple {
			if c, ok := g.codeNamed("Z630"); ok {
				picked = append(picked, c)
			}
		}
		for tries := 0; len(picked) < n && tries < 20; tries++ {
			c := g.drawCode(!crs.adult)
			if !containsCode(picked, c.code.Code) {
				picked = append(picked, c)
			}
		}
		onset := ""
		if r.IntN(2) == 0 {
			onset = at.AddDate(0, -r.IntN(36), -r.IntN(28)).Format(time.DateOnly)
		}
		t := at
		for rank, c := range picked {
			g.ids.diagnosis++
			dx := g.ids.diagnosis
			us := db.Micros(t)
			g.l.add("diagnoses", dx, client, c.code.Code, c.code.Title, rank+1, onset, "active", cl.id, us, us)
			g.l.add("diagnosis_history", dx, "added", c.code.Code, rank+1, "active", onset, "", cl.id, us)
			g.audit(t, &cl.staffer, cl.role, audit.ActionCreate, "diagnosis", id(dx), client, "code "+c.code.Dotted())
			crs.dx[i] = append(crs.dx[i], dx)
			t = t.Add(time.Duration(20+r.IntN(70)) * time.Second)
		}
		if i == 0 && crs.adult && r.IntN(4) == 0 {
			for range 1 + r.IntN(2) {
				m := medicationList[r.IntN(len(medicationList))]
				g.ids.medication++
				us := db.Micros(t)
				g.l.add("medications", g.ids.medication, client, m.name, m.dose, m.freq, pick(r, prescribers),
					at.AddDate(0, 0, -r.IntN(400)).Format(time.DateOnly), cl.id, us, us)
				g.audit(t, &cl.staffer, cl.role, audit.ActionCreate, "medication", id(g.ids.medication), client, "")
				t = t.Add(time.Duration(30+r.IntN(90)) * time.Second)
			}
		}
	}
}

func (g *generator) codeNamed(code string) (weightedCode, bool) {
	for _, c := range g.codes {
		if c.code.Code == code {
			return c, true
		}
	}
	return weightedCode{}, false
}

// drawCode picks a code by weight; for a minor, among codes seen in minors.
func (g *generator) drawCode(minor bool) weightedCode {
	for {
		x := g.r.IntN(g.codeWeight)
		for _, c := range g.codes {
			if x < c.weight {
				if !minor || c.minor {
					return c
				}
				break
			}
			x -= c.weight
		}
	}
}

func containsCode(cs []weightedCode, code string) bool {
	for _, c := range cs {
		if c.code.Code == code {
			return true
		}
	}
	return false
}

// writeNote writes the note a clinician started at created for one client
// of a completed session: signed some minutes to days later (and co-signed
// for an associate), or still a draft if that is after now. It returns the
// note's id, or 0 when none was started by now.
func (g *generator) writeNote(o *occurrence, cl *clinician, kind notes.Kind, client int64, dx []int64, groupKey int64, shared string, tele bool, created time.Time) int64 {
	if created.After(g.now) {
		return 0
	}
	r := g.r
	g.ids.note++
	noteID := g.ids.note
	var lag time.Duration
	switch p := r.IntN(100); {
	case p < 60:
		lag = minutes(r, 10, 180)
	case p < 90:
		lag = minutes(r, 180, 48*60)
	default:
		lag = minutes(r, 48*60, 8*24*60)
	}
	signedAt := created.Add(lag).Add(time.Duration(r.IntN(60_000_000)) * time.Microsecond)
	saved := created.Add(minutes(r, 3, 9))
	signed := !signedAt.After(g.now)
	risk := ""
	body := g.noteBody(kind, signed, shared, &risk)
	pos := "11"
	if tele {
		pos = "10"
	}
	n := notes.Note{ID: noteID, ClientID: client, TemplateID: g.templates[kind], Kind: kind, Body: body,
		Session: notes.Session{ServiceCode: o.code, Start: o.start, End: o.end, PlaceOfService: pos, DiagnosisIDs: dx}}
	status, version, updated := notes.Draft, 1, created
	var signedBy, signedAtV, supervisor, cosignedBy, cosignedAt any
	signedName, cosignedName, hash := "", "", ""
	detail := string(kind)
	g.audit(created, &cl.staffer, cl.role, audit.ActionCreate, "note", id(noteID), client, detail)
	if !saved.After(g.now) {
		version, updated = 2, saved
		g.audit(saved, &cl.staffer, cl.role, audit.ActionUpdate, "note", id(noteID), client, "draft saved")
	}
	if cl.associate {
		supervisor = cl.supervisor.id
	}
	if signed {
		n.SignedBy, n.SignedName, n.SignedAt = cl.id, cl.signature, signedAt
		hash = notes.ContentHash(n)
		status, version, updated = notes.Signed, 3, signedAt
		signedBy, signedName, signedAtV = cl.id, cl.signature, db.Micros(signedAt)
		what := "signed"
		if cl.associate {
			status, what = notes.AwaitingCosign, "signed, sent for co-signature"
		}
		g.audit(signedAt, &cl.staffer, cl.role, audit.ActionUpdate, "note", id(noteID), client, what)
		if risk != "" {
			g.writeRisk(client, cl, body, risk, signedAt, noteID)
		}
		if cl.associate {
			sup := cl.supervisor
			at := signedAt.Add(minutes(r, 120, 5*24*60))
			if !at.After(g.now) {
				status, version, updated = notes.Cosigned, 4, at
				cosignedBy, cosignedName, cosignedAt = sup.id, sup.signature, db.Micros(at)
				g.audit(at, &sup.staffer, "supervisor", audit.ActionUpdate, "note", id(noteID), client, "co-signed")
			}
		}
	}
	plain, err := json.Marshal(body)
	if err != nil {
		g.fail(err)
		return 0
	}
	sealed, err := g.sealer.Encrypt(g.ctx, plain, notes.BodyAAD(noteID))
	if err != nil {
		g.fail(fmt.Errorf("seal note: %w", err))
		return 0
	}
	g.l.add("notes", noteID, client, string(kind), n.TemplateID, cl.id, o.id, nullID(groupKey), string(status), sealed,
		o.code, db.Micros(o.start), db.Micros(o.end), pos, joinIDs(dx), hash, signedBy, signedName, signedAtV, supervisor,
		cosignedBy, cosignedName, cosignedAt, version, db.Micros(created), db.Micros(updated))
	return noteID
}

// writeRisk copies a signed note's risk block to the client's risk
// assessments, as signing does.
func (g *generator) writeRisk(client int64, cl *clinician, body map[string]string, level string, at time.Time, noteID int64) {
	g.ids.risk++
	rk := clinical.Risk{SuicidalIdeation: body["risk.suicidal_ideation"], HomicidalIdeation: body["risk.homicidal_ideation"],
		History: body["risk.history"], ProtectiveFactors: body["risk.protective_factors"], Notes: fmt.Sprintf("From note %d", noteID)}
	plain, err := json.Marshal(rk)
	if err != nil {
		g.fail(err)
		return
	}
	sealed, err := g.sealer.Encrypt(g.ctx, plain, clinical.RiskAAD(g.ids.risk))
	if err != nil {
		g.fail(fmt.Errorf("seal risk assessment: %w", err))
		return
	}
	g.l.add("risk_assessments", g.ids.risk, client, level, sealed, cl.id, db.Micros(at))
}

func (g *generator) fail(err error) {
	if g.err == nil {
		g.err = err
	}
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, v := range ids {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(parts, ",")
}

// noteBody writes a note of kind: every required field when it is to be
// signed, the first ones only for a draft. An intake's risk level goes to
// *risk.
func (g *generator) noteBody(kind notes.Kind, complete bool, shared string, risk *string) map[string]string {
	r := g.r
	b := map[string]string{}
	mse := func(domains ...string) {
		for _, d := range notes.MSEDomains {
			for _, want := range domains {
				if d.Key == want {
					opt := d.Options[0]
					if r.IntN(4) == 0 {
						opt = d.Options[r.IntN(len(d.Options)-1)]
					}
					b["mse."+d.Key] = opt
				}
			}
		}
	}
	progress := func() { b["progress"] = []string{"Improved", "Improved", "Unchanged", "Worse"}[r.IntN(4)] }
	switch kind {
	case notes.Intake:
		b["presenting_problem"] = pick(r, presentingProblems)
		b["history"] = sentences(r, historyLines, 2)
		if !complete {
			return b
		}
		b["psychiatric_history"] = pick(r, historyLines)
		b["substance_use"] = pick(r, []string{"Denies alcohol or drug use.", "Social alcohol use, two to three drinks a week.", "Daily cannabis use in the evenings; interested in cutting back."})
		b["medical"] = pick(r, []string{"No significant medical history.", "Hypertension, managed by primary care.", "Asthma; uses an inhaler as needed.", "Chronic back pain."})
		b["social"] = pick(r, socialLines)
		mse("appearance", "behavior", "speech", "mood", "affect", "thought_process", "thought_content", "perception", "cognition", "insight", "judgment")
		level := []string{"none", "low", "low", "low", "moderate"}[r.IntN(5)]
		b["risk.suicidal_ideation"] = map[bool]string{true: "none", false: "passive"}[level != "moderate"]
		b["risk.homicidal_ideation"] = "none"
		b["risk.plan"], b["risk.intent"], b["risk.means"] = "no", "no", "no"
		b["risk.history"] = pick(r, []string{"None reported.", "No prior attempts.", "One episode of self-harm in adolescence."})
		b["risk.protective_factors"] = pick(r, []string{"Family support, employment, future orientation.", "Children, faith community.", "Engaged in treatment, close friends."})
		b["risk.level"] = level
		*risk = level
		b["formulation"] = sentences(r, assessmentLines, 2)
		b["recommendations"] = pick(r, planLines)
	case notes.ProgressSOAP:
		b["subjective"] = sentences(r, subjectiveLines, 2)
		b["objective"] = pick(r, objectiveLines)
		if !complete {
			return b
		}
		mse("mood", "affect")
		b["assessment"] = pick(r, assessmentLines)
		progress()
		b["plan"] = pick(r, planLines)
	case notes.ProgressDAP:
		b["data"] = sentences(r, subjectiveLines, 2) + " " + pick(r, objectiveLines)
		if !complete {
			return b
		}
		b["assessment"] = pick(r, assessmentLines)
		progress()
		b["plan"] = pick(r, planLines)
	case notes.ProgressBIRP:
		b["behavior"] = sentences(r, subjectiveLines, 2)
		if !complete {
			return b
		}
		b["intervention"] = pick(r, interventionLines)
		b["response"] = pick(r, responseLines)
		progress()
		b["plan"] = pick(r, planLines)
	case notes.CouplesFamily:
		b["participants_present"] = "Both partners"
		b["focus"] = pick(r, couplesFocus)
		if !complete {
			return b
		}
		b["interactions"] = pick(r, []string{"Partners interrupted each other frequently early in the session.", "Partners were able to take turns with prompting.", "One partner withdrew when conflict rose."})
		b["interventions"] = pick(r, interventionLines)
		b["plan"] = pick(r, planLines)
	case notes.GroupNote:
		b["group_narrative"] = shared
		b["participation"] = pick(r, participationLines)
		if !complete {
			return b
		}
		b["engagement"] = strconv.Itoa(2 + r.IntN(4))
		b["response"] = pick(r, responseLines)
		b["plan"] = pick(r, planLines)
	}
	return b
}
