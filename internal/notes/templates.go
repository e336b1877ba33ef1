package notes

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Kind is a type of note.
type Kind string

// The kinds.
const (
	Intake        Kind = "intake"
	ProgressSOAP  Kind = "progress_soap"
	ProgressDAP   Kind = "progress_dap"
	ProgressBIRP  Kind = "progress_birp"
	CouplesFamily Kind = "couples"
	GroupNote     Kind = "group"
	TreatmentPlan Kind = "treatment_plan"
	PlanReview    Kind = "plan_review"
	Crisis        Kind = "crisis"
	Contact       Kind = "contact"
	Missed        Kind = "missed"
	Discharge     Kind = "discharge"
)

// Kinds lists every kind with its label.
var Kinds = []struct {
	Kind  Kind
	Label string
}{
	{Intake, "Intake / diagnostic assessment"}, {ProgressSOAP, "Progress note (SOAP)"}, {ProgressDAP, "Progress note (DAP)"},
	{ProgressBIRP, "Progress note (BIRP)"}, {CouplesFamily, "Couples / family note"}, {GroupNote, "Group note"},
	{TreatmentPlan, "Treatment plan"}, {PlanReview, "Treatment plan review"}, {Crisis, "Crisis note"},
	{Contact, "Contact / collateral note"}, {Missed, "Missed-appointment note"}, {Discharge, "Discharge summary"},
}

// Label names the kind.
func (k Kind) Label() string {
	for _, x := range Kinds {
		if x.Kind == k {
			return x.Label
		}
	}
	return string(k)
}

// IsService reports whether a note of this kind documents a billable
// service, and so carries session details.
func (k Kind) IsService() bool {
	switch k {
	case Intake, ProgressSOAP, ProgressDAP, ProgressBIRP, CouplesFamily, GroupNote, Crisis, PlanReview:
		return true
	}
	return false
}

// Field types.
const (
	FieldText       = "text"
	FieldTextarea   = "textarea"
	FieldChoice     = "choice"
	FieldCheckboxes = "checkboxes"
	FieldScale      = "scale"
	FieldDate       = "date"
	// FieldMSE is a mental status exam block: one choice per domain, stored
	// under key.domain.
	FieldMSE = "mse"
	// FieldRisk is a risk assessment block, stored under key.item; a signed
	// note's risk level is copied to the client's risk assessments.
	FieldRisk = "risk"
	// FieldPlan is a treatment plan: up to PlanRows rows of problem, goal,
	// measurable objective, interventions and target date, stored under
	// key.N.part.
	FieldPlan = "plan"
)

// FieldTypes lists the types a practice template may use.
var FieldTypes = []string{FieldText, FieldTextarea, FieldChoice, FieldCheckboxes, FieldScale, FieldDate, FieldMSE, FieldRisk, FieldPlan}

// Field is one field of a template.
type Field struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Type     string   `json:"type"`
	Required bool     `json:"required,omitempty"`
	Options  []string `json:"options,omitempty"`
	Min      int      `json:"min,omitempty"`
	Max      int      `json:"max,omitempty"`
	// Shared marks a group note's narrative, common to every attendee.
	Shared bool `json:"shared,omitempty"`
	// Stable sections (plan, interventions, goals) may be brought forward
	// from the previous note; others never are.
	Stable bool `json:"stable,omitempty"`
}

// MSEDomains are the mental status exam's domains with their usual findings.
var MSEDomains = []struct {
	Key     string
	Label   string
	Options []string
}{
	{"appearance", "Appearance", []string{"Well groomed", "Disheveled", "Bizarre", "Other"}},
	{"behavior", "Behavior", []string{"Cooperative", "Guarded", "Agitated", "Withdrawn", "Other"}},
	{"speech", "Speech", []string{"Normal", "Pressured", "Slow", "Soft", "Loud", "Other"}},
	{"mood", "Mood", []string{"Euthymic", "Depressed", "Anxious", "Irritable", "Elevated", "Other"}},
	{"affect", "Affect", []string{"Congruent", "Flat", "Blunted", "Labile", "Constricted", "Other"}},
	{"thought_process", "Thought process", []string{"Linear", "Circumstantial", "Tangential", "Disorganized", "Other"}},
	{"thought_content", "Thought content", []string{"Unremarkable", "Obsessions", "Delusions", "Preoccupations", "Other"}},
	{"perception", "Perception", []string{"No hallucinations", "Auditory hallucinations", "Visual hallucinations", "Other"}},
	{"cognition", "Cognition", []string{"Alert and oriented ×4", "Impaired attention", "Impaired memory", "Other"}},
	{"insight", "Insight", []string{"Good", "Fair", "Poor"}},
	{"judgment", "Judgment", []string{"Good", "Fair", "Poor"}},
}

