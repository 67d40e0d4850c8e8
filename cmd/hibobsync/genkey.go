package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"hibobsync/store"
)

// genKey prints a fresh HIBOBSYNC_SECRET_KEY value. With --rotate it puts the new key in front
// of the current one (read from the environment, checked), so the new key seals and the old
// ones still open what they sealed.
func (c *cli) genKey(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gen-key", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	rotate := fs.Bool("rotate", false, "print a new key followed by the keys of the current "+store.SecretKeyEnv)
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: hibobsync gen-key [--rotate]\n\nPrints a value for "+store.SecretKeyEnv+
			" (keyid:base64key, comma-separated; the first key seals, all open). Set the same value on every worker and API process.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("gen-key takes no arguments, got %q", fs.Args())}
	}

	_, spec, err := store.GenerateKeyring()
	if err != nil {
		return err
	}
	if *rotate {
		current := strings.TrimSpace(c.getenv(store.SecretKeyEnv))
		// Checked first: a typo here would otherwise be copied into every process's config.
		if _, err := store.ParseKeyring(current); err != nil {
			return fmt.Errorf("--rotate needs the current keys: %w", err)
		}
		// ParseKeyring rejects duplicate IDs; a clash of the random suffix is not worth a retry loop.
		if _, err := store.ParseKeyring(spec + "," + current); err != nil {
			return fmt.Errorf("--rotate: %w (run gen-key again)", err)
		}
		spec += "," + current
	}
	_, err = fmt.Fprintln(c.stdout, spec)
	return err
}
