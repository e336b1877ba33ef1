package clients

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Contact is a person connected to a client: an emergency contact, a guardian
// or legal representative, or the financial guarantor.
type Contact struct {
	ID            int64
	Kind          string
	Name          string
	Relationship  string
	Phone         string
	Email         string
	Address       string
	BirthDate     string
	LegalDocument string
}

// ContactKinds are the kinds of contact.
var ContactKinds = []struct{ Code, Label string }{
	{"emergency", "Emergency contact"}, {"guardian", "Guardian"}, {"representative", "Legal representative"}, {"guarantor", "Financial guarantor"},
}

// RelationKinds are how two clients are related, with the inverse.
var RelationKinds = map[string]string{"partner": "partner", "parent": "child", "child": "parent", "sibling": "sibling", "family": "family"}

// Consent kinds.
var ConsentKinds = []struct{ Code, Label string }{
	{"treatment", "Consent to treatment"}, {"privacy_notice", "Notice of privacy practices acknowledged"}, {"telehealth", "Telehealth consent"},
	{"financial_policy", "Financial policy"}, {"release", "Release of information"}, {"part2", "42 CFR Part 2 consent"},
}

// Consent is a signed consent or release of information.
type Consent struct {
	ID          int64
	Kind        string
	SignedDate  string
	ExpiresDate string
	Recipient   string
	Purpose     string
	Scope       string
	Part2       bool
	RevokedDate string
	RecordedBy  int64
}

// State is "active", "expired" or "revoked" on day today.
func (c Consent) State(today string) string {
	switch {
	case c.RevokedDate != "" && c.RevokedDate <= today:
		return "revoked"
	case c.ExpiresDate != "" && c.ExpiresDate < today:
		return "expired"
	}
	return "active"
}

// Alert is a short flag shown in the chart header.
type Alert struct {
	ID   int64
	Kind string // safety, contact, billing, other
	Text string
}

// AlertKinds are the kinds of alert.
var AlertKinds = []string{"safety", "contact", "billing", "other"}

func validDate(s string) bool { _, err := time.Parse(time.DateOnly, s); return err == nil }

func has(list []struct{ Code, Label string }, code string) bool {
	return slices.ContainsFunc(list, func(x struct{ Code, Label string }) bool { return x.Code == code })
}

