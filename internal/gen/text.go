package gen

import (
	"math/rand/v2"
	"strings"
)

// The practice's fixed lists: places, payers, staff credentials, the words
// of notes. Everything here is fictional; phone numbers are in the 555-01xx
// range kept for fiction and addresses use example domains.

// neighbourhoods name the in-person offices, in the order they open.
var neighbourhoods = []struct{ name, city, zip string }{
	{"Loop", "Chicago", "60603"}, {"Lincoln Park", "Chicago", "60614"}, {"Evanston", "Evanston", "60201"}, {"Oak Park", "Oak Park", "60302"},
	{"Hyde Park", "Chicago", "60615"}, {"Logan Square", "Chicago", "60647"}, {"Naperville", "Naperville", "60540"}, {"Skokie", "Skokie", "60077"},
	{"Lakeview", "Chicago", "60657"}, {"Pilsen", "Chicago", "60608"}, {"Joliet", "Joliet", "60432"}, {"Schaumburg", "Schaumburg", "60173"},
	{"Andersonville", "Chicago", "60640"}, {"Bronzeville", "Chicago", "60653"}, {"Aurora", "Aurora", "60505"}, {"Elgin", "Elgin", "60120"},
	{"Rogers Park", "Chicago", "60626"}, {"Wicker Park", "Chicago", "60622"}, {"Arlington Heights", "Arlington Heights", "60004"},
	{"Downers Grove", "Downers Grove", "60515"}, {"Wheaton", "Wheaton", "60187"}, {"Orland Park", "Orland Park", "60462"},
	{"Des Plaines", "Des Plaines", "60016"}, {"Berwyn", "Berwyn", "60402"}, {"Waukegan", "Waukegan", "60085"}, {"Bolingbrook", "Bolingbrook", "60440"},
	{"Glenview", "Glenview", "60025"}, {"Elmhurst", "Elmhurst", "60126"}, {"Palatine", "Palatine", "60067"}, {"Tinley Park", "Tinley Park", "60477"},
	{"Highland Park", "Highland Park", "60035"}, {"Park Ridge", "Park Ridge", "60068"}, {"La Grange", "La Grange", "60525"},
	{"Hinsdale", "Hinsdale", "60521"}, {"Gary", "Gary", "46402"}, {"Hammond", "Hammond", "46320"}, {"Kenosha", "Kenosha", "53140"},
	{"Milwaukee East", "Milwaukee", "53202"}, {"Oak Lawn", "Oak Lawn", "60453"}, {"Cicero", "Cicero", "60804"},
}

var officeStreets = []string{"W Madison St", "N Clark St", "Church St", "Lake St", "E 53rd St", "N Milwaukee Ave", "W Jefferson Ave",
	"Oakton St", "W Belmont Ave", "S Halsted St", "N Chicago St", "E Golf Rd"}

// payerList is the payer directory: name, electronic payer id, claim filing indicator.
var payerList = []struct{ name, eid, cfi string }{
	{"Blue Cross Blue Shield of Illinois", "00621", "BL"}, {"Aetna", "60054", "CI"}, {"UnitedHealthcare", "87726", "CI"},
	{"Cigna", "62308", "CI"}, {"Medicare Part B (Illinois)", "06102", "MB"}, {"Illinois Medicaid", "77046", "MC"},
	{"Humana", "61101", "CI"}, {"Tricare East", "TREST", "CH"}, {"Meridian Health Plan", "13189", "HM"},
	{"Ambetter of Illinois", "68069", "CI"}, {"Health Alliance", "37330", "HM"}, {"Oscar Health", "OSCAR", "CI"},
	{"Wisconsin Medicaid", "WIMCD", "MC"}, {"Indiana Medicaid", "IHCP1", "MC"}, {"Lakeshore Employees Health Trust", "LEHT1", "CI"},
}

