package cli

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"infra/stacks/config"
)

// unsetSecrets are the problems of the infra:secrets entries that hold a
// placeholder (internal/placeholder: the template's REPLACE-ME, or the
// zero-nonce ciphertexts of the committed stack files) instead of a
// secret. They validate offline, and `plan` and `validate` accept them,
// but the engine cannot decrypt them and would say only "cipher: message
// authentication failed", naming at best infra:secrets, not the entry:
// preview, up, refresh and destroy refuse them first. Each problem carries the exact command that
// sets the secret. A secure value outside infra:secrets is the
// validation's to report (it belongs in infra:secrets).
func unsetSecrets(proj Project, raw *config.Raw) []config.Problem {
	var ps []config.Problem
	for _, v := range raw.Placeholders() {
		if _, ok := config.SecretName(v.Path); !ok {
			continue
		}
		ps = append(ps, config.Problem{
			Path:    v.Path,
			Message: fmt.Sprintf("a placeholder, not a secret: set it with `%s`", setSecretCommand(v.Path, proj.Stack)),
		})
	}
	return ps
}

// setSecretCommand is the command that sets the secret at path in stack.
func setSecretCommand(path, stack string) string {
	return fmt.Sprintf("pulumi config set --secret --path '%s' --stack %s", path, stack)
}

// unsetSecretsError is a config error (exit 3) that lists placeholder
// secrets among its problems, and says where and how to set them.
type unsetSecretsError struct {
	cfg   *config.ConfigError
	proj  Project
	count int
}

// withUnsetSecrets adds the placeholder problems to cfg, in path order
// with the rest, so that one error lists everything to fix.
func withUnsetSecrets(proj Project, cfg *config.ConfigError, unset []config.Problem) error {
	if len(unset) == 0 {
		return cfg
	}
	all := append(append([]config.Problem(nil), cfg.Problems...), unset...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Path < all[j].Path })
	return &unsetSecretsError{
		cfg:   &config.ConfigError{Source: cfg.Source, Problems: all},
		proj:  proj,
		count: len(unset),
	}
}

func (e *unsetSecretsError) Error() string {
	var b strings.Builder
	b.WriteString(e.cfg.Error())
	fmt.Fprintf(&b, "\n%d secret(s) of stack %s are placeholders: set each with the command shown", e.count, e.proj.Stack)
	if dir := filepath.Clean(e.proj.Dir); dir != "." {
		fmt.Fprintf(&b, ", run in %s", dir)
	}
	fmt.Fprintf(&b, " (on a backend that has no stack %s yet, run `infra init --stack %s` first)", e.proj.Stack, e.proj.Stack)
	return b.String()
}

func (e *unsetSecretsError) Unwrap() error { return e.cfg }

// refuseUnsetSecrets is the placeholder check of refresh and destroy. They
// do not run the program, so nothing else of the config is checked, but
// the engine decrypts every secret of the stack file before either, even
// on an empty stack ("failed to decrypt configuration key
// 'infra:secrets': cipher: message authentication failed"). A stack file
// that cannot be read is left to the engine to report, as before.
func refuseUnsetSecrets(proj Project) error {
	raw, err := config.ReadFile(proj.StackFile())
	if err != nil {
		return nil
	}
	unset := unsetSecrets(proj, raw)
	if len(unset) == 0 {
		return nil
	}
	return withUnsetSecrets(proj, &config.ConfigError{Source: proj.StackFile()}, unset)
}
