package scheduling

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Feed is a calendar subscription: a secret address from which a calendar
// app (Google, Apple, Outlook) reads one clinician's appointments. Only the
// SHA-256 of its token is kept, so the address is shown once, when made.
type Feed struct {
	ID int64
	// FullNames shows clients' names instead of their initials.
	FullNames bool
	CreatedAt time.Time
}

// The feed's window and limits.
const (
	FeedPast  = 30 * 24 * time.Hour
	FeedAhead = 180 * 24 * time.Hour
	// MaxFeeds bounds a user's live feeds (phone, laptop, a spare).
	MaxFeeds = 5
	// feedTokenLen is the length of 32 random bytes in unpadded base64url.
	feedTokenLen = 43
)

// bookable reports whether a holds a role that has appointments of its own.
func bookable(a access.Actor) bool {
	return !a.System && slices.ContainsFunc(a.Roles, func(r access.Role) bool { return slices.Contains(access.CaseloadRoles, r) })
}

func hashFeedToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateFeed makes a calendar feed of the signed-in clinician's own
// appointments and returns its token in clear, once. Clinicians, associates
// and supervisors, for themselves. Errors: forbidden, invalid (MaxFeeds live
// feeds already).
func (s *Service) CreateFeed(ctx context.Context, a access.Actor, fullNames bool) (string, Feed, error) {
	ev := audit.Event{Action: audit.ActionCreate, ObjectType: "calendar_feed", Detail: "initials"}
	if fullNames {
		ev.Detail = "full names"
	}
	role, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, ev)
	if err != nil {
		return "", Feed{}, err
	}
	if !bookable(a) {
		// The roles allow reading calendars but hold no appointments of their own.
		denied := ev
		denied.Outcome, denied.Detail = audit.Denied, "not a clinician"
		if err := s.audit.RecordAlone(ctx, a, denied); err != nil {
			return "", Feed{}, wrap(err)
		}
		return "", Feed{}, apperr.Forbidden()
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", Feed{}, apperr.Internal(fmt.Errorf("feed token: %w", err))
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	f := Feed{FullNames: fullNames, CreatedAt: s.clock.Now()}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL`, a.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxFeeds {
			return apperr.Invalid(fmt.Sprintf("You have %d calendar feeds. Revoke one you no longer use, then make a new one.", n), nil)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO calendar_feeds (user_id, token_hash, full_names, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			a.UserID, hashFeedToken(token), fullNames, db.Micros(f.CreatedAt)).Scan(&f.ID); err != nil {
			return err
		}
		ev.Role, ev.ObjectID = role, audit.ObjectIDOf(f.ID)
		return s.audit.Record(ctx, tx, a, ev)
	})
	if err != nil {
		return "", Feed{}, wrap(err)
	}
	return token, f, nil
}

// Feeds lists the signed-in user's live calendar feeds, newest first.
// Errors: forbidden.
func (s *Service) Feeds(ctx context.Context, a access.Actor) ([]Feed, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "calendar_feed"}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, full_names, created_at FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC`, a.UserID)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []Feed
	for rows.Next() {
		var f Feed
		var created int64
		if err := rows.Scan(&f.ID, &f.FullNames, &created); err != nil {
			return nil, wrap(err)
		}
		f.CreatedAt = db.Time(created)
		out = append(out, f)
	}
	return out, wrap(rows.Err())
}

