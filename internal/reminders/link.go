package reminders

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
	"github.com/mentalspace/mentalspace/internal/scheduling"
)

// A link token is base64url(payload ‖ mac): the payload is a version byte and
// three uvarints (appointment id, client id, expiry in Unix seconds), the mac
// the first 16 bytes of HMAC-SHA256 over the payload under the link key. About
// 40 characters, short enough for a text message. Nothing is stored: any
// instance holding the key checks a token, and a link dies with its
// appointment's start (or with the master key).

const (
	tokenVersion = 1
	macSize      = 16
	maxTokenLen  = 64 // generous: a real token is under 50 characters
)

// ErrLinkInvalid is returned for a token that is malformed, forged or altered,
// or names an appointment the client is not on. It says nothing more.
var ErrLinkInvalid = &apperr.Error{Code: apperr.CodeNotFound, Message: "This link is not valid."}

// ErrLinkExpired is returned for a genuine link whose appointment has started.
var ErrLinkExpired = &apperr.Error{Code: apperr.CodeNotFound, Message: "This link has expired."}

// claims is what a token says.
type claims struct {
	AppointmentID, ClientID int64
	Expires                 time.Time
}

// Token signs a link token for a client of an appointment, valid until
// expires (the appointment's start).
func (s *Service) Token(appointmentID, clientID int64, expires time.Time) string {
	p := []byte{tokenVersion}
	p = binary.AppendUvarint(p, uint64(appointmentID))
	p = binary.AppendUvarint(p, uint64(clientID))
	p = binary.AppendUvarint(p, uint64(max(expires.Unix(), 0)))
	return base64.RawURLEncoding.EncodeToString(append(p, s.mac(p)...))
}

// LinkURL is the address of a client's link for an appointment.
func (s *Service) LinkURL(appointmentID, clientID int64, expires time.Time) string {
	return s.baseURL + "/r/" + s.Token(appointmentID, clientID, expires)
}

func (s *Service) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(payload)
	return m.Sum(nil)[:macSize]
}

// verify checks a token's form and signature, then its expiry.
func (s *Service) verify(token string) (claims, error) {
	c, err := parseToken(token, s.mac)
	if err != nil {
		return c, ErrLinkInvalid
	}
	if !s.clock.Now().Before(c.Expires) {
		return c, ErrLinkExpired
	}
	return c, nil
}

// parseToken decodes a token and checks its mac in constant time. It never
// panics, whatever it is given (see FuzzParseToken).
func parseToken(token string, mac func([]byte) []byte) (claims, error) {
	var c claims
	bad := errors.New("bad token")
	if len(token) == 0 || len(token) > maxTokenLen {
		return c, bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < 1+3+macSize {
		return c, bad
	}
	payload, sum := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(sum, mac(payload)) {
		return c, bad
	}
	if payload[0] != tokenVersion {
		return c, bad
	}
	rest := payload[1:]
	var vals [3]uint64
	for i := range vals {
		v, n := binary.Uvarint(rest)
		if n <= 0 || v > 1<<62 {
			return c, bad
		}
		vals[i], rest = v, rest[n:]
	}
	if len(rest) != 0 || vals[0] == 0 || vals[1] == 0 {
		return c, bad
	}
	c.AppointmentID, c.ClientID, c.Expires = int64(vals[0]), int64(vals[1]), time.Unix(int64(vals[2]), 0).UTC()
	return c, nil
}

// LinkView is what a reminder link's page may show: no more than the
// reminder itself said.
type LinkView struct {
	FirstName     string
	When          string // local date and time with the zone
	Where         string // the location's name, or "Video appointment"
	PracticeName  string
	PracticePhone string
	Status        scheduling.Status
	// Group is a group session: one member cannot confirm or cancel it.
	Group bool
	// CanConfirm and CanCancel say which buttons to offer.
	CanConfirm, CanCancel bool
	// LateCancel and FeeCents: before cancelling, what cancelling now would
	// mean; once cancelled, what was recorded.
	LateCancel      bool
	FeeCents        int64
	LateCancelHours int
}

// linkTarget is the appointment a verified token points at.
type linkTarget struct {
	claims
	status     scheduling.Status
	start      time.Time
	group      bool
	lateCancel bool
	feeCents   int64
	view       LinkView
}

// linkActor is who acts through a link: the system, on the client's word,
// from the client's browser. Audit entries show it as the system with the
// browser's address and a "reminder link" user agent.
func linkActor(meta access.Actor) access.Actor {
	return access.Actor{System: true, IP: meta.IP, UserAgent: "reminder link; " + meta.UserAgent, RequestID: meta.RequestID}
}

// target verifies token and loads its appointment. The client must be (or
// have been) on the appointment, and the appointment must not have started.
func (s *Service) target(ctx context.Context, token string) (linkTarget, error) {
	c, err := s.verify(token)
	if err != nil {
		return linkTarget{}, err
	}
	t := linkTarget{claims: c}
	var status, kind, location, first, preferred, practice, phone, zone string
	var start int64
	var telehealth bool
	err = s.db.Read().QueryRowContext(ctx, `SELECT a.status, a.starts_at, a.telehealth, COALESCE(l.name, ''), ty.kind, a.late_cancel, a.fee_cents,
			c.first_name, c.preferred_name, COALESCE(p.name, ''), COALESCE(p.phone, ''), COALESCE(p.time_zone, 'UTC')
		FROM appointments a
		JOIN appointment_clients ac ON ac.appointment_id = a.id AND ac.client_id = $2
		JOIN clients c ON c.id = ac.client_id
		JOIN appointment_types ty ON ty.id = a.type_id
		LEFT JOIN locations l ON l.id = a.location_id
		LEFT JOIN practice p ON p.id = 1
		WHERE a.id = $1`, c.AppointmentID, c.ClientID).
		Scan(&status, &start, &telehealth, &location, &kind, &t.lateCancel, &t.feeCents, &first, &preferred, &practice, &phone, &zone)
	if err == sql.ErrNoRows {
		return t, ErrLinkInvalid
	}
	if err != nil {
		return t, wrap(fmt.Errorf("reminder link: %w", err))
	}
	t.status, t.start, t.group = scheduling.Status(status), db.Time(start), scheduling.Kind(kind) == scheduling.Group
	if !s.clock.Now().Before(t.start) {
		return t, ErrLinkExpired
	}
	d := describe(first, preferred, t.start, telehealth, location, practice, phone, zone)
	t.view = LinkView{FirstName: d.FirstName, When: d.When, Where: d.Where, PracticeName: d.PracticeName, PracticePhone: d.PracticePhone,
		Status: t.status, Group: t.group, CanConfirm: t.status == scheduling.Scheduled && !t.group, CanCancel: t.status.Open() && !t.group}
	return t, nil
}

// OpenLink verifies a link and describes its appointment, recording the view
// in the audit log. Opening changes nothing: mail scanners fetch links.
// Errors: ErrLinkInvalid, ErrLinkExpired, internal.
func (s *Service) OpenLink(ctx context.Context, meta access.Actor, token string) (LinkView, error) {
	t, err := s.target(ctx, token)
	if err != nil {
		return LinkView{}, err
	}
	v := t.view
	switch {
	case t.status == scheduling.Cancelled:
		v.LateCancel, v.FeeCents = t.lateCancel, t.feeCents
	case v.CanCancel:
		late, fee, err := s.sched.FeePreview(ctx, scheduling.Appointment{Start: t.start}, scheduling.Cancelled, "client")
		if err != nil {
			return LinkView{}, err
		}
		v.LateCancel, v.FeeCents = late, fee
		p, err := s.sched.Policy(ctx, linkActor(meta))
		if err != nil {
			return LinkView{}, err
		}
		v.LateCancelHours = p.LateCancelHours
	}
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "appointment", ObjectID: audit.ObjectIDOf(t.AppointmentID), ClientID: t.ClientID,
		Detail: "reminder link opened"}
	if err := s.audit.RecordAlone(ctx, linkActor(meta), ev); err != nil {
		return LinkView{}, wrap(err)
	}
	return v, nil
}