// RiskItems are the risk block's items.
var RiskItems = []struct{ Key, Label string }{
	{"suicidal_ideation", "Suicidal ideation (none, passive, active)"}, {"homicidal_ideation", "Homicidal ideation (none, passive, active)"},
	{"plan", "Plan"}, {"intent", "Intent"}, {"means", "Access to means"}, {"history", "History of attempts or violence"},
	{"protective_factors", "Protective factors"}, {"level", "Risk level"},
}

// PlanRows is how many problem rows a plan field holds.
const PlanRows = 5

// PlanParts are the columns of a plan row.
var PlanParts = []struct{ Key, Label string }{
	{"problem", "Problem"}, {"goal", "Goal"}, {"objective", "Measurable objective"}, {"intervention", "Interventions"}, {"target", "Target date"},
}

// Template is a versioned note template.
type Template struct {
	ID      int64
	Kind    Kind
	Name    string
	Version int
	Builtin bool
	Fields  []Field
	Active  bool
}

// validate checks a practice-defined template.
func (t *Template) validate() error {
	t.Name = strings.TrimSpace(t.Name)
	f := map[string]string{}
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 80 {
		f["name"] = "Give the template a name (up to 80 characters)."
	}
	if t.Kind.Label() == string(t.Kind) {
		f["kind"] = "Choose the kind of note."
	}
	if len(t.Fields) == 0 || len(t.Fields) > 60 {
		f["fields"] = "A template has between 1 and 60 fields."
	}
	seen := map[string]bool{}
	for i, fl := range t.Fields {
		name := fmt.Sprintf("field_%d", i+1)
		switch {
		case fl.Key == "" || strings.ContainsAny(fl.Key, ". ") || seen[fl.Key]:
			f[name] = "Each field needs its own key, without dots or spaces."
		case strings.TrimSpace(fl.Label) == "":
			f[name] = "Each field needs a label."
		case !slices.Contains(FieldTypes, fl.Type):
			f[name] = "Choose a field type."
		case (fl.Type == FieldChoice || fl.Type == FieldCheckboxes) && len(fl.Options) < 2:
			f[name] = "A choice needs at least two options."
		case fl.Type == FieldScale && fl.Max <= fl.Min:
			f[name] = "A rating scale needs a maximum above its minimum."
		}
		seen[fl.Key] = true
	}
	if len(f) > 0 {
		return apperr.Invalid("Check the highlighted fields.", f)
	}
	return nil
}

var (
	subjective = Field{Key: "subjective", Label: "Subjective", Type: FieldTextarea, Required: true}
	mse        = Field{Key: "mse", Label: "Mental status exam", Type: FieldMSE}
	risk       = Field{Key: "risk", Label: "Risk assessment", Type: FieldRisk}
	planField  = Field{Key: "plan", Label: "Plan", Type: FieldTextarea, Required: true, Stable: true}
	response   = Field{Key: "response", Label: "Client response", Type: FieldTextarea}
	progress   = Field{Key: "progress", Label: "Progress toward goals", Type: FieldChoice, Options: []string{"Improved", "Unchanged", "Worse"}}
)

