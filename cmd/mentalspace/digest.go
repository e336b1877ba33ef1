package main

import (
	"context"
	"fmt"

	"github.com/mentalspace/mentalspace/internal/notes"
	"github.com/mentalspace/mentalspace/internal/platform/jobs"
	"github.com/mentalspace/mentalspace/internal/reminders"
)

// newDigest registers the daily documentation digest with runner: an hourly
// job that emails each clinician, associate and supervisor with
// documentation due one summary of counts a day. It reuses the reminders'
// SMTP settings and stays off while they are not set.
func newDigest(e *env, runner *jobs.Runner) error {
	cfg := e.cfg
	if cfg.SMTPHost == "" {
		e.log.Info("documentation digest", "email", false)
		return nil
	}
	m, err := reminders.NewSMTPMailer(reminders.MailConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword.Reveal(), From: cfg.SMTPFrom, TLS: cfg.SMTPTLS})
	if err != nil {
		return fmt.Errorf("documentation digest: %w", err)
	}
	base := cfg.PublicURL
	if base == "" {
		scheme := "http"
		if cfg.TLS() {
			scheme = "https"
		}
		base = scheme + "://" + cfg.Addr
	}
	send := notes.MailerFunc(func(ctx context.Context, to, subject, text string) error {
		_, err := m.SendEmail(ctx, reminders.EmailMessage{To: to, Subject: subject, Text: text})
		return err
	})
	jobs.AddWorker(runner, &notes.DigestWorker{Digest: notes.NewDigest(e.notes, send, base, e.log)})
	runner.AddPeriodic(notes.DigestEvery, notes.DigestArgs{})
	e.log.Info("documentation digest", "email", true, "hour", notes.DigestHour)
	return nil
}
