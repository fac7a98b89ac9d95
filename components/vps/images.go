package vps

// Images of the services the VPS adds beside the application, pinned to a
// release so a deploy never changes them by surprise. Bump them here.
const (
	// ImageNginx is the TLS proxy. Its master process runs as root to read
	// the certificates certbot writes (root-only); workers run as nginx.
	ImageNginx = "nginx:1.28-alpine"
	// ImageCertbot obtains and renews the Let's Encrypt certificate.
	ImageCertbot = "certbot/certbot:v4.0.0"
	// ImageAWSCLI uploads the database dumps to Spaces (S3 API).
	ImageAWSCLI = "amazon/aws-cli:2.27.0"
	// ImageBusybox fixes the ownership of new named volumes.
	ImageBusybox = "busybox:1.37"
	// ImageCAdvisor, ImageNodeExporter and ImageDozzle are the admin tools.
	ImageCAdvisor     = "gcr.io/cadvisor/cadvisor:v0.49.1"
	ImageNodeExporter = "prom/node-exporter:v1.9.1"
	ImageDozzle       = "amir20/dozzle:v8.12.0"
)

// ImagePostgres is the self-hosted PostgreSQL server of a major version
// (Debian based: uid 999 is postgres).
func ImagePostgres(version string) string { return "postgres:" + version }

// PostgresUID is the postgres user of the official Debian-based image.
const PostgresUID = 999