// builtins are the templates every practice starts with.
var builtins = []Template{
	{Kind: Intake, Name: "Intake / diagnostic assessment", Fields: []Field{
		{Key: "presenting_problem", Label: "Presenting problem", Type: FieldTextarea, Required: true},
		{Key: "history", Label: "History of present illness", Type: FieldTextarea, Required: true},
		{Key: "psychiatric_history", Label: "Psychiatric and treatment history", Type: FieldTextarea},
		{Key: "substance_use", Label: "Substance use", Type: FieldTextarea},
		{Key: "medical", Label: "Medical history and medications", Type: FieldTextarea},
		{Key: "social", Label: "Social, family and developmental history", Type: FieldTextarea},
		mse, risk,
		{Key: "formulation", Label: "Assessment and diagnostic formulation", Type: FieldTextarea, Required: true},
		{Key: "recommendations", Label: "Recommendations and plan", Type: FieldTextarea, Required: true, Stable: true},
	}},
	{Kind: ProgressSOAP, Name: "Progress note (SOAP)", Fields: []Field{
		subjective,
		{Key: "objective", Label: "Objective", Type: FieldTextarea, Required: true},
		mse,
		{Key: "assessment", Label: "Assessment", Type: FieldTextarea, Required: true},
		risk, progress, planField,
	}},
	{Kind: ProgressDAP, Name: "Progress note (DAP)", Fields: []Field{
		{Key: "data", Label: "Data", Type: FieldTextarea, Required: true},
		{Key: "assessment", Label: "Assessment", Type: FieldTextarea, Required: true},
		risk, progress, planField,
	}},
	{Kind: ProgressBIRP, Name: "Progress note (BIRP)", Fields: []Field{
		{Key: "behavior", Label: "Behavior", Type: FieldTextarea, Required: true},
		{Key: "intervention", Label: "Intervention", Type: FieldTextarea, Required: true, Stable: true},
		response, risk, progress, planField,
	}},
	{Kind: CouplesFamily, Name: "Couples / family note", Fields: []Field{
		{Key: "participants_present", Label: "Who attended", Type: FieldText, Required: true},
		{Key: "focus", Label: "Focus of session", Type: FieldTextarea, Required: true},
		{Key: "interactions", Label: "Observed interactions", Type: FieldTextarea},
		{Key: "interventions", Label: "Interventions", Type: FieldTextarea, Required: true, Stable: true},
		risk, planField,
	}},
	{Kind: GroupNote, Name: "Group note", Fields: []Field{
		{Key: "group_narrative", Label: "Group session (shared with every member's note)", Type: FieldTextarea, Required: true, Shared: true},
		{Key: "participation", Label: "This member's participation", Type: FieldTextarea, Required: true},
		{Key: "engagement", Label: "Engagement", Type: FieldScale, Min: 1, Max: 5},
		response, planField,
	}},
	{Kind: TreatmentPlan, Name: "Treatment plan", Fields: []Field{
		{Key: "plan", Label: "Problems, goals and objectives", Type: FieldPlan, Required: true, Stable: true},
		{Key: "modality", Label: "Modality and frequency", Type: FieldText, Required: true, Stable: true},
		{Key: "review_date", Label: "Review date", Type: FieldDate, Required: true},
		{Key: "client_agreement", Label: "Client participated in and agrees with the plan", Type: FieldChoice, Options: []string{"Yes", "No"}, Required: true},
	}},
	{Kind: PlanReview, Name: "Treatment plan review", Fields: []Field{
		{Key: "plan", Label: "Problems, goals and objectives (updated)", Type: FieldPlan, Required: true, Stable: true},
		{Key: "progress_summary", Label: "Progress since the last review", Type: FieldTextarea, Required: true},
		{Key: "changes", Label: "Changes to the plan", Type: FieldTextarea},
		{Key: "review_date", Label: "Next review date", Type: FieldDate, Required: true},
	}},
	{Kind: Crisis, Name: "Crisis note", Fields: []Field{
		{Key: "situation", Label: "Situation", Type: FieldTextarea, Required: true},
		risk,
		{Key: "interventions", Label: "Interventions", Type: FieldTextarea, Required: true},
		{Key: "disposition", Label: "Disposition and follow-up", Type: FieldTextarea, Required: true},
	}},
	{Kind: Contact, Name: "Contact / collateral note", Fields: []Field{
		{Key: "contact_with", Label: "Contact with", Type: FieldText, Required: true},
		{Key: "method", Label: "Method", Type: FieldChoice, Options: []string{"Phone", "Email", "In person", "Video", "Letter"}, Required: true},
		{Key: "summary", Label: "Summary", Type: FieldTextarea, Required: true},
	}},
	{Kind: Missed, Name: "Missed-appointment note", Fields: []Field{
		{Key: "reason", Label: "Reason, if known", Type: FieldTextarea},
		{Key: "outreach", Label: "Outreach attempted", Type: FieldTextarea, Required: true},
		{Key: "risk_concern", Label: "Any risk concern", Type: FieldChoice, Options: []string{"No", "Yes"}, Required: true},
	}},
	{Kind: Discharge, Name: "Discharge summary", Fields: []Field{
		{Key: "reason", Label: "Reason for discharge", Type: FieldTextarea, Required: true},
		{Key: "course", Label: "Course of treatment", Type: FieldTextarea, Required: true},
		{Key: "status_at_discharge", Label: "Status at discharge", Type: FieldTextarea, Required: true},
		{Key: "referrals", Label: "Referrals and aftercare", Type: FieldTextarea},
	}},
}

