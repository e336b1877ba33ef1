package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/clinical"
	"github.com/mentalspace/mentalspace/internal/icd10"
	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/clock"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// The demo's clinical record, written the way the clinicians would have
// written it: each active client's diagnoses from their first session; a
// note for most completed sessions, signed a few hours to a day later (some
// past the practice's deadline, a few still drafts, the last days' partly
// undocumented); the associate's notes co-signed by the supervisor, except
// the latest, and one returned with comments; treatment plans, one due for
// review; one client with an elevated risk assessment and a safety plan; a
// psychotherapy note. Like the calendar, it is replayed through the services
// on a clock moved to each moment, by the demo's clinicians, who sign with
// their password.

// demoSigner confirms each demo clinician's identity with the real password
// check once, then reuses the signature block for the hundreds of notes the
// demo signs: one argon2 hash per clinician instead of one per note keeps
// start-up fast. Any other password still goes to the real check.
type demoSigner struct {
	auth    *auth.Service
	mu      sync.Mutex
	signers map[int64]auth.Signer
}

func (d *demoSigner) ConfirmIdentity(ctx context.Context, a access.Actor, password, code string) (auth.Signer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.signers[a.UserID]; ok && password == DemoPassword {
		return s, nil
	}
	s, err := d.auth.ConfirmIdentity(ctx, a, password, code)
	if err == nil && password == DemoPassword {
		d.signers[a.UserID] = s
	}
	return s, err
}

// demoSession is a completed session to document.
type demoSession struct {
	id         int64
	clinician  int64
	start, end time.Time
	kind       string // the appointment type's kind
	code       string
	pos        string
	clients    []int64
	attendance map[int64]string
}

// demoRecord writes the demo's clinical record.
type demoRecord struct {
	ctx      context.Context
	e        *env
	svc      *notes.Service    // on the replay clock
	clinical *clinical.Service // on the replay clock
	clk      *clock.Fake
	r        *rand.Rand
	now      time.Time
	loc      *time.Location
	actors   map[int64]access.Actor
	staff    map[string]int64
	tmpl     map[notes.Kind]int64
	dx       map[int64][]int64 // each client's diagnoses, in rank order
	counts   map[string]int
}

// demoStyle is each clinician's progress note template.
var demoStyle = map[string]notes.Kind{
	"clinician@demo.mentalspace.test":   notes.ProgressSOAP,
	"supervisor@demo.mentalspace.test":  notes.ProgressDAP,
	"associate@demo.mentalspace.test":   notes.ProgressDAP,
	"priya.raman@demo.mentalspace.test": notes.ProgressSOAP,
	"luis.ortega@demo.mentalspace.test": notes.ProgressBIRP,
}

// seedDemoNotes writes the clinical record for the demo calendar. staff are
// the demo accounts by email.
func seedDemoNotes(ctx context.Context, e *env, staff map[string]int64) error {
	began := time.Now()
	loc, err := e.schedule.Zone(ctx)
	if err != nil {
		return err
	}
	now := e.clock.Now()
	clk := clock.NewFake(now)
	d := &demoRecord{ctx: ctx, e: e, clk: clk, r: rand.New(rand.NewPCG(2026, 10)), now: now, loc: loc, staff: staff,
		actors: map[int64]access.Actor{}, tmpl: map[notes.Kind]int64{}, dx: map[int64][]int64{}, counts: map[string]int{}}
	d.svc = notes.NewService(e.db, clk, e.audit, e.keyring, &demoSigner{auth: e.auth, signers: map[int64]auth.Signer{}})
	d.clinical = clinical.NewService(e.db, clk, e.audit, e.keyring)
	d.svc.Location, d.clinical.Location = loc, loc
	for _, u := range demoStaff {
		d.actors[staff[u.Email]] = access.Actor{UserID: staff[u.Email], Roles: u.Roles, UserAgent: "mentalspace demo"}
	}
	ts, err := d.svc.Templates(ctx, d.actor("clinician@demo.mentalspace.test"))
	if err != nil {
		return describe(err)
	}
	for _, t := range ts {
		if t.Builtin {
			d.tmpl[t.Kind] = t.ID
		}
	}
	for _, step := range []func() error{d.diagnoses, d.sessions, d.plans, d.risk} {
		if err := step(); err != nil {
			return err
		}
	}
	e.log.Info("demo clinical record seeded", "diagnoses", d.counts["diagnoses"], "signed", d.counts["signed"], "signed_late", d.counts["late"],
		"cosigned", d.counts["cosigned"], "awaiting_cosign", d.counts["awaiting"], "returned", d.counts["returned"], "drafts", d.counts["drafts"], "undocumented", d.counts["missing"],
		"plans", d.counts["plans"], "skipped", d.counts["skipped"], "ms", time.Since(began).Milliseconds())
	return nil
}

