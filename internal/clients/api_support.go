package clients

import (
	"context"
	"database/sql"
	"errors"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/audit"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
)

// PayerFilter pages the payer directory by id.
type PayerFilter struct {
	AfterID int64 // only payers with a greater id
	Limit   int   // at most this many; 0 means 100
}

const payerColumns = `id, name, electronic_id, claim_filing_indicator, address_line1, address_line2, city, state,
	postal_code, phone, active, version`

type rowScanner interface{ Scan(dest ...any) error }

func scanPayer(r rowScanner) (Payer, error) {
	var p Payer
	err := r.Scan(&p.ID, &p.Name, &p.ElectronicID, &p.ClaimFilingIndicator, &p.Address.Line1, &p.Address.Line2, &p.Address.City,
		&p.Address.State, &p.Address.PostalCode, &p.Phone, &p.Active, &p.Version)
	return p, err
}

// FindPayers pages through the payer directory in id order, for the API,
// where the directory may grow past one page. Like Payers, the directory
// holds no client data, so only a refusal is audited. Any staff member who
// may read insurance. Errors: forbidden.
func (s *Service) FindPayers(ctx context.Context, a access.Actor, f PayerFilter) ([]Payer, error) {
	if _, err := s.audit.Authorize(ctx, a, access.PermInsuranceRead, access.Target{}, audit.Event{Action: audit.ActionRead, ObjectType: "payer"}); err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+payerColumns+` FROM payers WHERE id > $1 ORDER BY id LIMIT $2`, f.AfterID, f.Limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []Payer{}
	for rows.Next() {
		p, err := scanPayer(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, p)
	}
	return out, wrap(rows.Err())
}

// Payer returns one payer of the directory. Any staff member who may read
// insurance. Errors: forbidden, not_found.
func (s *Service) Payer(ctx context.Context, a access.Actor, id int64) (Payer, error) {
	ev := audit.Event{Action: audit.ActionRead, ObjectType: "payer", ObjectID: audit.ObjectIDOf(id)}
	if _, err := s.audit.Authorize(ctx, a, access.PermInsuranceRead, access.Target{}, ev); err != nil {
		return Payer{}, err
	}
	p, err := scanPayer(s.db.Read().QueryRowContext(ctx, `SELECT `+payerColumns+` FROM payers WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Payer{}, apperr.NotFound("payer")
	}
	return p, wrap(err)
}

// Today is the practice's date now (YYYY-MM-DD), the day against which
// consent states and authorisation warnings are judged.
func (s *Service) Today() string { return s.today() }
