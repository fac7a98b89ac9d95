package backup

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dockerShim stands in for the Droplet's docker, strictly: it accepts only
// the command forms the rendered scripts use on the host, each checked
// against the compose project the VPS renders (components/vps/render:
// the postgres, backup-pg and backup-upload services, the aws-cli image's
// entrypoint `aws`, the postgres image's entrypoint running any command
// that is not `postgres`), and fails on anything else. The Spaces endpoint the production
// script passes is checked and swapped for the stand-in's.
const dockerShim = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >>"$SHIM_LOG"
fail() { echo "docker shim: unexpected: $*" >&2; exit 97; }
case "$1 ${2-}" in
  "compose exec")
    # docker compose exec -T --user postgres postgres CMD...
    [ "$3 $4 $5 $6" = "-T --user postgres postgres" ] || fail "$@"
    shift 6; exec "$@" ;;
  "compose run")
    if [ "$3 $4 $5" = "--rm --no-deps -T" ] && { [ "$6 ${7-} ${8-}" = "-e PGPASSWORD backup-pg" ] || [ "$6" = backup-pg ]; }; then
      # docker compose run --rm --no-deps -T [-e PGPASSWORD] backup-pg CMD...
      # (a managed cluster's or an external database's clients; the
      # image's entrypoint execs CMD). The container's environment is the
      # service's (HOME on an empty tmpfs: no password file) plus what -e
      # names: -e NAME takes NAME's value from compose's own environment
      # (docs.docker.com, "Set environment variables": docker compose run
      # -e DEBUG), a value on the command line is refused here.
      shift 5
      if [ "$1" = -e ]; then shift 2; else unset PGPASSWORD; fi
      export PGPASSFILE=/nonexistent/pgpass
      case "${2-}" in pg_dump|pg_dumpall|psql) ;; *) fail "$@" ;; esac
      shift; exec "$@"
    fi
    # docker compose run --rm --no-deps -T backup-upload ARGS (entrypoint aws)
    [ "$3 $4 $5 $6" = "--rm --no-deps -T backup-upload" ] || fail "$@"
    shift 6
    [ "$1 $2" = "--endpoint-url $SHIM_SPACES" ] || fail "endpoint: $*"
    shift 2
    exec aws --endpoint-url "$SHIM_S3" "$@" ;;
esac
case "$1" in
  run)
    [[ "$*" =~ ^run\ --detach\ --rm\ --name\ infra-drill-[0-9]+\ --network\ none\ --memory\ 1g\ --env\ POSTGRES_HOST_AUTH_METHOD=trust\ postgres:[0-9]+$ ]] || fail "$@"
    echo 0123456789ab ;;
  exec)
    # docker exec -i --user postgres NAME CMD...
    [ "$2 $3 $4" = "-i --user postgres" ] && [[ "$5" == infra-drill-* ]] || fail "$@"
    shift 5; exec "$@" ;;
  rm)
    [ "$2" = -f ] && [[ "$3" == infra-drill-* ]] || fail "$@" ;;
  *) fail "$@" ;;
esac
`

// The scripts with nothing replaced but docker: the production command
// lines (docker compose exec into postgres, the backup-upload container
// with the Spaces endpoint, a throwaway postgres:15 container for the
// drill, removed afterwards) run through the strict shim above.
func TestProductionCommandLines(t *testing.T) {
	r, names := backedUpWith(t, 26*time.Hour, true)
	log := filepath.Join(r.dir, "docker.log")
	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code != 0 || !o.OK || len(o.Databases) != len(names) {
		t.Fatalf("drill through the shim exited %d: %+v\n%s", code, o, stderr)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Split(strings.TrimSpace(string(b)), "\n")
	var runAt, rmAt = -1, -1
	uploads := 0
	for i, c := range calls {
		switch {
		case strings.HasPrefix(c, "run --detach"):
			runAt = i
			if !strings.HasSuffix(c, " postgres:15") {
				t.Errorf("scratch container %q, want the stack's postgres:15", c)
			}
		case strings.HasPrefix(c, "rm -f infra-drill-"):
			rmAt = i
		case regexp.MustCompile(`^compose run .* s3 cp --only-show-errors - s3://`).MatchString(c):
			uploads++
		}
	}
	if runAt < 0 || rmAt < runAt {
		t.Errorf("the drill did not start and then remove its container:\n%s", b)
	}
	if want := len(names) + 2; uploads != want {
		t.Errorf("%d uploads through backup-upload, want %d (dumps, globals, manifest):\n%s", uploads, want, b)
	}
}