var (
	licensedCredentials  = []string{"LCSW", "LCPC", "LMFT", "PsyD", "PhD", "LCSW", "LCPC", "LMHC"}
	associateCredentials = []string{"LSW", "LPC", "MFT Associate", "Psychology Resident"}
	staffFirstNames      = []string{"Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Cameron", "Dana", "Elena", "Farah",
		"Gabriela", "Hassan", "Ines", "Julian", "Keiko", "Lorenzo", "Maya", "Nadia", "Oren", "Priya", "Quentin", "Rosa", "Samir", "Tova",
		"Uma", "Victor", "Wren", "Xavier", "Yara", "Zane", "Amira", "Bennett", "Chioma", "Desmond", "Esperanza", "Felix", "Greta", "Hugo"}
)

var (
	referralSources   = []string{"Self", "Self", "Primary care physician", "Friend or family", "Insurance directory", "Online directory listing", "Employee assistance program", "Hospital discharge planner", "School counselor", "Former client"}
	maritalStatuses   = []string{"Single", "Single", "Married", "Divorced", "Separated", "Partnered", "Widowed"}
	employmentStatus  = []string{"Employed full time", "Employed full time", "Employed part time", "Self-employed", "Unemployed", "Student", "Retired", "On disability leave"}
	cancelReasons     = []string{"Client ill", "Work conflict", "Childcare", "Transportation", "Family emergency", "Forgot; will call back", "Weather", "Feeling better this week"}
	clinicianReasons  = []string{"Clinician ill", "Clinician unavailable", "Training day", "Clinician family emergency"}
	groupNames        = []string{"Anxiety skills group", "DBT skills group", "Grief support group", "Mindfulness-based stress reduction", "Men's recovery group", "Women's trauma recovery group", "Young adult transitions group", "Parenting support group"}
	emergencyRelation = []string{"Spouse", "Partner", "Mother", "Father", "Sister", "Brother", "Friend", "Adult child"}
	guardianRelation  = []string{"Mother", "Father", "Grandmother", "Legal guardian"}
	alertTexts        = []struct{ kind, text string }{
		{"contact", "Prefers text messages; do not leave voicemail at work."}, {"billing", "Balance over 90 days: discuss at check-in."},
		{"contact", "Use preferred name at the front desk."}, {"other", "Needs the ground-floor office."},
		{"contact", "Interpreter needed for phone calls."}, {"billing", "Sliding-scale fee agreed; see the financial policy."},
	}
)

// commonCodes are the diagnoses a community mental-health practice sees most,
// as ICD-10-CM billable codes with a weight; Run keeps those the code set
// has (all of them in FY2026).
var commonCodes = []struct {
	code   string
	weight int
	minor  bool // seen in children and teenagers
}{
	{"F411", 14, false}, {"F331", 9, false}, {"F32A", 6, false}, {"F4323", 8, true}, {"F4322", 4, true}, {"F4321", 4, true},
	{"F4310", 4, false}, {"F4312", 3, false}, {"F321", 4, false}, {"F330", 3, false}, {"F410", 3, false}, {"F4010", 2, true},
	{"F422", 2, true}, {"F900", 2, true}, {"F902", 2, true}, {"F3181", 1, false}, {"F341", 2, false}, {"F1020", 1, false},
	{"F1220", 1, false}, {"F603", 1, false}, {"F913", 1, true}, {"F930", 1, true}, {"F5000", 1, true}, {"Z630", 2, false},
	{"F419", 2, true}, {"F4329", 1, true}, {"F39", 1, false},
}

var medicationList = []struct{ name, dose, freq string }{
	{"Sertraline", "50 mg", "once daily"}, {"Escitalopram", "10 mg", "once daily"}, {"Fluoxetine", "20 mg", "once daily"},
	{"Bupropion XL", "150 mg", "every morning"}, {"Venlafaxine XR", "75 mg", "once daily"}, {"Trazodone", "50 mg", "at bedtime as needed"},
	{"Hydroxyzine", "25 mg", "up to three times daily as needed"}, {"Lamotrigine", "100 mg", "twice daily"}, {"Methylphenidate ER", "36 mg", "every morning"},
	{"Quetiapine", "50 mg", "at bedtime"}, {"Buspirone", "10 mg", "twice daily"}, {"Mirtazapine", "15 mg", "at bedtime"},
}