// EnsureTemplates adds the built-in templates a database lacks. It runs at
// start-up and is safe to run on every instance at once.
func (s *Service) EnsureTemplates(ctx context.Context) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, t := range builtins {
			fields, err := json.Marshal(t.Fields)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO note_templates (kind, name, version, builtin, fields, active, created_at)
				VALUES ($1, $2, 1, TRUE, $3, TRUE, $4) ON CONFLICT (name, version) DO NOTHING`, string(t.Kind), t.Name, string(fields), db.Micros(s.clock.Now())); err != nil {
				return err
			}
		}
		return nil
	})
}

func scanTemplate(r interface{ Scan(...any) error }) (Template, error) {
	var t Template
	var kind, fields string
	if err := r.Scan(&t.ID, &kind, &t.Name, &t.Version, &t.Builtin, &fields, &t.Active); err != nil {
		return t, err
	}
	t.Kind = Kind(kind)
	return t, json.Unmarshal([]byte(fields), &t.Fields)
}

const templateColumns = `id, kind, name, version, builtin, fields, active`

func templateByID(ctx context.Context, q db.Querier, id int64) (Template, error) {
	t, err := scanTemplate(q.QueryRowContext(ctx, `SELECT `+templateColumns+` FROM note_templates WHERE id = $1`, id))
	if err != nil && strings.Contains(err.Error(), "no rows") {
		return t, apperr.NotFound("template")
	}
	return t, err
}

// Templates lists the newest version of every active template, built-in
// ones first, by kind.
func (s *Service) Templates(ctx context.Context, a access.Actor) ([]Template, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermClinicalRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "note_template"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+templateColumns+` FROM note_templates t
		WHERE t.active AND t.version = (SELECT max(version) FROM note_templates v WHERE v.name = t.name) ORDER BY t.builtin DESC, t.kind, t.name`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []Template
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, t)
	}
	return out, wrap(rows.Err())
}

// Template returns one template version.
func (s *Service) Template(ctx context.Context, a access.Actor, id int64) (Template, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermClinicalRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "note_template"}); err != nil {
		return Template{}, err
	}
	t, err := templateByID(ctx, s.db.Read(), id)
	return t, wrap(err)
}

// SaveTemplate stores a practice template as a new version (the first when
// the name is new); notes keep pointing at the version they used.
// Errors: forbidden, invalid.
func (s *Service) SaveTemplate(ctx context.Context, a access.Actor, t Template) (int64, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "note_template"}
	if _, err := s.audit.Authorize(ctx, a, access.PermSettingsManage, access.Target{}, ev); err != nil {
		return 0, err
	}
	if err := t.validate(); err != nil {
		return 0, err
	}
	fields, _ := json.Marshal(t.Fields)
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var builtin bool
		var version int
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(version), 0), COALESCE(max(CASE WHEN builtin THEN 1 ELSE 0 END), 0) = 1 FROM note_templates WHERE name = $1`, t.Name).
			Scan(&version, &builtin)
		if err != nil {
			return err
		}
		if builtin {
			return apperr.Invalid("Built-in templates keep their names: give your template its own.", map[string]string{"name": "This is a built-in template's name."})
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO note_templates (kind, name, version, builtin, fields, active, created_by, created_at)
			VALUES ($1, $2, $3, FALSE, $4, TRUE, $5, $6) RETURNING id`, string(t.Kind), t.Name, version+1, string(fields), actorID(a), db.Micros(s.clock.Now())).Scan(&id); err != nil {
			return err
		}
		ev.ObjectID, ev.Detail = audit.ObjectIDOf(id), fmt.Sprintf("version %d", version+1)
		return s.audit.Record(ctx, tx, a, ev)
	})
	return id, wrap(err)
}
