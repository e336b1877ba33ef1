package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mentalspace/mentalspace/internal/platform/config"
	"github.com/mentalspace/mentalspace/internal/platform/crypto"
)

func cmdKeys(ctx context.Context, args []string, getenv func(string) string, s stdio) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprintln(s.err, "Usage: mentalspace keys rotate [--master]")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return errHelp
		}
		return errors.New("the only subcommand is rotate")
	}
	cfg := config.Default()
	fs := newFlagSet("keys rotate", "[--master]", s)
	check := commonFlags(fs, &cfg, getenv)
	master := fs.Bool("master", false, "also replace the master key that wraps the data keys (restart every server afterwards)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	e, err := open(ctx, cfg, s, true)
	if err != nil {
		return err
	}
	defer e.close()
	if *master {
		if cfg.MasterKey == "" {
			mk, err := e.keyring.RotateMasterKeyFile(ctx, cfg.DataDir)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "master key replaced: %s (the old one is kept as a .bak file in the data directory until you delete it)\n", mk.ID())
		} else {
			mk := crypto.GenerateMasterKey()
			if err := e.keyring.RewrapMaster(ctx, mk); err != nil {
				return err
			}
			fmt.Fprintln(s.out, "Data keys are now wrapped by a new master key. Set MENTALSPACE_MASTER_KEY to this value on every server and restart them:")
			fmt.Fprintln(s.out, mk.Encode())
		}
	}
	id, err := e.keyring.Rotate(ctx)
	if err != nil {
		return err
	}
	n, err := e.keyring.ReencryptAll(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "new data key %s is active; %d stored values re-encrypted under it\n", id, n)
	return nil
}
