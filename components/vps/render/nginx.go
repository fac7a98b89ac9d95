package render

import (
	"strconv"
	"strings"

	"infra/components/service"
)

// CertDir is where nginx finds the certificate certbot maintains.
const CertDir = "/etc/letsencrypt/live/" + CertName

// HtpasswdPath is where nginx reads a realm's basic-auth file, which
// deploy.sh writes as proxy/htpasswd-<realm>.
func HtpasswdPath(realm string) string { return "/etc/nginx/infra/htpasswd-" + realm }

// nginxConfig is what nginx.conf.tmpl fills in.
type nginxConfig struct {
	RateLimit *RateLimit
	// CertDir holds fullchain.pem and privkey.pem.
	CertDir string
	// ServerNames are the public hosts, space separated, for the port 80
	// redirect.
	ServerNames string
	// Servers are the HTTPS servers, one per public host; none when no
	// service is public (then nginx needs no certificate).
	Servers []nginxServer
}

// nginxServer is the HTTPS server of one host.
type nginxServer struct {
	Host string
	// Private are the patterns of the metrics paths the proxy refuses.
	Private   []string
	Locations []nginxLocation
}

// nginxLocation forwards a location to a service's host:port.
type nginxLocation struct {
	Match    string
	Upstream string
	// Htpasswd is the realm's basic-auth file; empty without auth.
	Htpasswd string
	Allow    []string
}

// Nginx renders the proxy's nginx.conf. certDir holds fullchain.pem
// and privkey.pem (CertDir on the host; tests point it elsewhere).
//
// Upstreams are addressed through variables and Docker's embedded DNS, so
// nginx starts while a service is down and follows a recreated container
// to its new address at once.
func Nginx(site Site, certDir string) (string, error) {
	routes, err := site.Routes()
	if err != nil {
		return "", err
	}
	hosts := routeHosts(routes)
	conf := nginxConfig{RateLimit: site.RateLimit, CertDir: certDir, ServerNames: strings.Join(hosts, " ")}
	for _, host := range hosts {
		srv := nginxServer{Host: host}
		denied := map[string]bool{}
		for _, r := range routes {
			if r.Host != host || r.Private == "" || denied[r.Private] {
				continue
			}
			denied[r.Private] = true
			// Metrics stay inside: nginx matches the decoded, merged path,
			// case-insensitively here as most frameworks route, with or
			// without a trailing slash.
			srv.Private = append(srv.Private, service.PrivateMetricsPattern(r.Private))
		}
		for _, r := range routes {
			if r.Host != host {
				continue
			}
			htpasswd := ""
			if r.Auth {
				htpasswd = HtpasswdPath(r.Realm)
			}
			for _, loc := range locations(r.Path) {
				srv.Locations = append(srv.Locations, nginxLocation{Match: loc, Upstream: r.Service + ":" + strconv.Itoa(r.Port), Htpasswd: htpasswd, Allow: r.Allow})
			}
		}
		conf.Servers = append(conf.Servers, srv)
	}
	return execute("nginx.conf.tmpl", conf)
}

// locations are the nginx locations of a route's path, with Kubernetes'
// Prefix semantics: /api serves /api and /api/..., never /apix.
func locations(p string) []string {
	if p == "/" || strings.HasSuffix(p, "/") {
		return []string{p}
	}
	return []string{"= " + p, p + "/"}
}
