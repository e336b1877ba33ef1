package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TextConfig says how to reach a Twilio-compatible SMS API.
type TextConfig struct {
	// BaseURL is the API's root, e.g. https://api.twilio.com.
	BaseURL    string
	AccountSID string
	AuthToken  string
	// From is the sending number in E.164 form.
	From string
	// Client makes the requests; nil means a client with a 30-second timeout.
	Client *http.Client
}

// TwilioTexter sends texts with the Twilio Messages API (and the APIs that
// copy it): POST {base}/2010-04-01/Accounts/{sid}/Messages.json with the form
// fields To, From and Body, authenticated as sid:token.
type TwilioTexter struct {
	cfg      TextConfig
	endpoint string
}

// NewTwilioTexter checks cfg and returns the texter.
func NewTwilioTexter(cfg TextConfig) (*TwilioTexter, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("sms: the base URL is not an http(s) URL")
	}
	if cfg.AccountSID == "" || cfg.AuthToken == "" || cfg.From == "" {
		return nil, errors.New("sms: account SID, auth token and sending number are required")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	endpoint := strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
	return &TwilioTexter{cfg: cfg, endpoint: endpoint}, nil
}

// messageResponse is the part of the API's answer we read: the message's sid
// on success; code and message (or error_code and error_message on the
// message resource) on failure.
type messageResponse struct {
	SID          string  `json:"sid"`
	Status       string  `json:"status"`
	ErrorCode    *int    `json:"error_code"`
	ErrorMessage *string `json:"error_message"`
	Code         int     `json:"code"`
	Message      string  `json:"message"`
}

// SendText sends body to the E.164 number to and returns the message's sid.
// A refusal of the request itself (4xx other than 401, 403, 408 and 429, or a
// message created already failed) is Permanent; network errors, throttling,
// credential problems an operator can fix and 5xx may pass on a retry.
func (t *TwilioTexter) SendText(ctx context.Context, to, body string) (string, error) {
	form := url.Values{"To": {to}, "From": {t.cfg.From}, "Body": {body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", Permanent(fmt.Errorf("sms: %w", err))
	}
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := t.cfg.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("sms: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("sms: reading the answer: %w", err)
	}
	var r messageResponse
	jsonErr := json.Unmarshal(raw, &r)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		switch {
		case jsonErr != nil || r.SID == "":
			// Accepted, perhaps, but with no id we cannot know: retrying
			// could send twice, so this is final.
			return "", Permanent(fmt.Errorf("sms: HTTP %d without a message sid", resp.StatusCode))
		case r.ErrorCode != nil && *r.ErrorCode != 0:
			msg := ""
			if r.ErrorMessage != nil {
				msg = *r.ErrorMessage
			}
			return "", Permanent(fmt.Errorf("sms: message %s failed with code %d: %s", r.SID, *r.ErrorCode, msg))
		}
		return r.SID, nil
	}
	err = fmt.Errorf("sms: HTTP %d, code %d: %s", resp.StatusCode, r.Code, r.Message)
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return "", err
	}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		return "", Permanent(err)
	}
	return "", err
}