// RevokeFeed ends one of the signed-in user's feeds: its address answers 404
// from then on. Errors: forbidden, not_found.
func (s *Service) RevokeFeed(ctx context.Context, a access.Actor, id int64) error {
	ev := audit.Event{Action: audit.ActionDelete, ObjectType: "calendar_feed", ObjectID: audit.ObjectIDOf(id)}
	role, err := s.audit.Authorize(ctx, a, access.PermSelf, access.Target{}, ev)
	if err != nil {
		return err
	}
	return wrap(s.db.InTx(ctx, func(tx *db.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE calendar_feeds SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL`,
			db.Micros(s.clock.Now()), id, a.UserID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return apperr.NotFound("calendar feed")
		}
		ev.Role = role
		return s.audit.Record(ctx, tx, a, ev)
	}))
}

// RenderFeed answers a calendar app's fetch of token: the owner's
// appointments that hold their slot, from FeedPast ago to FeedAhead, as an
// RFC 5545 calendar in the practice's time zone. Clients appear as initials
// (names only if the owner chose so), never with clinical details. No one
// is signed in: the token stands for its owner, whose current roles and
// caseload apply, and each fetch is audited as the owner's read. meta
// carries the caller's address and request id; host names the UIDs.
// Errors: not_found (unknown, malformed or revoked token, disabled owner).
func (s *Service) RenderFeed(ctx context.Context, meta access.Actor, token, host string) ([]byte, error) {
	notFound := apperr.NotFound("calendar feed")
	if len(token) != feedTokenLen {
		return nil, notFound
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, notFound
	}
	want := hashFeedToken(token)
	var id, userID int64
	var stored string
	var fullNames bool
	// Looked up by the hash (which an attacker cannot steer), then compared in
	// constant time.
	err := s.db.Read().QueryRowContext(ctx, `SELECT f.id, f.user_id, f.token_hash, f.full_names FROM calendar_feeds f JOIN users u ON u.id = f.user_id
		WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND u.status = 'active'`, want).Scan(&id, &userID, &stored, &fullNames)
	if err == sql.ErrNoRows || (err == nil && subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1) {
		return nil, notFound
	}
	if err != nil {
		return nil, wrap(err)
	}
	a := access.Actor{UserID: userID, IP: meta.IP, UserAgent: meta.UserAgent, RequestID: meta.RequestID}
	if a.Roles, err = rolesOf(ctx, s.db.Read(), userID); err != nil {
		return nil, wrap(err)
	}
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "calendar_feed", ObjectID: audit.ObjectIDOf(id), Detail: "calendar feed"}
	role, err := s.audit.Authorize(ctx, a, access.PermScheduleRead, access.Target{}, ev)
	if err != nil {
		if apperr.Is(err, apperr.CodeForbidden) {
			return nil, notFound // the refusal is in the audit log
		}
		return nil, err
	}
	loc, err := s.Zone(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	var practice string
	if err := s.db.Read().QueryRowContext(ctx, `SELECT name FROM practice WHERE id = 1`).Scan(&practice); err != nil && err != sql.ErrNoRows {
		return nil, wrap(err)
	}
	now := s.clock.Now()
	from, to := now.Add(-FeedPast), now.Add(FeedAhead)
	aps, err := loadAppointments(ctx, s.db.Read(), `a.clinician_id = $1 AND a.blocks AND a.starts_at >= $2 AND a.starts_at < $3`,
		userID, db.Micros(from), db.Micros(to))
	if err != nil {
		return nil, wrap(err)
	}
	if _, err := hideClients(ctx, s.db.Read(), a, now, aps); err != nil {
		return nil, wrap(err)
	}
	cal := feedCalendar(feedInput{Appointments: aps, Zone: loc, Host: host, Practice: practice, FullNames: fullNames, Now: now, From: from, To: to})
	ev.Role = role
	if err := s.audit.RecordAlone(ctx, a, ev); err != nil {
		return nil, wrap(err)
	}
	return []byte(cal.Serialize(ics.WithNewLineWindows)), nil
}

func rolesOf(ctx context.Context, q db.Querier, userID int64) ([]access.Role, error) {
	rows, err := q.QueryContext(ctx, `SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Role
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, access.Role(r))
	}
	return out, rows.Err()
}

// feedInput is what a feed is drawn from.
type feedInput struct {
	Appointments []Appointment
	Zone         *time.Location
	Host         string
	Practice     string
	FullNames    bool
	Now          time.Time
	// From and To bound the appointments; the time zone's definition covers them.
	From, To time.Time
}

const (
	icalLocal = "20060102T150405"
	icalUTC   = "20060102T150405Z"
)

// feedCalendar draws the calendar: a VTIMEZONE for the practice zone, then
// one VEVENT per appointment with local DTSTART and DTEND under its TZID, so
// a 10:00 session reads 10:00 on both sides of a daylight-saving change.
func feedCalendar(in feedInput) *ics.Calendar {
	cal := ics.NewCalendarFor("MentalSpace")
	cal.SetProductId("-//MentalSpace//Appointments feed//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.MethodPublish)
	name := "MentalSpace appointments"
	if in.Practice != "" {
		name = in.Practice + " appointments"
	}
	cal.SetXWRCalName(name)
	cal.SetXWRTimezone(in.Zone.String())
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")
	cal.AddVTimezone(vtimezone(in.Zone, in.From, in.To))
	for _, ap := range in.Appointments {
		ev := cal.AddEvent(fmt.Sprintf("appointment-%d@%s", ap.ID, in.Host))
		ev.SetDtStampTime(in.Now)
		ev.SetCreatedTime(ap.CreatedAt)
		ev.SetModifiedAt(ap.UpdatedAt)
		ev.SetSequence(int(ap.Version))
		setZoned(&ev.ComponentBase, ics.ComponentPropertyDtStart, ap.Start, in.Zone)
		setZoned(&ev.ComponentBase, ics.ComponentPropertyDtEnd, ap.End, in.Zone)
		ev.SetSummary(feedSummary(ap, in.FullNames))
		if ap.Telehealth {
			ev.SetLocation("Video")
		} else if where := strings.Trim(ap.LocationName+", "+ap.RoomName, ", "); where != "" {
			ev.SetLocation(where)
		}
		ev.SetStatus(ics.ObjectStatusConfirmed)
		// Private: a calendar shared onward shows the slot as busy, not its summary.
		ev.SetClass(ics.ClassificationPrivate)
	}
	return cal
}

// feedSummary is the event's title: the clients' initials (or names) and the
// appointment type. Never a diagnosis or note; clients the owner may no
// longer see are left out.
func feedSummary(ap Appointment, fullNames bool) string {
	var who []string
	for _, c := range ap.Clients {
		switch {
		case c.Hidden:
		case fullNames:
			who = append(who, c.Name)
		default:
			who = append(who, c.Initials)
		}
	}
	if len(who) == 0 {
		return "Appointment · " + ap.TypeName
	}
	return strings.Join(who, ", ") + " · " + ap.TypeName
}

// setZoned writes t as a local time under the zone's TZID. A wall-clock time
// in the hour repeated when clocks fall back names two instants, and RFC 5545
// reads it as the first; the second is written in UTC instead.
func setZoned(c *ics.ComponentBase, p ics.ComponentProperty, t time.Time, loc *time.Location) {
	l := t.In(loc)
	_, off := l.Zone()
	if start, _ := l.ZoneBounds(); !start.IsZero() {
		_, prev := start.Add(-time.Second).Zone()
		if prev > off && l.Sub(start) < time.Duration(prev-off)*time.Second {
			c.SetProperty(p, t.UTC().Format(icalUTC))
			return
		}
	}
	c.SetProperty(p, l.Format(icalLocal), ics.WithTZID(loc.String()))
}

// vtimezone describes loc between from and to as RFC 5545 observances: the
// one in force at from, then each change up to to, read from Go's zone
// database (no RRULE is needed for a bounded window).
func vtimezone(loc *time.Location, from, to time.Time) *ics.VTimezone {
	tz := ics.NewTimezone(loc.String())
	t := from.In(loc)
	for {
		name, off := t.Zone()
		start, end := t.ZoneBounds()
		onset, prev := "19700101T000000", off
		if !start.IsZero() {
			_, prev = start.Add(-time.Second).Zone()
			// DTSTART of an observance is the local time before the change.
			onset = start.UTC().Add(time.Duration(prev) * time.Second).Format(icalLocal)
		}
		var c *ics.ComponentBase
		if t.IsDST() {
			d := &ics.Daylight{}
			tz.Components = append(tz.Components, d)
			c = &d.ComponentBase
		} else {
			c = &tz.AddStandard().ComponentBase
		}
		c.SetProperty(ics.ComponentPropertyDtStart, onset)
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(prev))
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(off))
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzname), name)
		if end.IsZero() || end.After(to) {
			return tz
		}
		t = end
	}
}

// utcOffset formats seconds east of UTC as RFC 5545's UTC-OFFSET: +hhmm[ss].
func utcOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec%3600/60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}
