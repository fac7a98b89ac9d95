package service

import "testing"

func TestPrivateMetricsPath(t *testing.T) {
	for _, c := range []struct {
		name         string
		route        string
		port         int
		metrics      *Metrics
		public, want string
	}{
		{"apex route, same port", "/", 8080, &Metrics{Path: "/metrics", Port: 8080}, "yes", "/metrics"},
		{"route without a path", "", 8080, &Metrics{Path: "/metrics", Port: 8080}, "yes", "/metrics"},
		{"under a prefix route", "/api", 8080, &Metrics{Path: "/api/metrics", Port: 8080}, "yes", "/api/metrics"},
		{"prefix route with slash", "/api/", 8080, &Metrics{Path: "/api/metrics", Port: 8080}, "yes", "/api/metrics"},
		{"outside the prefix", "/api", 8080, &Metrics{Path: "/metrics", Port: 8080}, "yes", ""},
		{"a sibling of the prefix", "/api", 8080, &Metrics{Path: "/apimetrics", Port: 8080}, "yes", ""},
		{"own port", "/", 8080, &Metrics{Path: "/metrics", Port: 9090}, "yes", ""},
		{"no metrics", "/", 8080, nil, "yes", ""},
		{"not public", "/", 8080, &Metrics{Path: "/metrics", Port: 8080}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := Spec{Name: "api", Port: c.port, Metrics: c.metrics}
			if c.public != "" {
				s.Public = &Route{Host: "api.example.com", Path: c.route}
			}
			if got := s.PrivateMetricsPath(); got != c.want {
				t.Errorf("PrivateMetricsPath() = %q, want %q", got, c.want)
			}
		})
	}
}
