package gen

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// tableSpec is a table the generator fills and the columns it writes. The
// list is in foreign-key order: a batch is written table by table in this
// order, so every row it references is already there.
type tableSpec struct {
	name string
	cols []string
	// seq is set when the table's id comes from an identity sequence that
	// PostgreSQL must be told about after ids were given explicitly.
	seq bool
}

var tables = []tableSpec{
	{"locations", []string{"id", "name", "address_line1", "city", "state", "postal_code", "place_of_service", "active", "created_at", "updated_at"}, true},
	{"users", []string{"id", "email", "name", "credentials", "npi", "status", "password_hash", "password_changed_at", "created_at", "updated_at"}, true},
	{"user_roles", []string{"user_id", "role"}, false},
	{"supervision", []string{"supervisor_id", "supervisee_id", "is_primary", "starts_on"}, false},
	{"rooms", []string{"id", "location_id", "name", "active", "created_at"}, true},
	{"appointment_types", []string{"id", "name", "duration_minutes", "service_code", "color", "kind", "capacity", "telehealth_allowed",
		"online_bookable", "active", "created_at", "updated_at"}, true},
	{"availability", []string{"clinician_id", "location_id", "weekday", "start_minute", "end_minute", "created_at"}, true},
	{"payers", []string{"id", "name", "electronic_id", "claim_filing_indicator", "address_line1", "city", "state", "postal_code", "phone",
		"created_at", "updated_at"}, true},
	{"clients", ClientColumns, true},
	{"client_phones", PhoneColumns, true},
	{"client_care_team", CareTeamColumns, false},
	{"client_relations", []string{"client_id", "related_id", "kind"}, false},
	{"client_contacts", []string{"id", "client_id", "kind", "name", "relationship", "phone", "email", "address", "birth_date", "created_at"}, true},
	{"client_consents", []string{"id", "client_id", "kind", "signed_date", "expires_date", "recipient", "purpose", "scope", "part2",
		"recorded_by", "created_at"}, true},
	{"client_alerts", []string{"id", "client_id", "kind", "text", "created_by", "created_at"}, true},
	{"insurance_policies", []string{"id", "client_id", "payer_id", "rank", "relationship", "subscriber_first", "subscriber_last",
		"subscriber_birth", "subscriber_sex", "subscriber_address", "member_id", "group_number", "plan_name", "effective_date",
		"copay_cents", "coinsurance_bp", "deductible_cents", "active", "created_at", "updated_at"}, true},
	{"waitlist", []string{"id", "client_id", "days", "earliest_minute", "latest_minute", "modality", "urgency", "note", "status",
		"added_by", "created_at", "updated_at"}, true},
	{"appointment_series", []string{"id", "rrule", "time_zone", "created_by", "created_at"}, true},
	{"appointments", []string{"id", "series_id", "clinician_id", "type_id", "location_id", "room_id", "telehealth", "video_url",
		"starts_at", "ends_at", "status", "blocks", "cancelled_by", "late_cancel", "fee_cents", "status_reason", "checked_in_at",
		"checked_out_at", "capacity", "front_desk_note", "version", "created_by", "created_at", "updated_at"}, true},
	{"appointment_clients", []string{"appointment_id", "client_id", "attendance", "starts_at"}, false},
	{"appointment_events", []string{"appointment_id", "from_status", "to_status", "reason", "user_id", "at"}, true},
	{"diagnoses", []string{"id", "client_id", "code", "title", "rank", "onset", "status", "added_by", "created_at", "updated_at"}, true},
	{"diagnosis_history", []string{"diagnosis_id", "change", "code", "rank", "status", "onset", "resolved", "user_id", "at"}, true},
	{"medications", []string{"id", "client_id", "name", "dose", "frequency", "prescriber", "start_date", "added_by", "created_at", "updated_at"}, true},
	{"notes", []string{"id", "client_id", "kind", "template_id", "author_id", "appointment_id", "group_key", "status", "body",
		"service_code", "starts_at", "ends_at", "place_of_service", "diagnosis_ids", "content_hash", "signed_by", "signed_name",
		"signed_at", "supervisor_id", "cosigned_by", "cosigned_name", "cosigned_at", "version", "created_at", "updated_at"}, true},
	{"risk_assessments", []string{"id", "client_id", "risk_level", "body", "assessed_by", "assessed_at"}, true},
	{"audit_log", audit.Columns, false},
}

// Tables lists the tables Run fills, in the order it writes them.
func Tables() []string {
	out := make([]string, 0, len(tables)+4)
	for _, t := range tables {
		out = append(out, t.name)
	}
	// Written outside the batches: one row each, or by other packages.
	return append(out, "practice", "note_templates", "data_keys", "audit_head")
}

// loader buffers generated rows per table and writes them in batches with
// db.BulkInsert (COPY on PostgreSQL) on a goroutine of its own, so that
// generating the next batch overlaps writing the last.
type loader struct {
	rows   [][][]any // by index into tables
	index  map[string]int
	n      int // rows buffered
	limit  int
	counts []int64 // rows handed to the writer, per table
	total  int64
	ch     chan [][][]any
	done   chan struct{}
	failed atomic.Pointer[error] // the writer's first error
}

func newLoader(ctx context.Context, d *db.DB) *loader {
	l := &loader{rows: make([][][]any, len(tables)), index: map[string]int{}, limit: 40_000,
		counts: make([]int64, len(tables)), ch: make(chan [][][]any, 1), done: make(chan struct{})}
	for i, t := range tables {
		l.index[t.name] = i
	}
	go func() {
		defer close(l.done)
		for batch := range l.ch {
			if l.failed.Load() != nil {
				continue // drain
			}
			for i, rows := range batch {
				if len(rows) == 0 {
					continue
				}
				if err := d.BulkInsert(ctx, tables[i].name, tables[i].cols, rows); err != nil {
					err = fmt.Errorf("load %s: %w", tables[i].name, err)
					l.failed.Store(&err)
					break
				}
			}
		}
	}()
	return l
}

// add buffers one row of table.
func (l *loader) add(table string, row ...any) {
	i, ok := l.index[table]
	if !ok {
		panic("gen: no table " + table)
	}
	if len(row) != len(tables[i].cols) {
		panic(fmt.Sprintf("gen: %d values for %d columns of %s", len(row), len(tables[i].cols), table))
	}
	l.rows[i] = append(l.rows[i], row)
	l.n++
}

// full reports whether a batch is ready.
func (l *loader) full() bool { return l.n >= l.limit }

func (l *loader) err() error {
	if p := l.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// flush hands the buffered rows to the writer, waiting while it is still
// busy with the batch before last.
func (l *loader) flush(ctx context.Context) error {
	if err := l.err(); err != nil {
		return err
	}
	if l.n == 0 {
		return nil
	}
	for i, rows := range l.rows {
		l.counts[i] += int64(len(rows))
	}
	l.total += int64(l.n)
	select {
	case l.ch <- l.rows:
	case <-ctx.Done():
		return ctx.Err()
	}
	l.rows, l.n = make([][][]any, len(tables)), 0
	return nil
}

// close writes what is left, waits for the writer and returns its error.
// It must be called exactly once.
func (l *loader) close(ctx context.Context) error {
	err := l.flush(ctx)
	close(l.ch)
	<-l.done
	if werr := l.err(); werr != nil {
		return werr
	}
	return err
}

// abort stops the writer without writing what is buffered; instead of close.
func (l *loader) abort() {
	close(l.ch)
	<-l.done
}
