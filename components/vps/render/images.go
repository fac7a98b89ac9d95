package render

import "infra/internal/pins"

// Images of the services the VPS adds beside the application, pinned to a
// release so a deploy never changes them by surprise. The versions live in
// internal/pins/pins.yaml, with their sources: bump them there.
var (
	// ImageNginx is the TLS proxy. Its master process runs as root to read
	// the certificates certbot writes (root-only); workers run as nginx.
	ImageNginx = pins.MustValue("nginx")
	// ImageCertbot obtains and renews the Let's Encrypt certificate.
	ImageCertbot = pins.MustValue("certbot")
	// ImageAWSCLI uploads the database dumps to Spaces (S3 API).
	ImageAWSCLI = pins.MustValue("aws-cli")
	// ImageBusybox fixes the ownership of new named volumes.
	ImageBusybox = pins.MustValue("busybox")
	// ImageCAdvisor, ImageNodeExporter and ImageDozzle are the admin tools.
	ImageCAdvisor     = pins.MustValue("cadvisor")
	ImageNodeExporter = pins.MustValue("node-exporter")
	ImageDozzle       = pins.MustValue("dozzle")
)

// ImagePostgres is the self-hosted PostgreSQL server of a major version
// (Debian based: uid 999 is postgres). The tag is the major, so each
// server gets its major's patch releases; pins.yaml records one
// postgres-<major> entry per major the config allows, with its end of life.
func ImagePostgres(version string) string { return "postgres:" + version }

// PostgresUID is the postgres user of the official Debian-based image.
const PostgresUID = 999
