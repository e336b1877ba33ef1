package notes

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/icd10"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	practices "github.com/mentalspace/mentalspace/internal/practice"
)

// A signed note as a PDF: the practice's letterhead, the client, the session,
// every template field with its label, the signature with its content hash,
// the co-signature and the addenda. The document is first laid out as a
// printout (plain labelled text, which tests compare with a golden file) and
// then drawn with fpdf. Psychotherapy notes live in a table this file never
// reads: they are never exported.

// ExportOption changes how ExportPDF draws.
type ExportOption func(*exportOptions)

type exportOptions struct{ compress bool }

// Uncompressed leaves the PDF's content streams uncompressed, so that a test
// can find the text in the bytes.
func Uncompressed() ExportOption { return func(o *exportOptions) { o.compress = false } }

// ExportPDF renders a signed note (final, or signed and waiting for its
// co-signature) as a PDF for readers of clinical content, and records the
// export in the audit log. The filename names the note and its date of
// service, never the client. Errors: forbidden, not_found, conflict (the
// note is not signed).
func (s *Service) ExportPDF(ctx context.Context, a access.Actor, id int64, opts ...ExportOption) ([]byte, string, error) {
	o := exportOptions{compress: true}
	for _, f := range opts {
		f(&o)
	}
	st, err := loadNote(ctx, s.db.Read(), id)
	if err != nil {
		return nil, "", wrap(err)
	}
	ev := audit.Event{Action: audit.ActionExport, ObjectType: "note", ObjectID: audit.ObjectIDOf(id), Detail: "pdf"}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClinicalRead, st.ClientID, &ev); err != nil {
		return nil, "", err
	}
	if st.Status != Signed && st.Status != Cosigned && st.Status != AwaitingCosign {
		return nil, "", apperr.Conflict("Only a signed note can be exported. Sign it first.")
	}
	n, err := s.open(ctx, st)
	if err != nil {
		return nil, "", wrap(err)
	}
	p, err := s.printout(ctx, a, n)
	if err != nil {
		return nil, "", wrap(err)
	}
	b, err := p.pdf(o)
	if err != nil {
		return nil, "", apperr.Internal(fmt.Errorf("note %d: pdf: %w", id, err))
	}
	// Appended: a break-the-glass grant has marked the detail already.
	ev.Detail += fmt.Sprintf(", %d addenda", len(n.Addenda))
	if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
		return nil, "", wrap(err)
	}
	return b, fmt.Sprintf("note-%d-%s.pdf", id, p.dos), nil
}

// item is one labelled value of the printout.
type item struct{ Label, Value string }

// block is a heading with labelled values and, or, free text.
type block struct {
	Heading string
	Items   []item
	Text    string
}

// printout is a note laid out for print.
type printout struct {
	Letterhead []string // practice name, address, phone
	Title      string
	Status     string
	Client     []item
	Session    block
	Fields     []block
	Signature  block
	Addenda    []block
	Footer     string
	Exported   string
	dos        string // the date of service, for the filename
}

// Text is the printout as plain text: what the PDF says, line by line.
func (p printout) Text() string {
	var b strings.Builder
	line := func(s string) { b.WriteString(strings.TrimRight(s, " ") + "\n") }
	items := func(is []item) {
		for _, it := range is {
			line(it.Label + ": " + it.Value)
		}
	}
	blk := func(k block) {
		line("")
		line("## " + k.Heading)
		items(k.Items)
		if k.Text != "" {
			line(k.Text)
		}
	}
	for _, l := range p.Letterhead {
		line(l)
	}
	line("")
	line("# " + p.Title)
	line(p.Status)
	items(p.Client)
	blk(p.Session)
	for _, f := range p.Fields {
		blk(f)
	}
	blk(p.Signature)
	for _, ad := range p.Addenda {
		blk(ad)
	}
	line("")
	line(p.Footer)
	line(p.Exported)
	return b.String()
}

// stamp formats a moment in the practice's zone.
func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("January 2, 2006 at 3:04 PM MST")
}

// orDash is v, or a dash for an empty value.
func orDash(v string) string {
	if strings.TrimSpace(v) == "" {
		return "—"
	}
	return v
}

