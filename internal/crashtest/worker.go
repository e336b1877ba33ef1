package crashtest

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mentalspace/mentalspace/internal/gen"
)

// worker is one clinician writing through the API: bookings on their own
// calendar, each on a slot nobody has used, now and then a booking that
// deliberately clashes with one of theirs, and notes taken from draft to
// signature. It lives across cycles; each cycle runs it in one goroutine.
type worker struct {
	h           *harness
	clinicianID int64
	email       string
	token       string
	clients     []int64
	// first is the start of the worker's stretch of calendar, slots its
	// length; next is the next slot never asked for. Slots are never
	// reused: a booking that got no answer may have committed.
	first  time.Time
	slots  int
	next   int
	booked []Booking
}

// reportFunc records a problem, unless the server is being killed.
type reportFunc func(format string, args ...any)

// run writes until ctx ends or a request fails.
func (w *worker) run(ctx context.Context, c *Client, rng *rand.Rand, report reportFunc) {
	for ctx.Err() == nil {
		var ok bool
		switch p := rng.IntN(100); {
		case p < 55:
			ok = w.book(ctx, c, report)
		case p < 65 && len(w.booked) > 0:
			ok = w.clash(ctx, c, rng, report)
		default:
			ok = w.note(ctx, c, rng, report)
		}
		if !ok {
			return
		}
	}
}

type appointmentAnswer struct {
	Appointment struct {
		ID          int64     `json:"id"`
		ClinicianID int64     `json:"clinician_id"`
		Start       time.Time `json:"start"`
		End         time.Time `json:"end"`
		Clients     []struct {
			ClientID int64 `json:"client_id"`
		} `json:"clients"`
	} `json:"appointment"`
}

func (w *worker) booking(client int64, start time.Time) map[string]any {
	return map[string]any{"clinician_id": w.clinicianID, "client_ids": []int64{client}, "type_id": w.h.typeID, "telehealth": true,
		"start": start.Format(time.RFC3339), "minutes": int(slot / time.Minute)}
}

// book books the next free slot; it must succeed.
func (w *worker) book(ctx context.Context, c *Client, report reportFunc) bool {
	if w.next >= w.slots {
		report("clinician %d has used every slot of the stretch", w.clinicianID)
		return false
	}
	k := w.next
	w.next++
	start := w.first.Add(time.Duration(k) * slot)
	client := w.clients[k%len(w.clients)]
	var res appointmentAnswer
	status, body, err := c.Do(ctx, "POST", "/api/v1/appointments", w.booking(client, start), &res)
	switch {
	case err != nil:
		report("book: %v", err)
		return false
	case status != http.StatusCreated:
		report("book clinician %d at %s (a free slot): %d %s", w.clinicianID, start.Format(time.RFC3339), status, body)
		return false
	}
	ap := res.Appointment
	if ap.ID == 0 || ap.ClinicianID != w.clinicianID || !ap.Start.Equal(start) || len(ap.Clients) != 1 || ap.Clients[0].ClientID != client {
		report("booking answered with something else than was booked: %s", body)
		return false
	}
	b := Booking{ID: ap.ID, ClinicianID: w.clinicianID, ClientID: client, Start: start, End: start.Add(slot)}
	w.h.ledger.Booked(b)
	w.booked = append(w.booked, b)
	return true
}

// clash books another client over one of the clinician's acknowledged
// appointments; the server must refuse it (409).
func (w *worker) clash(ctx context.Context, c *Client, rng *rand.Rand, report reportFunc) bool {
	b := w.booked[rng.IntN(len(w.booked))]
	// Part of the way into the booked slot: an overlap, not the same start.
	start := b.Start.Add(time.Duration(rng.IntN(int(slot/time.Minute))) * time.Minute)
	// Another of the clinician's clients: the clash is the clinician's.
	other := w.clients[(slices.Index(w.clients, b.ClientID)+1+rng.IntN(len(w.clients)-1))%len(w.clients)]
	var res appointmentAnswer
	status, body, err := c.Do(ctx, "POST", "/api/v1/appointments", w.booking(other, start), &res)
	switch {
	case err != nil:
		report("clashing booking: %v", err)
		return false
	case status == http.StatusCreated:
		report("double booking accepted: clinician %d at %s over appointment %d, answered appointment %d", w.clinicianID,
			start.Format(time.RFC3339), b.ID, res.Appointment.ID)
		return false
	case status != http.StatusConflict:
		report("clashing booking over appointment %d: %d %s, want 409", b.ID, status, body)
		return false
	}
	w.h.ledger.Refused()
	return true
}

// noteAnswer is the API's note, as far as the harness reads it.
type noteAnswer struct {
	ID          int64             `json:"id"`
	AuthorID    int64             `json:"author_id"`
	Status      string            `json:"status"`
	Body        map[string]string `json:"body"`
	ContentHash string            `json:"content_hash"`
	Version     int64             `json:"version"`
}

var words = strings.Fields(`client reports improved sleep and fewer intrusive thoughts since last contact discussed coping plan with
	spouse by phone agreed to continue weekly sessions reviewed safety plan no current risk identified collateral contact with
	school counselor regarding attendance and mood mother called to reschedule and shared concerns about appetite`)

