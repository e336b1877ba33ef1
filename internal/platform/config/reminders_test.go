package config

import (
	"strings"
	"testing"
)

func TestRemindersOffByDefault(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPHost != "" || c.SMSURL != "" || c.SMTPPort != 587 || c.SMTPTLS != "starttls" {
		t.Errorf("reminder defaults = host %q sms %q port %d tls %q", c.SMTPHost, c.SMSURL, c.SMTPPort, c.SMTPTLS)
	}
}

func TestRemindersConfigured(t *testing.T) {
	env := map[string]string{
		"MENTALSPACE_PUBLIC_URL":      "https://ehr.example.org",
		"MENTALSPACE_SMTP_HOST":       "smtp.example.org",
		"MENTALSPACE_SMTP_USERNAME":   "mailer",
		"MENTALSPACE_SMTP_PASSWORD":   "smtp-hunter2secret",
		"MENTALSPACE_SMTP_FROM":       "Test Practice <reminders@example.org>",
		"MENTALSPACE_SMS_URL":         "https://api.twilio.com",
		"MENTALSPACE_SMS_ACCOUNT_SID": "AC123",
		"MENTALSPACE_SMS_AUTH_TOKEN":  "sms-hunter2secret",
		"MENTALSPACE_SMS_FROM":        "+15551234567",
	}
	c, err := parse(t, []string{"--smtp-tls", "tls", "--smtp-port", "465"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPPassword.Reveal() != "smtp-hunter2secret" || c.SMSAuthToken.Reveal() != "sms-hunter2secret" || c.SMTPPort != 465 || c.SMTPTLS != "tls" {
		t.Errorf("config = %+v", c)
	}
	s := c.String()
	for _, secret := range []string{"smtp-hunter2secret", "sms-hunter2secret"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() = %q reveals %q", s, secret)
		}
	}
	if !strings.Contains(s, "smtp-host=smtp.example.org") || !strings.Contains(s, "sms-from=+15551234567") {
		t.Errorf("String() = %q hides the settings an operator needs", s)
	}
}

func TestRemindersInvalid(t *testing.T) {
	base := map[string]string{
		"MENTALSPACE_PUBLIC_URL": "https://ehr.example.org",
		"MENTALSPACE_SMTP_FROM":  "reminders@example.org",
	}
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"TLSMode":              {[]string{"--smtp-host", "smtp.example.org", "--smtp-tls", "sometimes"}, nil},
		"Port":                 {[]string{"--smtp-host", "smtp.example.org", "--smtp-port", "0"}, nil},
		"NoFrom":               {[]string{"--smtp-host", "smtp.example.org", "--smtp-from", ""}, nil},
		"UserWithoutPassword":  {[]string{"--smtp-host", "smtp.example.org", "--smtp-username", "u"}, nil},
		"PasswordInClear":      {[]string{"--smtp-host", "smtp.example.org", "--smtp-tls", "none", "--smtp-username", "u"}, map[string]string{"MENTALSPACE_SMTP_PASSWORD": "p"}},
		"NoPublicURL":          {[]string{"--smtp-host", "smtp.example.org", "--public-url", ""}, nil},
		"SMSPlainHTTP":         {[]string{"--sms-url", "http://api.twilio.com", "--sms-account-sid", "AC1", "--sms-from", "+15551234567"}, map[string]string{"MENTALSPACE_SMS_AUTH_TOKEN": "t"}},
		"SMSNoToken":           {[]string{"--sms-url", "https://api.twilio.com", "--sms-account-sid", "AC1", "--sms-from", "+15551234567"}, nil},
		"SMSFromNotE164":       {[]string{"--sms-url", "https://api.twilio.com", "--sms-account-sid", "AC1", "--sms-from", "555-123-4567"}, map[string]string{"MENTALSPACE_SMS_AUTH_TOKEN": "t"}},
		"SMSNoAccount":         {[]string{"--sms-url", "https://api.twilio.com", "--sms-from", "+15551234567"}, map[string]string{"MENTALSPACE_SMS_AUTH_TOKEN": "t"}},
		"SMSURLWithQuery":      {[]string{"--sms-url", "https://api.twilio.com/?x=1", "--sms-account-sid", "AC1", "--sms-from", "+15551234567"}, map[string]string{"MENTALSPACE_SMS_AUTH_TOKEN": "t"}},
		"SMTPPortNotANumber":   {[]string{"--smtp-host", "smtp.example.org"}, map[string]string{"MENTALSPACE_SMTP_PORT": "many"}},
		"SMTPFromNotAnAddress": {[]string{"--smtp-host", "smtp.example.org", "--smtp-from", "reminders"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			if _, err := parse(t, tc.args, env); err == nil {
				t.Errorf("%v %v accepted", tc.args, tc.env)
			}
		})
	}
	// Plain SMTP without a password, and a plain-HTTP SMS API on loopback
	// (a local test double), are allowed.
	ok := map[string]string{"MENTALSPACE_SMS_AUTH_TOKEN": "t"}
	for k, v := range base {
		ok[k] = v
	}
	if _, err := parse(t, []string{"--smtp-host", "relay.internal", "--smtp-tls", "none", "--sms-url", "http://127.0.0.1:9999", "--sms-account-sid", "AC1", "--sms-from", "+15551234567"}, ok); err != nil {
		t.Errorf("plain relay and loopback SMS refused: %v", err)
	}
}