// changeClient authorises a write to one client's record, runs fn in a
// transaction and records ev there.
func (s *Service) changeClient(ctx context.Context, a access.Actor, clientID int64, ev audit.Event, fn func(tx *db.Tx) (int64, error)) (int64, error) {
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClientsWrite, clientID, &ev); err != nil {
		return 0, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE id = $1`, clientID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("client")
		}
		var err error
		if id, err = fn(tx); err != nil {
			return err
		}
		if ev.ObjectID == "" && id != 0 {
			ev.ObjectID = audit.ObjectIDOf(id)
		}
		return s.audit.Record(ctx, tx, a, ev)
	})
	return id, wrap(err)
}

// readClient authorises a read of one section of a client's record, runs fn
// in a transaction and records the read there.
func (s *Service) readClient(ctx context.Context, a access.Actor, clientID int64, section string, fn func(tx *db.Tx) error) error {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "client", ObjectID: audit.ObjectIDOf(clientID), Detail: "section " + section}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClientsRead, clientID, &ev); err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// AddContact adds a person to a client's record. Errors: forbidden, invalid, not_found.
func (s *Service) AddContact(ctx context.Context, a access.Actor, clientID int64, c Contact) (int64, error) {
	c.Name, c.Relationship, c.Phone, c.Address, c.LegalDocument = clean(c.Name), clean(c.Relationship), clean(c.Phone), clean(c.Address), clean(c.LegalDocument)
	f := map[string]string{}
	if !has(ContactKinds, c.Kind) {
		f["kind"] = "Choose the kind of contact."
	}
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 200 {
		f["name"] = "Enter the person's name."
	}
	if c.Phone == "" && c.Email == "" && c.Address == "" {
		f["phone"] = "Enter at least a phone number, an email or an address."
	}
	if c.Phone != "" && PhoneDigits(c.Phone) == "" {
		f["phone"] = "Enter a 10-digit phone number."
	}
	if c.BirthDate != "" && (!validDate(c.BirthDate) || c.BirthDate > s.today()) {
		f["birth_date"] = "Enter a date of birth (YYYY-MM-DD), not in the future."
	}
	if len(f) > 0 {
		return 0, apperr.Invalid("Please correct the highlighted fields.", f)
	}
	return s.changeClient(ctx, a, clientID, audit.Event{Action: audit.ActionCreate, ObjectType: "client_contact", Detail: "kind " + c.Kind},
		func(tx *db.Tx) (int64, error) {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO client_contacts (client_id, kind, name, relationship, phone, email, address, birth_date,
				legal_document, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, clientID, c.Kind, c.Name,
				c.Relationship, c.Phone, c.Email, c.Address, c.BirthDate, c.LegalDocument, db.Micros(s.clock.Now())).Scan(&id)
			return id, err
		})
}

// RemoveContact takes a person off the record (kept for history). Errors: forbidden, not_found.
func (s *Service) RemoveContact(ctx context.Context, a access.Actor, clientID, contactID int64) error {
	_, err := s.changeClient(ctx, a, clientID, audit.Event{Action: audit.ActionDelete, ObjectType: "client_contact", ObjectID: audit.ObjectIDOf(contactID)},
		func(tx *db.Tx) (int64, error) {
			res, err := tx.ExecContext(ctx, `UPDATE client_contacts SET removed_at = $1 WHERE id = $2 AND client_id = $3 AND removed_at IS NULL`,
				db.Micros(s.clock.Now()), contactID, clientID)
			if err != nil {
				return 0, err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return 0, apperr.NotFound("contact")
			}
			return contactID, nil
		})
	return err
}

// Contacts lists a client's people. Errors: forbidden.
func (s *Service) Contacts(ctx context.Context, a access.Actor, clientID int64) ([]Contact, error) {
	var out []Contact
	err := s.readClient(ctx, a, clientID, SectionContacts, func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, name, relationship, phone, email, address, birth_date, legal_document
			FROM client_contacts WHERE client_id = $1 AND removed_at IS NULL ORDER BY kind, id`, clientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Contact
			if err := rows.Scan(&c.ID, &c.Kind, &c.Name, &c.Relationship, &c.Phone, &c.Email, &c.Address, &c.BirthDate, &c.LegalDocument); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Relate links two clients both ways (kind from the first's side: "parent"
// means clientID is relatedID's parent... read as "relatedID is clientID's
// <kind>"). The actor must be allowed to change both. Errors: forbidden, invalid.
func (s *Service) Relate(ctx context.Context, a access.Actor, clientID, relatedID int64, kind string) error {
	inverse, ok := RelationKinds[kind]
	if !ok || clientID == relatedID {
		return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"relation": "Choose another client and how they are related."})
	}
	ev := audit.Event{Action: audit.ActionUpdate, ObjectType: "client_relation", ObjectID: audit.ObjectIDOf(relatedID), Detail: "related " + kind}
	if _, err := s.audit.AuthorizeClient(ctx, a, access.PermClientsWrite, relatedID, &audit.Event{Action: audit.ActionUpdate, ObjectType: "client_relation"}); err != nil {
		return err
	}
	_, err := s.changeClient(ctx, a, clientID, ev, func(tx *db.Tx) (int64, error) {
		for _, r := range [][3]any{{clientID, relatedID, kind}, {relatedID, clientID, inverse}} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO client_relations (client_id, related_id, kind) VALUES ($1, $2, $3)
				ON CONFLICT (client_id, related_id) DO UPDATE SET kind = excluded.kind`, r[0], r[1], r[2]); err != nil {
				return 0, err
			}
		}
		return relatedID, nil
	})
	return err
}

// Related is one related client as the chart lists it.
type Related struct {
	Summary
	Kind string
}

// Relations lists a client's related clients, each only if the actor may see
// them. Errors: forbidden.
func (s *Service) Relations(ctx context.Context, a access.Actor, clientID int64) ([]Related, error) {
	var out []Related
	err := s.readClient(ctx, a, clientID, "relations", func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT c.id, c.mrn, c.first_name, c.last_name, c.preferred_name, c.birth_date, c.status,
			COALESCE(c.primary_clinician_id, 0), r.kind FROM client_relations r JOIN clients c ON c.id = r.related_id
			WHERE r.client_id = $1 ORDER BY c.search_last, c.search_first`, clientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Related
			var st string
			if err := rows.Scan(&r.ID, &r.MRN, &r.FirstName, &r.LastName, &r.PreferredName, &r.BirthDate, &st, &r.PrimaryClinicianID, &r.Kind); err != nil {
				return err
			}
			r.Status = Status(st)
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	visible := out[:0]
	for _, r := range out {
		d, err := s.audit.Policy().Decide(ctx, a, access.PermClientsRead, access.Target{ClientID: r.ID})
		if err != nil {
			return nil, apperr.Internal(err)
		}
		if d.Allowed && !d.Emergency {
			visible = append(visible, r)
		}
	}
	return visible, nil
}

// AddConsent records a signed consent. Errors: forbidden, invalid, not_found.
func (s *Service) AddConsent(ctx context.Context, a access.Actor, clientID int64, c Consent) (int64, error) {
	c.Recipient, c.Purpose, c.Scope = clean(c.Recipient), clean(c.Purpose), clean(c.Scope)
	f := map[string]string{}
	if !has(ConsentKinds, c.Kind) {
		f["kind"] = "Choose the kind of consent."
	}
	if !validDate(c.SignedDate) || c.SignedDate > s.today() {
		f["signed_date"] = "Enter the date it was signed (YYYY-MM-DD), not in the future."
	}
	if c.ExpiresDate != "" && (!validDate(c.ExpiresDate) || c.ExpiresDate < c.SignedDate) {
		f["expires_date"] = "The expiry must be a date after signing."
	}
	if c.Kind == "release" {
		if c.Recipient == "" {
			f["recipient"] = "Name who receives the information."
		}
		if c.Purpose == "" {
			f["purpose"] = "Say what the information is for."
		}
		if c.Scope == "" {
			f["scope"] = "Say what may be shared."
		}
	}
	if c.Kind == "part2" {
		c.Part2 = true
	}
	if len(f) > 0 {
		return 0, apperr.Invalid("Please correct the highlighted fields.", f)
	}
	return s.changeClient(ctx, a, clientID, audit.Event{Action: audit.ActionCreate, ObjectType: "client_consent", Detail: "kind " + c.Kind},
		func(tx *db.Tx) (int64, error) {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO client_consents (client_id, kind, signed_date, expires_date, recipient, purpose, scope, part2,
				recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, clientID, c.Kind, c.SignedDate,
				c.ExpiresDate, c.Recipient, c.Purpose, c.Scope, c.Part2, nullID(a.UserID), db.Micros(s.clock.Now())).Scan(&id)
			return id, err
		})
}

// RevokeConsent records that a consent was revoked on date. Errors: forbidden, invalid, not_found.
func (s *Service) RevokeConsent(ctx context.Context, a access.Actor, clientID, consentID int64, date string) error {
	if !validDate(date) || date > s.today() {
		return apperr.Invalid("Please correct the highlighted fields.", map[string]string{"revoked_date": "Enter the date it was revoked, not in the future."})
	}
	_, err := s.changeClient(ctx, a, clientID, audit.Event{Action: audit.ActionUpdate, ObjectType: "client_consent", ObjectID: audit.ObjectIDOf(consentID), Detail: "revoked"},
		func(tx *db.Tx) (int64, error) {
			res, err := tx.ExecContext(ctx, `UPDATE client_consents SET revoked_date = $1 WHERE id = $2 AND client_id = $3 AND revoked_date = ''`, date, consentID, clientID)
			if err != nil {
				return 0, err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return 0, apperr.NotFound("consent")
			}
			return consentID, nil
		})
	return err
}

// Consents lists a client's consents, newest first. Errors: forbidden.
func (s *Service) Consents(ctx context.Context, a access.Actor, clientID int64) ([]Consent, error) {
	var out []Consent
	err := s.readClient(ctx, a, clientID, "consents", func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, signed_date, expires_date, recipient, purpose, scope, part2, revoked_date, COALESCE(recorded_by, 0)
			FROM client_consents WHERE client_id = $1 ORDER BY signed_date DESC, id DESC`, clientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Consent
			if err := rows.Scan(&c.ID, &c.Kind, &c.SignedDate, &c.ExpiresDate, &c.Recipient, &c.Purpose, &c.Scope, &c.Part2, &c.RevokedDate, &c.RecordedBy); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// AddAlert flags something staff must see in the chart header. Errors: forbidden, invalid, not_found.
func (s *Service) AddAlert(ctx context.Context, a access.Actor, clientID int64, al Alert) (int64, error) {
	al.Text = clean(al.Text)
	if !slices.Contains(AlertKinds, al.Kind) || al.Text == "" || utf8.RuneCountInString(al.Text) > 140 {
		return 0, apperr.Invalid("Please correct the highlighted fields.", map[string]string{"alert": "Choose a kind and write the alert in up to 140 characters."})
	}
	return s.changeClient(ctx, a, clientID, audit.Event{Action: audit.ActionCreate, ObjectType: "client_alert", Detail: "kind " + al.Kind},
		func(tx *db.Tx) (int64, error) {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO client_alerts (client_id, kind, text, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				clientID, al.Kind, al.Text, nullID(a.UserID), db.Micros(s.clock.Now())).Scan(&id)
			return id, err
		})
}

// ResolveAlert clears an alert. Errors: forbidden, not_found.
func (s *Service) ResolveAlert(ctx context.Context, a access.Actor, clientID, alertID int64) error {
	_, err := s.changeClient(ctx, a, clientID, audit.Event{Action: audit.ActionUpdate, ObjectType: "client_alert", ObjectID: audit.ObjectIDOf(alertID), Detail: "resolved"},
		func(tx *db.Tx) (int64, error) {
			res, err := tx.ExecContext(ctx, `UPDATE client_alerts SET resolved_at = $1 WHERE id = $2 AND client_id = $3 AND resolved_at IS NULL`,
				db.Micros(s.clock.Now()), alertID, clientID)
			if err != nil {
				return 0, err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return 0, apperr.NotFound("alert")
			}
			return alertID, nil
		})
	return err
}

// Alerts lists a client's open alerts, for the chart header. Errors: forbidden.
func (s *Service) Alerts(ctx context.Context, a access.Actor, clientID int64) ([]Alert, error) {
	var out []Alert
	err := s.readClient(ctx, a, clientID, "alerts", func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, text FROM client_alerts WHERE client_id = $1 AND resolved_at IS NULL ORDER BY id`, clientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var al Alert
			if err := rows.Scan(&al.ID, &al.Kind, &al.Text); err != nil {
				return err
			}
			out = append(out, al)
		}
		return rows.Err()
	})
	return out, err
}