// note takes a contact note from draft to signature; one in five stays a
// saved draft.
func (w *worker) note(ctx context.Context, c *Client, rng *rand.Rand, report reportFunc) bool {
	client := w.clients[rng.IntN(len(w.clients))]
	var n noteAnswer
	status, body, err := c.Do(ctx, "POST", "/api/v1/notes", map[string]any{"client_id": client, "template_id": w.h.templateID}, &n)
	switch {
	case err != nil:
		report("create note: %v", err)
		return false
	case status != http.StatusCreated || n.ID == 0 || n.Status != "draft":
		report("create note for client %d: %d %s", client, status, body)
		return false
	}
	w.h.ledger.Note(NoteAck{ID: n.ID, AuthorID: w.clinicianID, Step: NoteCreated, Version: n.Version})

	text := make([]string, 20+rng.IntN(200))
	for i := range text {
		text[i] = words[rng.IntN(len(words))]
	}
	fields := map[string]string{"contact_with": fmt.Sprintf("collateral %d", rng.IntN(1000)), "method": "Phone", "summary": strings.Join(text, " ")}
	var saved noteAnswer
	status, body, err = c.Do(ctx, "PUT", "/api/v1/notes/"+strconv.FormatInt(n.ID, 10), map[string]any{"body": fields, "version": n.Version}, &saved)
	switch {
	case err != nil:
		report("save note %d: %v", n.ID, err)
		return false
	case status != http.StatusOK || saved.Version != n.Version+1 || !maps.Equal(saved.Body, fields):
		report("save note %d at version %d: %d %s", n.ID, n.Version, status, body)
		return false
	}
	w.h.ledger.Note(NoteAck{ID: n.ID, AuthorID: w.clinicianID, Step: NoteSaved, Version: saved.Version, Body: fields})
	if rng.IntN(5) == 0 {
		return true
	}

	var signed noteAnswer
	status, body, err = c.Do(ctx, "POST", "/api/v1/notes/"+strconv.FormatInt(n.ID, 10)+"/sign",
		map[string]any{"password": gen.Password, "version": saved.Version, "attest": true}, &signed)
	switch {
	case err != nil:
		report("sign note %d: %v", n.ID, err)
		return false
	case status != http.StatusOK || signed.Status != "signed" || len(signed.ContentHash) != 64:
		report("sign note %d at version %d: %d %s", n.ID, saved.Version, status, body)
		return false
	}
	w.h.ledger.Note(NoteAck{ID: n.ID, AuthorID: w.clinicianID, Step: NoteSigned, Version: signed.Version, Body: fields, Hash: signed.ContentHash})
	return true
}

// verifyThroughAPI reads back, on the restarted server, every note whose
// acknowledged state changed since the last check: the body as saved, the
// status and version as acknowledged (or one step on, when a later request
// committed without an answer), and for signed notes the content hash,
// recomputed by GET /notes/{id}/verify.
func (h *harness) verifyThroughAPI(ctx context.Context, srv *Server, n int) {
	touched := h.ledger.Touched()
	if len(touched) == 0 {
		return
	}
	hc := NewHTTPClient(1)
	defer hc.CloseIdleConnections()
	clients := map[int64]*Client{}
	for _, w := range h.workers {
		clients[w.clinicianID] = &Client{HTTP: hc, BaseURL: srv.URL, Token: w.token}
	}
	lost := func(format string, args ...any) {
		h.findings = append(h.findings, Finding{Lost: true, Detail: fmt.Sprintf("cycle %d (API): ", n) + fmt.Sprintf(format, args...)})
	}
	for _, ack := range touched {
		c := clients[ack.AuthorID]
		path := "/api/v1/notes/" + strconv.FormatInt(ack.ID, 10)
		var got noteAnswer
		status, body, err := c.Do(ctx, "GET", path, nil, &got)
		if err != nil || status != http.StatusOK {
			lost("note %d, acknowledged %s: GET answered %d %s %v", ack.ID, ack.Step, status, body, err)
			continue
		}
		same := maps.Equal(got.Body, ack.Body) || (len(got.Body) == 0 && len(ack.Body) == 0)
		ok := false
		switch ack.Step {
		case NoteCreated:
			ok = got.Status == "draft" && (got.Version == ack.Version && len(got.Body) == 0 || got.Version == ack.Version+1)
		case NoteSaved:
			ok = same && (got.Status == "draft" && got.Version == ack.Version || got.Status == "signed" && got.Version == ack.Version+1)
		case NoteSigned:
			ok = same && got.Status == "signed" && got.Version == ack.Version && got.ContentHash == ack.Hash
		}
		if !ok {
			lost("note %d, acknowledged %s at version %d, reads %s at version %d (body as acknowledged: %v)", ack.ID, ack.Step, ack.Version,
				got.Status, got.Version, same)
			continue
		}
		if got.Status != "signed" {
			continue
		}
		var v struct {
			Signed  bool `json:"signed"`
			Matches bool `json:"matches"`
		}
		status, body, err = c.Do(ctx, "GET", path+"/verify", nil, &v)
		if err != nil || status != http.StatusOK || !v.Signed || !v.Matches {
			lost("signed note %d does not verify: %d %s %v", ack.ID, status, body, err)
		}
	}
}
