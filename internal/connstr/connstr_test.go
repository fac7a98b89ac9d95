package connstr

import (
	"errors"
	"strings"
	"testing"
)

func TestSplitPassword(t *testing.T) {
	tests := []struct {
		name, raw, uri, password string
	}{
		{"plain", "postgresql://app:s3cret@db.internal:25060/app?sslmode=require",
			"postgresql://app@db.internal:25060/app?sslmode=require", "s3cret"},
		{"postgres scheme", "postgres://app:pw@h/d", "postgres://app@h/d", "pw"},
		{"no password", "postgresql://app@h:5432/d?sslmode=disable", "postgresql://app@h:5432/d?sslmode=disable", ""},
		{"no user information", "postgresql://h/d", "postgresql://h/d", ""},
		{"empty password", "postgresql://app:@h/d", "postgresql://app@h/d", ""},
		{"percent-encoded user information",
			"postgresql://app%2Fuser:%27%22%24%60%5C%25%40%3A%2F%20x@h:5432/d?sslmode=require&options=-c%20search_path%3Dapp",
			"postgresql://app%2Fuser@h:5432/d?sslmode=require&options=-c%20search_path%3Dapp", `'"$` + "`" + `\%@:/ x`},
		{"shell and URI bytes left as given", "postgresql://u:a'$b+c!*()@h/d", "postgresql://u@h/d", "a'$b+c!*()"},
		{"password as a query parameter", "postgresql://u@h/d?sslmode=disable&password=p%20w&application_name=x",
			"postgresql://u@h/d?sslmode=disable&application_name=x", "p w"},
		{"only query parameter is the password", "postgresql://u@h/d?password=pw", "postgresql://u@h/d", "pw"},
		{"multi-host", "postgresql://u:pw@h1:5432,h2:5433/d?target_session_attrs=read-write",
			"postgresql://u@h1:5432,h2:5433/d?target_session_attrs=read-write", "pw"},
		{"'@' after the path is not user information", "postgresql://h/d?application_name=a@b", "postgresql://h/d?application_name=a@b", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uri, pw, err := SplitPassword(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if uri != tt.uri || pw != tt.password {
				t.Errorf("SplitPassword(%q) = %q, %q; want %q, %q", tt.raw, uri, pw, tt.uri, tt.password)
			}
		})
	}
}

func TestSplitPasswordRejects(t *testing.T) {
	const secret = "hunter2"
	tests := []struct {
		name, raw string
		notURI    bool
	}{
		{"keyword/value form", "host=h dbname=d user=u password=" + secret, true},
		{"other scheme", "mysql://u:" + secret + "@h/d", true},
		{"bad escape in the password", "postgresql://u:" + secret + "%zz@h/d", false},
		{"encoded NUL in the password", "postgresql://u:" + secret + "%00@h/d", false},
		{"bad escape in the password parameter", "postgresql://u@h/d?password=" + secret + "%4", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := SplitPassword(tt.raw)
			if err == nil {
				t.Fatalf("SplitPassword accepted %q", tt.raw)
			}
			if errors.Is(err, ErrNotURI) != tt.notURI {
				t.Errorf("errors.Is(%v, ErrNotURI) = %v, want %v", err, !tt.notURI, tt.notURI)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes the password: %v", err)
			}
		})
	}
}
