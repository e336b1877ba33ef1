package auth

import (
	"context"
	"strings"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/db"
)

// Signer is who signs a document: the name and credentials printed in the
// signature block.
type Signer struct {
	UserID      int64
	Name        string
	Credentials string
}

// ConfirmIdentity re-checks a signed-in user before a signature: their
// password, or (when they use one) a current authenticator code. Wrong
// tries are throttled like sign-ins. Errors: invalid, unauthorized.
func (s *Service) ConfirmIdentity(ctx context.Context, a access.Actor, password, code string) (Signer, error) {
	if a.System {
		return Signer{}, apperr.Forbidden()
	}
	u, err := findUser(ctx, s.db.Read(), a.UserID, "")
	if err != nil {
		return Signer{}, wrap(err)
	}
	signer := Signer{UserID: u.ID, Name: u.Name, Credentials: u.Credentials}
	code = strings.TrimSpace(code)
	if password == "" && code != "" && u.TOTPEnabled {
		secret, err := s.sealer.Decrypt(ctx, u.totpSecret, SecretAAD(u.ID))
		if err != nil {
			return Signer{}, apperr.Internal(err)
		}
		step := matchStep(string(secret), code, s.clock.Now(), u.totpLastStep)
		bad := apperr.Invalid("Please correct the highlighted fields.", map[string]string{"code": "That code did not work. Enter the current 6-digit code."})
		if step == 0 {
			return Signer{}, bad
		}
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, u.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return bad
			}
			return nil
		})
		return signer, wrap(err)
	}
	if password == "" {
		return Signer{}, apperr.Invalid("Please correct the highlighted fields.", map[string]string{"password": "Enter your password to sign."})
	}
	if err := s.recheckPassword(ctx, a, u, password); err != nil {
		return Signer{}, err
	}
	return signer, nil
}