func (d *demoRecord) actor(email string) access.Actor { return d.actors[d.staff[email]] }

// at moves the replay clock to t, never past the present.
func (d *demoRecord) at(t time.Time) {
	if t.After(d.now) {
		t = d.now
	}
	d.clk.Set(t)
}

func (d *demoRecord) chance(percent int) bool { return d.r.IntN(100) < percent }

func (d *demoRecord) pick(list []string) string { return list[d.r.IntN(len(list))] }

// demoDiagnoses are the codes the demo's clinicians use, for adults and for
// children.
var demoDiagnoses = struct{ adult, child []string }{
	adult: []string{"F33.1", "F41.1", "F43.23", "F32.1", "F41.0", "F43.10", "F40.10", "F34.1", "F33.0", "F42.2", "F43.22", "F32.A"},
	child: []string{"F90.2", "F41.1", "F93.0", "F90.0", "F43.23", "F32.A"},
}

// diagnoses gives most active clients a primary diagnosis, and some a
// second, added by their clinician on the day of their first session.
func (d *demoRecord) diagnoses() error {
	rows, err := d.e.db.Read().QueryContext(d.ctx, `SELECT c.id, COALESCE(c.primary_clinician_id, 0), c.birth_date,
			COALESCE((SELECT min(a.starts_at) FROM appointments a JOIN appointment_clients ac ON ac.appointment_id = a.id WHERE ac.client_id = c.id), 0)
		FROM clients c WHERE c.status = 'active' ORDER BY c.id`)
	if err != nil {
		return err
	}
	type row struct {
		id, clinician int64
		birth         string
		first         int64
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.clinician, &r.birth, &r.first); err != nil {
			rows.Close()
			return err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	adultBorn := d.now.In(d.loc).AddDate(-18, 0, 0).Format(time.DateOnly)
	for _, r := range rs {
		a, ok := d.actors[r.clinician]
		if !ok || !d.chance(88) {
			continue
		}
		codes := demoDiagnoses.adult
		if r.birth > adultBorn {
			codes = demoDiagnoses.child
		}
		when := d.now.AddDate(0, -3, -7)
		if r.first != 0 {
			when = db.Time(r.first).Add(50 * time.Minute)
		}
		d.at(when)
		onset := when.In(d.loc).AddDate(0, -2-d.r.IntN(20), -d.r.IntN(28)).Format(time.DateOnly)
		primary := d.pick(codes)
		picked := []string{primary}
		if d.chance(30) {
			if second := d.pick(codes); second != primary {
				picked = append(picked, second)
			}
		}
		for rank, code := range picked {
			if _, ok := icd10.Lookup(code); !ok {
				return fmt.Errorf("demo diagnosis %s is not a billable code", code)
			}
			id, err := d.clinical.AddDiagnosis(d.ctx, a, r.id, clinical.DiagnosisInput{Code: code, Rank: rank + 1, Onset: onset})
			if err != nil {
				return fmt.Errorf("demo diagnosis for client %d: %w", r.id, describe(err))
			}
			d.dx[r.id] = append(d.dx[r.id], id)
			d.counts["diagnoses"]++
		}
	}
	return nil
}

// completed reads the completed sessions, oldest first.
func (d *demoRecord) completed() ([]*demoSession, error) {
	rows, err := d.e.db.Read().QueryContext(d.ctx, `SELECT a.id, a.clinician_id, a.starts_at, a.ends_at, t.kind, t.service_code, a.telehealth,
			COALESCE(l.place_of_service, ''), ac.client_id, ac.attendance
		FROM appointments a JOIN appointment_types t ON t.id = a.type_id JOIN appointment_clients ac ON ac.appointment_id = a.id
		LEFT JOIN locations l ON l.id = a.location_id
		WHERE a.status = 'completed' AND ac.attendance <> 'cancelled' ORDER BY a.ends_at, a.id, ac.client_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*demoSession
	for rows.Next() {
		var s demoSession
		var start, end, client int64
		var tele bool
		var att string
		if err := rows.Scan(&s.id, &s.clinician, &start, &end, &s.kind, &s.code, &tele, &s.pos, &client, &att); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].id == s.id {
			out[n-1].clients = append(out[n-1].clients, client)
			out[n-1].attendance[client] = att
			continue
		}
		s.start, s.end, s.clients, s.attendance = db.Time(start), db.Time(end), []int64{client}, map[int64]string{client: att}
		if tele && s.pos != "02" {
			s.pos = "10"
		}
		out = append(out, &s)
	}
	return out, rows.Err()
}

// sessions documents the completed sessions.
func (d *demoRecord) sessions() error {
	ss, err := d.completed()
	if err != nil {
		return err
	}
	assoc, sup := d.actor("associate@demo.mentalspace.test"), d.actor("supervisor@demo.mentalspace.test")
	var assocNotes []int64 // the associate's signed notes, oldest first
	for _, s := range ss {
		a, ok := d.actors[s.clinician]
		if !ok {
			d.counts["skipped"]++
			continue
		}
		age := d.now.Sub(s.end)
		// What became of the note: the last days' sessions are partly
		// undocumented or drafts; a few older ones were never finished.
		fate := "sign"
		switch p := d.r.IntN(100); {
		case age < 72*time.Hour && p < 30:
			fate = "missing"
		case age < 72*time.Hour && p < 55:
			fate = "draft"
		case age >= 72*time.Hour && p < 2:
			fate = "missing"
		case age >= 72*time.Hour && p < 4:
			fate = "draft"
		}
		if fate == "missing" {
			d.counts["missing"] += len(s.clients)
			continue
		}
		delay := time.Duration(2+d.r.IntN(22)) * time.Hour
		late := d.chance(7)
		if late {
			delay = time.Duration(4*24+d.r.IntN(5*24)) * time.Hour
		}
		signAt := s.end.Add(delay)
		if signAt.After(d.now) {
			fate = "draft"
		}
		ids, err := d.document(a, s, fate == "sign", signAt)
		if err != nil {
			return err
		}
		if fate == "sign" && len(ids) > 0 && late {
			d.counts["late"]++
		}
		if a.UserID == assoc.UserID && fate == "sign" {
			assocNotes = append(assocNotes, ids...)
		}
	}
	// The supervisor co-signs the associate's notes a day or two after
	// they are signed, except the last few; one goes back with comments.
	for i, id := range assocNotes {
		n, err := d.svc.Get(d.ctx, sup, id)
		if err != nil {
			return describe(err)
		}
		switch {
		case i == len(assocNotes)-4:
			d.at(n.SignedAt.Add(20 * time.Hour))
			if err := d.svc.Return(d.ctx, sup, id, "Please add the client's response to the exposure exercise and update the plan with next week's homework.", n.Version); err != nil {
				return describe(err)
			}
			d.counts["returned"]++
			d.counts["signed"]--
		case i > len(assocNotes)-4:
			d.counts["awaiting"]++
		default:
			d.at(n.SignedAt.Add(time.Duration(18+d.r.IntN(48)) * time.Hour))
			if err := d.svc.Cosign(d.ctx, sup, id, notes.SignInput{Password: DemoPassword, Version: n.Version, Attest: true}); err != nil {
				return describe(err)
			}
			d.counts["cosigned"]++
		}
	}
	return nil
}

// document writes the notes of one session: one per attendee (a group
// template starts them all at once), signed at signAt when sign is set.
// It returns the ids of the notes it signed.
func (d *demoRecord) document(a access.Actor, s *demoSession, sign bool, signAt time.Time) ([]int64, error) {
	kind := d.kindFor(a, s)
	d.at(s.end.Add(time.Duration(5+d.r.IntN(90)) * time.Minute))
	if signAt.Before(d.clk.Now()) {
		signAt = d.clk.Now().Add(time.Hour)
	}
	var ids []int64
	first, err := d.svc.CreateDraft(d.ctx, a, notes.NewNote{ClientID: s.clients[0], TemplateID: d.tmpl[kind], AppointmentID: s.id})
	if apperr.Is(err, apperr.CodeForbidden) || apperr.Is(err, apperr.CodeInvalid) {
		d.counts["skipped"]++ // a client no longer on this clinician's caseload
		return nil, nil
	}
	if err != nil {
		return nil, describe(err)
	}
	ids = append(ids, first)
	if kind == notes.GroupNote {
		// The group template started every attendee's note.
		rows, err := d.e.db.Read().QueryContext(d.ctx, `SELECT id FROM notes WHERE appointment_id = $1 AND id <> $2 ORDER BY id`, s.id, first)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
	} else {
		for _, c := range s.clients[1:] {
			id, err := d.svc.CreateDraft(d.ctx, a, notes.NewNote{ClientID: c, TemplateID: d.tmpl[kind], AppointmentID: s.id})
			if err != nil {
				return nil, describe(err)
			}
			ids = append(ids, id)
		}
	}
	narrative := d.pick(demoText.groupNarrative)
	var signed []int64
	for _, id := range ids {
		client, version, err := d.noteFacts(id)
		if err != nil {
			return nil, err
		}
		sess := notes.Session{ServiceCode: s.code, Start: s.start, End: s.end, PlaceOfService: s.pos, DiagnosisIDs: d.dx[client]}
		if notes.CodeMismatch(kind, sess.ServiceCode, sess.Minutes()) {
			if c := notes.SuggestCode(kind, sess.Minutes()); c != "" {
				sess.ServiceCode = c
			}
		}
		if kind == notes.CouplesFamily || kind == notes.GroupNote {
			sess.Participants = fmt.Sprintf("%d clients", len(s.clients))
		}
		body := d.body(kind, client, s, narrative)
		if !sign && d.chance(50) {
			// A draft started in the session, finished later.
			for k := range body {
				if d.chance(40) {
					delete(body, k)
				}
			}
		}
		v, err := d.svc.SaveDraft(d.ctx, a, id, notes.DraftInput{Body: body, Session: sess, Version: version})
		if err != nil {
			return nil, fmt.Errorf("demo note %d: %w", id, describe(err))
		}
		if !sign {
			d.counts["drafts"]++
			continue
		}
		d.at(signAt)
		if _, err := d.svc.Sign(d.ctx, a, id, notes.SignInput{Password: DemoPassword, Version: v, Attest: true}); err != nil {
			return nil, fmt.Errorf("demo note %d: sign: %w", id, describe(err))
		}
		d.counts["signed"]++
		signed = append(signed, id)
		d.at(s.end.Add(10 * time.Minute))
	}
	return signed, nil
}

// noteFacts reads a note's client and current version (a group's shared
// narrative moves the other members' versions on).
func (d *demoRecord) noteFacts(id int64) (client, version int64, err error) {
	err = d.e.db.Read().QueryRowContext(d.ctx, `SELECT client_id, version FROM notes WHERE id = $1`, id).Scan(&client, &version)
	return client, version, err
}

// kindFor chooses the template: the intake for an intake, the couples or
// group note for those sessions, else the clinician's progress note.
func (d *demoRecord) kindFor(a access.Actor, s *demoSession) notes.Kind {
	switch s.kind {
	case "intake":
		return notes.Intake
	case "couple":
		return notes.CouplesFamily
	case "group":
		return notes.GroupNote
	}
	for email, k := range demoStyle {
		if d.staff[email] == a.UserID {
			return k
		}
	}
	return notes.ProgressSOAP
}

// demoText are the phrases the demo's notes are made of.
var demoText = struct {
	subjective, objective, assessment, plan, intervention, response, groupNarrative, participation []string
	presenting, history, formulation, focus, interactions                                          []string
}{
	subjective: []string{
		"Reports sleeping better since starting the wind-down routine; still wakes around 4 a.m. twice a week.",
		"Describes a hard week at work with two episodes of racing heart before meetings.",
		"States mood has been \"flat\" since the anniversary of her father's death; has kept up daily walks.",
		"Reports using the thought record three times; found it helpful when catching all-or-nothing thinking.",
		"Says the argument with his partner over the weekend left him withdrawn for two days.",
		"Reports fewer intrusive memories this week and was able to drive past the intersection once.",
		"Describes procrastinating on coursework, then staying up late to catch up; feels guilty about it.",
		"Reports returning to the gym twice and cooking dinner most nights.",
		"Says worry about her mother's health has been constant; difficulty concentrating at work.",
		"Reports a good week overall; attended a friend's birthday despite wanting to cancel.",
	},
	objective: []string{
		"Arrived on time, casually dressed, engaged throughout; speech normal in rate and volume.",
		"Appeared tired; made good eye contact; tearful when discussing family.",
		"Restless at the start, settled after the breathing exercise; cooperative.",
		"Well groomed, calm, reflective; brought completed homework.",
		"Joined by video from home in a private room; connection stable.",
	},
	assessment: []string{
		"Symptoms improving; applying coping skills more consistently.",
		"Mood remains low but stable; no new safety concerns.",
		"Anxiety moderately elevated in response to work stressors; good insight.",
		"Making steady progress toward the goal of fewer avoidance behaviours.",
		"Partial response to treatment; sleep remains the main barrier.",
	},
	plan: []string{
		"Continue weekly CBT; thought records daily; review sleep diary next session.",
		"Continue exposure hierarchy, step 4 this week; practise paced breathing before meetings.",
		"Behavioural activation: schedule two pleasant activities; follow up on PCP referral for sleep.",
		"Continue weekly sessions; introduce cognitive restructuring of self-critical thoughts.",
		"Maintain current plan; consider moving to fortnightly sessions in a month.",
	},
	intervention: []string{
		"Cognitive restructuring of catastrophic predictions about work performance.",
		"In-session imaginal exposure with SUDS ratings; processed afterwards.",
		"Motivational interviewing around sleep routine; values clarification.",
		"Taught and practised diaphragmatic breathing and grounding (5-4-3-2-1).",
		"Reviewed behavioural activation log; problem-solved barriers.",
	},
	response: []string{
		"Engaged well; identified two alternative thoughts independently.",
		"SUDS dropped from 70 to 35 over the exercise; client pleased with progress.",
		"Receptive; agreed to try a consistent wake time for one week.",
		"Practised the skill twice in session and reported feeling calmer.",
	},
	groupNarrative: []string{
		"Group reviewed the week's skills practice, then learned the STOP skill for moments of high distress; members role-played a stressful conversation.",
		"Session focused on noticing and labelling emotions; members shared one situation each and practised opposite action.",
		"Group discussed sleep hygiene and built individual wind-down plans; check-in on last week's goals.",
	},
	participation: []string{
		"Participated actively and offered support to a newer member.",
		"Quiet at first; shared an example in the second half.",
		"Engaged throughout; completed the role-play.",
		"Attended but participated minimally; reports a difficult week.",
	},
	presenting: []string{
		"Referred by primary care for low mood and poor sleep over the past four months.",
		"Self-referred for panic attacks that began after a job change.",
		"Parents seek help for the child's worries at bedtime and school refusal.",
		"Seeks therapy for anxiety and conflict at home after a recent move.",
	},
	history: []string{
		"Symptoms began gradually after a period of work stress; no prior treatment.",
		"One previous course of counselling in college, helpful; symptoms returned this year.",
		"Worries started in the autumn, worse on Sunday evenings and before tests.",
	},
	formulation: []string{
		"Presentation consistent with the diagnosis recorded; maintained by avoidance and irregular sleep. Good prognosis with weekly CBT.",
		"Symptoms meet criteria for the diagnosis recorded; strengths include supportive family and motivation for change.",
	},
	focus: []string{
		"Communication during disagreements; repair after conflict.",
		"Parenting consistency and dividing household responsibilities.",
		"Rebuilding trust and scheduling time together.",
	},
	interactions: []string{
		"Partners interrupted each other early on; able to use speaker-listener technique with coaching.",
		"Warm exchanges when discussing shared goals; tension when discussing finances.",
	},
}

// body writes a complete note of kind for client.
func (d *demoRecord) body(kind notes.Kind, client int64, s *demoSession, narrative string) map[string]string {
	b := map[string]string{}
	mse := func() {
		for _, dm := range notes.MSEDomains {
			v := dm.Options[0]
			if dm.Key == "mood" && d.chance(40) {
				v = d.pick([]string{"Anxious", "Depressed", "Irritable"})
			}
			if dm.Key == "affect" && d.chance(25) {
				v = "Constricted"
			}
			b["mse."+dm.Key] = v
		}
	}
	risk := func() {
		level := "low"
		if d.chance(35) {
			level = "none"
		}
		b["risk.level"], b["risk.suicidal_ideation"], b["risk.homicidal_ideation"] = level, "none", "none"
		b["risk.plan"], b["risk.intent"], b["risk.means"] = "no", "no", "no"
		b["risk.protective_factors"] = d.pick([]string{"Family support; future-oriented", "Engaged in treatment; pets", "Faith community; employment"})
	}
	progress := d.pick([]string{"Improved", "Improved", "Unchanged", "Worse"})
	switch kind {
	case notes.Intake:
		b["presenting_problem"], b["history"], b["formulation"] = d.pick(demoText.presenting), d.pick(demoText.history), d.pick(demoText.formulation)
		b["psychiatric_history"] = "No hospitalisations; no prior medication trials."
		b["substance_use"] = d.pick([]string{"Social alcohol use, 2–3 drinks a week; no drug use.", "Denies alcohol and drug use.", "Caffeine 3 cups a day; no other substances."})
		b["medical"] = "No significant medical history reported; annual physical last spring."
		b["social"] = d.pick([]string{"Lives with partner; works full time in logistics.", "Lives with parents and a younger sibling; in 7th grade.", "Lives alone; recently relocated for work."})
		b["recommendations"] = "Weekly individual therapy (CBT); PHQ-9 and GAD-7 every four weeks; treatment plan at the next session."
		mse()
		risk()
	case notes.ProgressSOAP:
		b["subjective"], b["objective"], b["assessment"], b["plan"] = d.pick(demoText.subjective), d.pick(demoText.objective), d.pick(demoText.assessment), d.pick(demoText.plan)
		b["progress"] = progress
		mse()
		risk()
	case notes.ProgressDAP:
		b["data"] = d.pick(demoText.subjective) + " " + d.pick(demoText.objective)
		b["assessment"], b["plan"], b["progress"] = d.pick(demoText.assessment), d.pick(demoText.plan), progress
		risk()
	case notes.ProgressBIRP:
		b["behavior"], b["intervention"], b["response"], b["plan"] = d.pick(demoText.subjective), d.pick(demoText.intervention), d.pick(demoText.response), d.pick(demoText.plan)
		b["progress"] = progress
		risk()
	case notes.CouplesFamily:
		b["participants_present"] = "Both partners"
		b["focus"], b["interactions"], b["interventions"], b["plan"] = d.pick(demoText.focus), d.pick(demoText.interactions), d.pick(demoText.intervention), d.pick(demoText.plan)
		risk()
	case notes.GroupNote:
		b["group_narrative"] = narrative
		b["participation"] = d.pick(demoText.participation)
		if s.attendance[client] == "absent" {
			b["participation"] = "Did not attend this session."
		}
		b["engagement"] = fmt.Sprint(2 + d.r.IntN(4))
		b["response"], b["plan"] = d.pick(demoText.response), "Continue weekly group; practise the week's skill daily."
	}
	return b
}

// demoPlanProblems are treatment plan rows: problem, goal, objective,
// interventions.
var demoPlanProblems = [][4]string{
	{"Depressed mood", "Return to usual activities with stable mood", "PHQ-9 below 10 for two consecutive months", "CBT, behavioural activation"},
	{"Worry and physical anxiety", "Manage anxiety at work", "GAD-7 below 8; attends meetings without avoidance", "CBT, paced breathing, exposure"},
	{"Poor sleep", "Sleep 7 hours most nights", "Sleep diary shows 5 of 7 nights over 6.5 hours", "CBT-I components, sleep hygiene"},
	{"Avoidance of reminders", "Drive the usual route to work", "Completes exposure hierarchy through step 8", "Prolonged exposure, grounding"},
}

// plans writes treatment plans for several clients: most signed in the
// last weeks, one signed a hundred days ago and due for review.
func (d *demoRecord) plans() error {
	rows, err := d.e.db.Read().QueryContext(d.ctx, `SELECT DISTINCT n.client_id, n.author_id FROM notes n JOIN users u ON u.id = n.author_id
		WHERE n.status IN ('signed', 'cosigned') AND n.kind IN ('progress_soap', 'progress_dap', 'progress_birp') ORDER BY n.client_id`)
	if err != nil {
		return err
	}
	type pair struct{ client, author int64 }
	var ps []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.client, &p.author); err != nil {
			rows.Close()
			return err
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	assoc := d.staff["associate@demo.mentalspace.test"]
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].author != assoc && ps[j].author == assoc }) // co-signatures aside
	written := 0
	for i, p := range ps {
		if written == 10 {
			break
		}
		if i%3 != 0 || p.author == assoc {
			continue
		}
		a := d.actors[p.author]
		signed := d.now.Add(-time.Duration(10+d.r.IntN(60)) * 24 * time.Hour)
		if written == 0 {
			signed = d.now.Add(-100 * 24 * time.Hour) // due for review
		}
		d.at(signed.Add(-2 * time.Hour))
		id, err := d.svc.CreateDraft(d.ctx, a, notes.NewNote{ClientID: p.client, TemplateID: d.tmpl[notes.TreatmentPlan]})
		if err != nil {
			return describe(err)
		}
		body := map[string]string{"modality": "Individual CBT, weekly, 53 minutes", "client_agreement": "Yes",
			"review_date": signed.In(d.loc).AddDate(0, 0, 90).Format(time.DateOnly)}
		for row, k := range d.r.Perm(len(demoPlanProblems))[:1+d.r.IntN(2)] {
			pr := demoPlanProblems[k]
			for j, part := range []string{"problem", "goal", "objective", "intervention"} {
				body[fmt.Sprintf("plan.%d.%s", row+1, part)] = pr[j]
			}
			body[fmt.Sprintf("plan.%d.target", row+1)] = signed.In(d.loc).AddDate(0, 4, 0).Format(time.DateOnly)
		}
		v, err := d.svc.SaveDraft(d.ctx, a, id, notes.DraftInput{Body: body, Version: 1})
		if err != nil {
			return describe(err)
		}
		d.at(signed)
		if _, err := d.svc.Sign(d.ctx, a, id, notes.SignInput{Password: DemoPassword, Version: v, Attest: true}); err != nil {
			return describe(err)
		}
		written++
		d.counts["plans"]++
	}
	return nil
}

// risk gives one of the first clinician's clients an elevated risk
// assessment after their latest session, with a safety plan, and leaves a
// psychotherapy note of that session for the clinician's eyes only.
func (d *demoRecord) risk() error {
	a := d.actor("clinician@demo.mentalspace.test")
	var client, appointment, ends int64
	err := d.e.db.Read().QueryRowContext(d.ctx, `SELECT n.client_id, n.appointment_id, n.ends_at FROM notes n
		WHERE n.author_id = $1 AND n.status = 'signed' AND n.appointment_id IS NOT NULL AND n.kind <> 'intake'
		ORDER BY n.ends_at DESC LIMIT 1`, a.UserID).Scan(&client, &appointment, &ends)
	if err != nil {
		return fmt.Errorf("demo risk: no signed note of the first clinician: %w", err)
	}
	// After the session, and after anything already assessed (a note's
	// risk block counts), so that the chart shows this level.
	after := db.Time(ends).Add(15 * time.Minute)
	var latest int64
	if err := d.e.db.Read().QueryRowContext(d.ctx, `SELECT COALESCE(max(assessed_at), 0) FROM risk_assessments WHERE client_id = $1`, client).Scan(&latest); err != nil {
		return err
	}
	if t := db.Time(latest).Add(5 * time.Minute); t.After(after) {
		after = t
	}
	d.at(after)
	if _, err := d.clinical.AssessRisk(d.ctx, a, client, clinical.Risk{SuicidalIdeation: "passive", HomicidalIdeation: "none", Means: true,
		History: "One overdose at 19; no attempts since.", ProtectiveFactors: "Daughter; engaged in treatment; agreed to safety plan",
		Level: "moderate", Notes: "Passive thoughts of not waking up after losing her job; no plan or intent. Medications locked away by partner."}); err != nil {
		return describe(err)
	}
	d.at(after.Add(10 * time.Minute))
	if err := d.clinical.SaveSafetyPlan(d.ctx, a, client, clinical.SafetyPlan{
		WarningSigns:     "Staying in bed past noon; not answering texts; thinking \"everyone would be better off\".",
		CopingStrategies: "Walk the dog; shower and get dressed; call sister; guided breathing app.",
		Contacts:         "Sister (evenings); Dana Okafor, LCSW, at the practice; 988 Suicide & Crisis Lifeline; 911.",
		MeansRestriction: "Partner keeps the medications locked; no firearms in the home.",
		ReasonsForLiving: "Her daughter; finishing her degree; her dog.",
	}); err != nil {
		return describe(err)
	}
	d.at(after.Add(20 * time.Minute))
	if _, err := d.svc.SavePsychotherapyNote(d.ctx, a, notes.PsychotherapyNote{ClientID: client, AppointmentID: appointment,
		Text: "Noticed my own urge to rescue when she described the job loss; slow down next time. Hypothesis: shame is driving the withdrawal more than sadness. " +
			"Explore her father's criticism when there is more stability."}); err != nil {
		return describe(err)
	}
	d.counts["risk"]++
	return nil
}