var prescribers = []string{"Primary care physician", "Dr. Okafor (psychiatry)", "Dr. Lindqvist (psychiatry)", "Nurse practitioner at the clinic", "Pediatrician"}

// Phrases for note bodies, chosen and joined at random.
var (
	presentingProblems = []string{"Client reports low mood and loss of interest over the past several months.",
		"Client describes persistent worry about work and finances, with trouble sleeping.",
		"Client was referred after a panic attack at work and reports avoiding crowded places.",
		"Client reports conflict at home and difficulty managing anger.",
		"Client is seeking support after the death of a parent.",
		"Client describes intrusive memories and nightmares following a car accident.",
		"Parent reports the child has difficulty focusing at school and frequent outbursts at home."}
	historyLines = []string{"Symptoms began gradually and worsened after a job change.", "No prior outpatient treatment reported.",
		"Client saw a counselor in college for about six months with some benefit.", "Reports one prior episode of depression that resolved without treatment.",
		"Family history of depression on the maternal side.", "Sleep has been reduced to about five hours a night."}
	socialLines = []string{"Lives with partner and two children; works full time.", "Lives alone; close to a sibling who lives nearby.",
		"Recently moved to the area for work.", "Lives with parents and attends high school.", "Retired; active in a faith community."}
	subjectiveLines = []string{"Client reports a somewhat better week, with two days of low mood.", "Client states anxiety was high before a work presentation but manageable.",
		"Client reports sleeping better since starting the wind-down routine.", "Client describes an argument with partner and feeling discouraged afterwards.",
		"Client reports completing the thought record twice this week.", "Client reports cravings on the weekend, no use."}
	objectiveLines = []string{"Client arrived on time, engaged throughout the session.", "Client appeared tired but was attentive and cooperative.",
		"Client was tearful when discussing family, able to regroup.", "PHQ-9 and GAD-7 reviewed with client."}
	assessmentLines = []string{"Symptoms are improving gradually; client is using coping skills more consistently.",
		"Mood remains low; continued avoidance is maintaining anxiety.", "Client is making steady progress toward treatment goals.",
		"Stressors increased this week; no change in risk."}
	interventionLines = []string{"Cognitive restructuring of catastrophic predictions.", "Behavioral activation planning for the coming week.",
		"Exposure hierarchy reviewed and first step practiced in session.", "Mindfulness and grounding practiced in session.",
		"Motivational interviewing around treatment goals.", "Psychoeducation on the anxiety cycle."}
	planLines = []string{"Continue weekly sessions; practice breathing exercise daily.", "Continue current plan; review thought records next session.",
		"Client to schedule two pleasant activities before the next session.", "Continue every other week; revisit goals in one month."}
	responseLines = []string{"Client was receptive and identified one situation to practice with.", "Client engaged well and asked good questions.",
		"Client was ambivalent but agreed to try the exercise.", "Client reported the exercise was helpful in session."}
	groupNarratives = []string{"Group reviewed last week's practice and discussed barriers to using skills.",
		"Group practiced distress tolerance skills and shared examples from the week.", "Group discussed sleep hygiene and set individual goals.",
		"Group focused on communication skills through role play."}
	participationLines = []string{"Member participated actively and offered support to others.", "Member was quiet but attentive, shared once.",
		"Member shared a recent success using the skill.", "Member arrived late and participated in the second half."}
	couplesFocus = []string{"Communication patterns during conflict.", "Rebuilding trust after a breach.", "Division of household responsibilities.",
		"Parenting disagreements and shared goals."}
)

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// sentences joins n different phrases from s.
func sentences(r *rand.Rand, s []string, n int) string {
	n = min(n, len(s))
	start := r.IntN(len(s))
	parts := make([]string, n)
	for i := range n {
		parts[i] = s[(start+i)%len(s)]
	}
	return strings.Join(parts, " ")
}