// ConfirmByLink confirms the appointment for the client holding the link.
// Confirming twice is harmless. Errors: ErrLinkInvalid, ErrLinkExpired,
// conflict (cancelled, already started, a group session), internal.
func (s *Service) ConfirmByLink(ctx context.Context, meta access.Actor, token string) error {
	t, err := s.target(ctx, token)
	if err != nil {
		return err
	}
	if t.group {
		return apperr.Conflict("A group session is confirmed by the practice. Call us if you cannot come.")
	}
	if t.status == scheduling.Confirmed {
		return nil
	}
	if !t.status.Open() {
		return apperr.Conflict("This appointment can no longer be confirmed.")
	}
	_, err = s.sched.SetStatus(ctx, linkActor(meta), t.AppointmentID, scheduling.StatusChange{To: scheduling.Confirmed, Reason: "Confirmed from reminder link"})
	return err
}

// CancelReason is the reason recorded on appointments cancelled by link.
const CancelReason = "Cancelled from reminder link"

// CancelByLink cancels the appointment for the client holding the link, as a
// cancellation by the client under the practice's late-cancel window. The
// client must have been shown the fee: when cancelling now costs more than
// feeShownCents (the window opened while the page sat in the browser),
// nothing is cancelled and a conflict says so. Errors: ErrLinkInvalid,
// ErrLinkExpired, conflict, internal.
func (s *Service) CancelByLink(ctx context.Context, meta access.Actor, token string, feeShownCents int64) (scheduling.StatusResult, error) {
	t, err := s.target(ctx, token)
	if err != nil {
		return scheduling.StatusResult{}, err
	}
	if t.group {
		return scheduling.StatusResult{}, apperr.Conflict("To cancel a group session, call the practice.")
	}
	if t.status == scheduling.Cancelled {
		return scheduling.StatusResult{IDs: []int64{t.AppointmentID}, LateCancel: t.lateCancel, FeeCents: t.feeCents}, nil
	}
	if !t.status.Open() {
		return scheduling.StatusResult{}, apperr.Conflict("This appointment can no longer be cancelled here. Call the practice.")
	}
	_, fee, err := s.sched.FeePreview(ctx, scheduling.Appointment{Start: t.start}, scheduling.Cancelled, "client")
	if err != nil {
		return scheduling.StatusResult{}, err
	}
	if fee > feeShownCents {
		return scheduling.StatusResult{}, apperr.Conflict(fmt.Sprintf("Cancelling now is a late cancellation with a fee of %s. Read the page again and cancel if you still want to.", Money(fee)))
	}
	return s.sched.SetStatus(ctx, linkActor(meta), t.AppointmentID, scheduling.StatusChange{To: scheduling.Cancelled, CancelledBy: "client", Reason: CancelReason})
}

// Money formats cents as dollars, e.g. $50.00.
func Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s$%d.%02d", sign, cents/100, cents%100)
}
