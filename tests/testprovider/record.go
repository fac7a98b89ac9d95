package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// Files under PULUMI_HOME (the engine hands its environment to plugins, and
// each engine test has a PULUMI_HOME of its own) through which a test
// watches and steers creates, to interrupt an update in the middle of one:
//
//   - creates.log: one line "<urn> <id>" per create the "cloud" carried
//     out, written when the create starts, as a real cloud API would have
//     the resource by then; a test counts how often each was created.
//   - hold: holds the create or update of the resource type it names: it
//     writes holding and waits until hold is removed (or its context ends).
//     (A deploy command's new bundle is an update: pulumi-command runs
//     create again on it.)
//   - fail: fails the create or update of the resource type it names, as a
//     provider error fails an update: before the "cloud" changes anything,
//     or, when it was held, once it is released.
const (
	createsLog  = "testprovider-creates.log"
	holdFile    = "testprovider-hold"
	holdingFile = "testprovider-holding"
	failFile    = "testprovider-fail"
)

// recordCreate logs a create and, when the test asks for it, holds it.
func recordCreate(ctx context.Context, urn resource.URN, typ tokens.Type, id string) error {
	home := os.Getenv("PULUMI_HOME")
	if home == "" {
		return nil
	}
	if err := failIfAsked(home, urn, typ); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(home, createsLog), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("record create: %w", err)
	}
	_, err = fmt.Fprintf(f, "%s %s\n", urn, id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("record create: %w", err)
	}
	return holdIfAsked(ctx, home, urn, typ, id)
}

// recordUpdate holds or fails an update when the test asks for it.
func recordUpdate(ctx context.Context, urn resource.URN, typ tokens.Type, id string) error {
	home := os.Getenv("PULUMI_HOME")
	if home == "" {
		return nil
	}
	if err := failIfAsked(home, urn, typ); err != nil {
		return err
	}
	return holdIfAsked(ctx, home, urn, typ, id)
}

// holdIfAsked holds a create or update of the type the hold file names
// until the file is removed, then fails it if the fail file names the type.
func holdIfAsked(ctx context.Context, home string, urn resource.URN, typ tokens.Type, id string) error {
	hold := filepath.Join(home, holdFile)
	want, err := os.ReadFile(hold)
	if err != nil || strings.TrimSpace(string(want)) != string(typ) {
		return nil
	}
	if err := os.WriteFile(filepath.Join(home, holdingFile), []byte(string(urn)+" "+id), 0o600); err != nil {
		return err
	}
	for {
		if _, err := os.Stat(hold); os.IsNotExist(err) {
			return failIfAsked(home, urn, typ)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// failIfAsked fails a create or update of the type the fail file names.
func failIfAsked(home string, urn resource.URN, typ tokens.Type) error {
	if want, err := os.ReadFile(filepath.Join(home, failFile)); err == nil && strings.TrimSpace(string(want)) == string(typ) {
		return fmt.Errorf("%s: failed, as the test asked (%s)", urn, failFile)
	}
	return nil
}
