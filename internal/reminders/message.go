package reminders

import (
	"strings"
	"text/template"
	"time"
)

// details are the only facts a reminder carries. Adding one here is adding
// PHI to every reminder: keep it to what a client needs to turn up.
type details struct {
	FirstName     string // preferred name, else first name
	When          string
	WhenShort     string
	Where         string
	PracticeName  string
	PracticePhone string
	Link          string
}

// describe builds the details from the stored values; zone is the practice's
// time zone name.
func describe(first, preferred string, start time.Time, telehealth bool, location, practice, phone, zone string) details {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	local := start.In(loc)
	d := details{
		FirstName:     strings.TrimSpace(first),
		When:          local.Format("Monday, January 2, 2006 at 3:04 PM MST"),
		WhenShort:     local.Format("Mon Jan 2 at 3:04 PM MST"),
		Where:         location,
		PracticeName:  practice,
		PracticePhone: phone,
	}
	if p := strings.TrimSpace(preferred); p != "" {
		d.FirstName = p
	}
	if telehealth || location == "" {
		d.Where = "Video appointment"
	}
	return d
}

// The messages. Plain text: every mail client shows it, links stay
// clickable, and there is no markup to get wrong.
var (
	emailSubject = "Your appointment reminder"
	emailBody    = template.Must(template.New("email").Parse(`Hi {{.FirstName}},

This is a reminder of your appointment{{with .PracticeName}} with {{.}}{{end}}.

When:  {{.When}}
Where: {{.Where}}

Please let us know if you are coming. Confirm or cancel here:
{{.Link}}
{{if .PracticePhone}}
Questions? Call us at {{.PracticePhone}}.
{{end}}
{{.PracticeName}}
`))
	smsBody = template.Must(template.New("sms").Parse(
		`{{with .PracticeName}}{{.}}: {{end}}Hi {{.FirstName}}, reminder of your appointment {{.WhenShort}}, {{.Where}}. Confirm or cancel: {{.Link}}{{with .PracticePhone}} Questions? {{.}}{{end}}`))
)

func render(t *template.Template, d details) string {
	var b strings.Builder
	// The templates are fixed and the data are strings: execution cannot fail.
	_ = t.Execute(&b, d)
	return b.String()
}
