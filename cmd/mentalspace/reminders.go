package main

import (
	"fmt"

	"github.com/mentalspace/mentalspace/internal/platform/jobs"
	"github.com/mentalspace/mentalspace/internal/reminders"
)

// newReminders builds the reminders service from the configuration, hooks it
// into scheduling (so every booking, move and status change keeps its
// reminders in step, in the same transaction) and registers its worker with
// runner. Email and texts stay off until their servers are configured; the
// reminders of a channel that is off are recorded as not sent, with why.
func newReminders(e *env, runner *jobs.Runner) (*reminders.Service, error) {
	cfg := e.cfg
	d := reminders.Deps{DB: e.db, Clock: e.clock, Audit: e.audit, Scheduling: e.schedule, Log: e.log, Queue: runner,
		LinkKey: e.linkKey, BaseURL: cfg.PublicURL}
	if d.BaseURL == "" {
		scheme := "http"
		if cfg.TLS() {
			scheme = "https"
		}
		d.BaseURL = scheme + "://" + cfg.Addr
	}
	if cfg.SMTPHost != "" {
		m, err := reminders.NewSMTPMailer(reminders.MailConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword.Reveal(), From: cfg.SMTPFrom, TLS: cfg.SMTPTLS})
		if err != nil {
			return nil, fmt.Errorf("email reminders: %w", err)
		}
		d.Mailer = m
	}
	if cfg.SMSURL != "" {
		t, err := reminders.NewTwilioTexter(reminders.TextConfig{BaseURL: cfg.SMSURL, AccountSID: cfg.SMSAccountSID,
			AuthToken: cfg.SMSAuthToken.Reveal(), From: cfg.SMSFrom})
		if err != nil {
			return nil, fmt.Errorf("text reminders: %w", err)
		}
		d.Texter = t
	}
	svc, err := reminders.NewService(d)
	if err != nil {
		return nil, err
	}
	e.schedule.AddHook(svc)
	jobs.AddWorker(runner, &reminders.SendWorker{Service: svc})
	e.log.Info("reminders", "email", d.Mailer != nil, "sms", d.Texter != nil)
	return svc, nil
}
