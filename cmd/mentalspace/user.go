package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mentalspace/mentalspace/internal/access"
	"github.com/mentalspace/mentalspace/internal/auth"
	"github.com/mentalspace/mentalspace/internal/platform/apperr"
	"github.com/mentalspace/mentalspace/internal/platform/config"
	"github.com/mentalspace/mentalspace/internal/practice"
)

func cmdUser(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(s.err, "Usage: mentalspace user add|list|disable|reset-mfa [flags]   (each takes --help)")
		if len(args) == 0 {
			return errors.New("name a subcommand")
		}
		return errHelp
	}
	sub, args := args[0], args[1:]
	cfg := config.Default()
	var fs = newFlagSet("user "+sub, "", s)
	check := commonFlags(fs, &cfg, getenv)
	var email, name, roles, credentials, npi, practiceName *string
	switch sub {
	case "add":
		fs.Usage = usageFor(fs, s, "user add --email E --name N --role R[,R…] < password")
		email = fs.String("email", "", "sign-in email (required)")
		name = fs.String("name", "", "full name (required)")
		roles = fs.String("role", "", "roles, comma-separated: admin, clinician, associate, supervisor, frontdesk, biller (required)")
		credentials = fs.String("credentials", "", "credentials shown after the name, such as LCSW")
		npi = fs.String("npi", "", "10-digit NPI")
		practiceName = fs.String("practice", "My practice", "practice name, used when this is the first account (setup)")
	case "list":
		fs.Usage = usageFor(fs, s, "user list")
	case "disable", "reset-mfa":
		fs.Usage = usageFor(fs, s, "user "+sub+" --email E")
		email = fs.String("email", "", "the account's email (required)")
	default:
		return fmt.Errorf("unknown subcommand %q: use add, list, disable or reset-mfa", sub)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	if email != nil && *email == "" {
		return errors.New("--email is required")
	}
	e, err := open(ctx, cfg, s, true)
	if err != nil {
		return err
	}
	defer e.close()
	switch sub {
	case "add":
		rs, ok := access.ParseRoles(*roles)
		if !ok {
			return errors.New("--role must list one or more of admin, clinician, associate, supervisor, frontdesk, biller")
		}
		pw, err := readPassword(s.in)
		if err != nil {
			return err
		}
		return userAdd(ctx, e, s, auth.Profile{Email: *email, Name: *name, Credentials: *credentials, NPI: *npi, Roles: rs}, pw, *practiceName)
	case "list":
		return userList(ctx, e, s)
	case "disable":
		u, err := e.auth.FindByEmail(ctx, system(), *email)
		if err != nil {
			return describe(err)
		}
		if err := e.auth.SetStatus(ctx, system(), u.ID, auth.StatusDisabled); err != nil {
			return describe(err)
		}
		fmt.Fprintf(s.out, "disabled %s; their sessions and API tokens have ended\n", u.Email)
	case "reset-mfa":
		u, err := e.auth.FindByEmail(ctx, system(), *email)
		if err != nil {
			return describe(err)
		}
		if err := e.auth.ResetMFA(ctx, system(), u.ID); err != nil {
			return describe(err)
		}
		fmt.Fprintf(s.out, "two-step sign-in reset for %s; they enrol again at next sign-in\n", u.Email)
	}
	return nil
}

func usageFor(fs interface{ PrintDefaults() }, s stdio, line string) func() {
	return func() {
		fmt.Fprintf(s.err, "Usage: mentalspace %s\n\nFlags:\n", line)
		fs.PrintDefaults()
	}
}

// readPassword takes the first line of standard input, so scripts can pipe it
// and it never appears in the process list or shell history.
func readPassword(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("give the password on standard input, e.g. `printf '%s\\n' \"$PW\" | mentalspace user add …`")
	}
	return pw, nil
}

// describe turns an application error into a message for the shell, with
// its field problems.
func describe(err error) error {
	e := apperr.As(err)
	if e.Code == apperr.CodeInternal {
		return err
	}
	msg := e.Message
	for k, v := range e.Fields {
		msg += fmt.Sprintf("\n  %s: %s", k, v)
	}
	return errors.New(msg)
}

func userAdd(ctx context.Context, e *env, s stdio, p auth.Profile, pw, practiceName string) error {
	need, err := e.auth.NeedsSetup(ctx)
	if err != nil {
		return err
	}
	if need {
		// The first account sets the practice up, exactly as the setup page does.
		if !slices.Contains(p.Roles, access.RoleAdmin) {
			return errors.New("the first account must be an administrator: use --role admin")
		}
		u, err := e.auth.Setup(ctx, system(), auth.SetupInput{Practice: practice.Settings{Name: practiceName}, Admin: p, Password: pw})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(s.out, "created practice %q and administrator %s (id %d); two-step sign-in is set up at first sign-in\n", practiceName, u.Email, u.ID)
		return nil
	}
	u, err := e.auth.CreateUser(ctx, system(), p, pw)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(s.out, "created %s (id %d) with roles %s\n", u.Email, u.ID, joinRoles(u.Roles))
	return nil
}

func joinRoles(rs []access.Role) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ",")
}

func userList(ctx context.Context, e *env, s stdio) error {
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLES\tSTATUS\tMFA")
	var after int64
	for {
		us, err := e.auth.Users(ctx, system(), auth.UserFilter{AfterID: after, Limit: 500})
		if err != nil {
			return describe(err)
		}
		for _, u := range us {
			mfa := "off"
			if u.MFAEnabled {
				mfa = "on"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.DisplayName(), joinRoles(u.Roles), u.Status, mfa)
			after = u.ID
		}
		if len(us) < 500 {
			break
		}
	}
	return tw.Flush()
}

func cmdToken(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(s.err, "Usage: mentalspace token create --email E [--name N]")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return errHelp
		}
		return errors.New("the only subcommand is create")
	}
	cfg := config.Default()
	fs := newFlagSet("token create", "--email E [--name N]", s)
	check := commonFlags(fs, &cfg, getenv)
	email := fs.String("email", "", "the user the token acts as (required)")
	name := fs.String("name", "command line", "what the token is for")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	e, err := open(ctx, cfg, s, true)
	if err != nil {
		return err
	}
	defer e.close()
	tok, _, err := e.auth.CreateTokenFor(ctx, system(), *email, *name)
	if err != nil {
		return describe(err)
	}
	// Only the token on standard output, so `TOKEN=$(mentalspace token create …)` works.
	fmt.Fprintln(s.out, tok)
	return nil
}