// printout gathers what the PDF shows.
func (s *Service) printout(ctx context.Context, a access.Actor, n Note) (printout, error) {
	q := s.db.Read()
	var p printout
	var name, line1, line2, city, state, zip, phone, zone string
	err := q.QueryRowContext(ctx, `SELECT name, address_line1, address_line2, city, state, postal_code, phone, time_zone FROM practice WHERE id = 1`).
		Scan(&name, &line1, &line2, &city, &state, &zip, &phone, &zone)
	if err != nil && err != sql.ErrNoRows {
		return p, err
	}
	loc, lerr := time.LoadLocation(zone)
	if lerr != nil || zone == "" {
		loc = time.UTC
	}
	p.Letterhead = []string{name}
	addr := strings.Join(nonEmpty(line1, line2), ", ")
	if place := strings.TrimSpace(strings.Join(nonEmpty(city, strings.TrimSpace(state+" "+zip)), ", ")); place != "" {
		addr = strings.Join(nonEmpty(addr, place), ", ")
	}
	p.Letterhead = append(p.Letterhead, nonEmpty(addr, phoneLine(phone))...)

	var first, middle, last, suffix, preferred, dob, mrn string
	if err := q.QueryRowContext(ctx, `SELECT first_name, middle_name, last_name, suffix, preferred_name, birth_date, mrn FROM clients WHERE id = $1`, n.ClientID).
		Scan(&first, &middle, &last, &suffix, &preferred, &dob, &mrn); err != nil {
		return p, err
	}
	client := strings.Join(nonEmpty(first, middle, last, suffix), " ")
	if preferred != "" && preferred != first {
		client += " (" + preferred + ")"
	}
	dos := n.Session.Start
	if dos.IsZero() {
		dos = n.CreatedAt
	}
	p.dos = dos.In(loc).Format(time.DateOnly)
	p.Title = n.Kind.Label()
	if n.TemplateName != n.Kind.Label() {
		p.Title = n.TemplateName
	}
	p.Status = map[Status]string{Signed: "Signed", Cosigned: "Signed and co-signed", AwaitingCosign: "Signed; awaiting co-signature"}[n.Status]
	p.Client = []item{{"Client", client}, {"Date of birth", dob}, {"MRN", mrn}, {"Date of service", dos.In(loc).Format("January 2, 2006")}}

	// Session details.
	sess := block{Heading: "Session"}
	sess.Items = append(sess.Items, item{"Clinician", n.AuthorName})
	if n.Kind.IsService() || n.Session.ServiceCode != "" {
		code := n.Session.ServiceCode
		if n.Session.Modifiers != "" {
			code += " (modifiers " + n.Session.Modifiers + ")"
		}
		sess.Items = append(sess.Items, item{"Service code", orDash(code)})
	}
	if !n.Session.Start.IsZero() && !n.Session.End.IsZero() {
		sess.Items = append(sess.Items, item{"Time", fmt.Sprintf("%s – %s (%d minutes)", n.Session.Start.In(loc).Format("3:04 PM"),
			n.Session.End.In(loc).Format("3:04 PM MST"), n.Session.Minutes())})
	}
	if n.Session.PlaceOfService != "" {
		sess.Items = append(sess.Items, item{"Place of service", placeLabel(n.Session.PlaceOfService)})
	}
	if n.Session.Participants != "" {
		sess.Items = append(sess.Items, item{"Participants", n.Session.Participants})
	}
	if len(n.Session.DiagnosisIDs) > 0 {
		ds, err := s.diagnosesByID(ctx, q, n.ClientID, n.Session.DiagnosisIDs)
		if err != nil {
			return p, err
		}
		sess.Items = append(sess.Items, item{"Diagnoses", strings.Join(ds, "; ")})
	}
	if n.Session.CodeReason != "" {
		sess.Items = append(sess.Items, item{"Why this code", n.Session.CodeReason})
	}
	p.Session = sess

	// The body, along its template.
	t, err := templateByID(ctx, q, n.TemplateID)
	if err != nil {
		return p, err
	}
	p.Fields = fieldBlocks(t, n.Body)

	// Signatures.
	sig := block{Heading: "Signature"}
	sig.Items = append(sig.Items, item{"Electronically signed by", n.SignedName}, item{"Signed", stamp(n.SignedAt, loc)})
	switch {
	case n.Status == Cosigned:
		sig.Items = append(sig.Items, item{"Co-signed by", n.CosignedName}, item{"Co-signed", stamp(n.CosignedAt, loc)})
	case n.Status == AwaitingCosign:
		var sup string
		if err := q.QueryRowContext(ctx, `SELECT name FROM users WHERE id = $1`, n.SupervisorID).Scan(&sup); err != nil && err != sql.ErrNoRows {
			return p, err
		}
		sig.Items = append(sig.Items, item{"Co-signature", "Awaiting co-signature by " + orDash(sup) + "; not yet final"})
	}
	sig.Items = append(sig.Items, item{"Content hash (SHA-256)", n.ContentHash})
	if contentHash(n) == n.ContentHash {
		sig.Items = append(sig.Items, item{"Integrity", "The stored note matches its signature."})
	} else {
		sig.Items = append(sig.Items, item{"Integrity", "WARNING: the stored note does not match its signature."})
	}
	p.Signature = sig

	for i, ad := range n.Addenda {
		k := block{Heading: fmt.Sprintf("%s %d", capitalize(ad.Kind), i+1)}
		k.Items = append(k.Items, item{"By", ad.SignedName}, item{"Signed", stamp(ad.SignedAt, loc)})
		if ad.Reason != "" {
			k.Items = append(k.Items, item{"Reason", ad.Reason})
		}
		k.Items = append(k.Items, item{"Content hash (SHA-256)", ad.ContentHash})
		k.Text = ad.Text
		p.Addenda = append(p.Addenda, k)
	}

	var exporter string
	if !a.System {
		if err := q.QueryRowContext(ctx, `SELECT name FROM users WHERE id = $1`, a.UserID).Scan(&exporter); err != nil && err != sql.ErrNoRows {
			return p, err
		}
	}
	p.Footer = fmt.Sprintf("Confidential: protected health information. Note %d.", n.ID)
	p.Exported = "Exported " + stamp(s.clock.Now(), loc)
	if exporter != "" {
		p.Exported += " by " + exporter
	}
	return p, nil
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func phoneLine(phone string) string {
	if strings.TrimSpace(phone) == "" {
		return ""
	}
	return "Phone " + phone
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func placeLabel(code string) string {
	for _, p := range practices.PlacesOfService {
		if p.Code == code {
			return p.Label
		}
	}
	return code
}

// diagnosesByID names the note's diagnoses in pointer order, resolved ones
// included (a note keeps the diagnoses it was signed with).
func (s *Service) diagnosesByID(ctx context.Context, q db.Querier, clientID int64, ids []int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, code, title FROM diagnoses WHERE client_id = $1`, clientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[int64]string{}
	for rows.Next() {
		var id int64
		var code, title string
		if err := rows.Scan(&id, &code, &title); err != nil {
			return nil, err
		}
		byID[id] = icd10.Dotted(code) + " " + title
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		if d, ok := byID[id]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// fieldBlocks lays the body out along the template: one block per field,
// structured fields as labelled items, empty optional fields as a dash.
func fieldBlocks(t Template, body map[string]string) []block {
	var out []block
	for _, f := range t.Fields {
		k := block{Heading: f.Label}
		switch f.Type {
		case FieldMSE:
			known := map[string]bool{}
			for _, d := range MSEDomains {
				k.Items = append(k.Items, item{d.Label, orDash(body[f.Key+"."+d.Key])})
				// An "Other" finding's description, if the editor kept one.
				if v := strings.TrimSpace(body[f.Key+"."+d.Key+"_other"]); v != "" {
					k.Items = append(k.Items, item{d.Label + " (details)", v})
				}
				known[d.Key], known[d.Key+"_other"] = true, true
			}
			k.Items = append(k.Items, extraItems(f.Key, body, func(sub string) bool { return known[sub] })...)
		case FieldRisk:
			for _, it := range RiskItems {
				v := body[f.Key+"."+it.Key]
				switch it.Key {
				case "plan", "intent", "means":
					if v == "" {
						v = "No"
					} else if yes(v) {
						v = "Yes"
					} else if strings.EqualFold(v, "no") || v == "false" {
						v = "No"
					}
				}
				k.Items = append(k.Items, item{it.Label, orDash(capitalize(v))})
			}
		case FieldPlan:
			for row := 1; row <= PlanRows; row++ {
				var parts []item
				for _, pp := range PlanParts {
					if v := strings.TrimSpace(body[fmt.Sprintf("%s.%d.%s", f.Key, row, pp.Key)]); v != "" {
						parts = append(parts, item{fmt.Sprintf("%d. %s", row, pp.Label), v})
					}
				}
				k.Items = append(k.Items, parts...)
			}
			if len(k.Items) == 0 {
				k.Text = "—"
			}
		case FieldScale:
			v := body[f.Key]
			if v != "" {
				v = fmt.Sprintf("%s (scale %d to %d)", v, f.Min, f.Max)
			}
			k.Text = orDash(v)
		default:
			k.Text = orDash(strings.ReplaceAll(body[f.Key], "\r\n", "\n"))
		}
		out = append(out, k)
	}
	return out
}

// extraItems are values stored under key. that the known parts do not name
// (an "Other" finding's description), sorted by key.
func extraItems(key string, body map[string]string, known func(string) bool) []item {
	var subs []string
	for k := range body {
		if sub, ok := strings.CutPrefix(k, key+"."); ok && !known(sub) && strings.TrimSpace(body[k]) != "" {
			subs = append(subs, sub)
		}
	}
	sort.Strings(subs)
	var out []item
	for _, sub := range subs {
		out = append(out, item{capitalize(strings.ReplaceAll(sub, "_", " ")), body[key+"."+sub]})
	}
	return out
}

// pdf draws the printout on US Letter pages.
func (p printout) pdf(o exportOptions) ([]byte, error) {
	const margin, lineH = 18.0, 5.0
	f := fpdf.New("P", "mm", "Letter", "")
	f.SetCompression(o.compress)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, margin+4)
	// The document's own metadata names no one: file properties travel
	// further than the page.
	f.SetTitle("Clinical note", true)
	f.SetCreator("MentalSpace", true)
	tr := f.UnicodeTranslatorFromDescriptor("") // UTF-8 to the core fonts' cp1252
	pageW, _ := f.GetPageSize()
	width := pageW - 2*margin
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-margin)
		f.SetFont("Helvetica", "", 7.5)
		f.SetTextColor(90, 90, 90)
		f.CellFormat(width*0.75, 4, tr(p.Footer+" "+p.Exported), "", 0, "L", false, 0, "")
		f.CellFormat(width*0.25, 4, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
	})
	f.AddPage()

	// Letterhead.
	f.SetTextColor(20, 20, 20)
	f.SetFont("Helvetica", "B", 14)
	if len(p.Letterhead) > 0 {
		f.CellFormat(width, 7, tr(p.Letterhead[0]), "", 1, "L", false, 0, "")
	}
	f.SetFont("Helvetica", "", 9)
	for _, l := range p.Letterhead[min(1, len(p.Letterhead)):] {
		f.CellFormat(width, 4.5, tr(l), "", 1, "L", false, 0, "")
	}
	f.Ln(2)
	f.SetDrawColor(150, 150, 150)
	f.Line(margin, f.GetY(), pageW-margin, f.GetY())
	f.Ln(4)

	// Title and client.
	f.SetFont("Helvetica", "B", 13)
	f.CellFormat(width, 7, tr(p.Title), "", 1, "L", false, 0, "")
	f.SetFont("Helvetica", "I", 9.5)
	f.CellFormat(width, 5, tr(p.Status), "", 1, "L", false, 0, "")
	f.Ln(2)
	labelW := 46.0
	_, pageH := f.GetPageSize()
	bottom := pageH - (margin + 4)
	// room makes sure h millimetres fit on this page, starting a new one
	// if not; what is taller than a page breaks where it must.
	room := func(h float64) {
		if f.GetY()+h > bottom && h < bottom-margin {
			f.AddPage()
		}
	}
	drawItems := func(is []item, mono bool) {
		for _, it := range is {
			label, value := tr(it.Label), tr(it.Value)
			f.SetFont("Helvetica", "B", 9.5)
			lines := len(f.SplitLines([]byte(label), labelW))
			valueFont := func() {
				if mono {
					f.SetFont("Courier", "", 8.5)
				} else {
					f.SetFont("Helvetica", "", 9.5)
				}
			}
			valueFont()
			lines = max(lines, len(f.SplitLines([]byte(value), width-labelW)), 1)
			room(float64(lines) * lineH)
			y, page := f.GetY(), f.PageNo()
			f.SetFont("Helvetica", "B", 9.5)
			f.MultiCell(labelW, lineH, label, "", "L", false)
			yl := f.GetY()
			f.SetXY(margin+labelW, y)
			valueFont()
			f.MultiCell(width-labelW, lineH, value, "", "L", false)
			if f.PageNo() == page && yl > f.GetY() {
				f.SetY(yl)
			}
		}
	}
	drawItems(p.Client, false)
	heading := func(h string) {
		room(3 + 6.5 + 1 + 2*lineH) // a heading stays with what follows it
		f.Ln(3)
		f.SetFont("Helvetica", "B", 11)
		f.SetFillColor(238, 241, 244)
		f.CellFormat(width, 6.5, tr(h), "", 1, "L", true, 0, "")
		f.Ln(1)
	}
	drawBlock := func(k block) {
		heading(k.Heading)
		drawItems(k.Items, false)
		if k.Text != "" {
			f.SetFont("Helvetica", "", 10)
			f.MultiCell(width, lineH, tr(k.Text), "", "L", false)
		}
	}
	drawBlock(p.Session)
	for _, k := range p.Fields {
		drawBlock(k)
	}
	heading(p.Signature.Heading)
	for _, it := range p.Signature.Items {
		drawItems([]item{it}, strings.HasPrefix(it.Label, "Content hash"))
	}
	for _, ad := range p.Addenda {
		heading(ad.Heading)
		for _, it := range ad.Items {
			drawItems([]item{it}, strings.HasPrefix(it.Label, "Content hash"))
		}
		f.Ln(1)
		f.SetFont("Helvetica", "", 10)
		f.MultiCell(width, lineH, tr(ad.Text), "", "L", false)
	}
	if err := f.Error(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
