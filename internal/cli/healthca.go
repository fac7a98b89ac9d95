package cli

import (
	"crypto/sha256"
	"crypto/x509"
	_ "embed"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"slices"

	"infra/stacks/config"
)

// A stack whose infra:ingress.issuer is letsencrypt-staging serves
// certificates that chain to Let's Encrypt's staging roots, which no trust
// store holds: `infra health` would fail every dev deploy on them. So the
// health check trusts those roots, and only those, for such a stack. The
// chain, the host name and the validity dates are still verified.

// stagingIssuer is the infra:ingress.issuer of Let's Encrypt staging.
const stagingIssuer = "letsencrypt-staging"

//go:embed letsencrypt-staging-roots.pem
var stagingRootsPEM []byte

// stagingRootFingerprints are the SHA-256 fingerprints of the certificates
// stagingRootsPEM must hold, and nothing else: "(STAGING) Pretend Pear X1"
// (RSA, until 2035), "(STAGING) Bogus Broccoli X2" (ECDSA, until 2040),
// "(STAGING) Yearning Yucca Root YE" and "(STAGING) Yonder Yam Root YR"
// (ECDSA and RSA, until 2045).
var stagingRootFingerprints = []string{
	"e70570a989f8565aabdf7cae27abd1621872d6a3f811e3fef27e3dba02912198",
	"9b2a339fe6a3e85585c4cd75536cb8c1cf7cd603b9a64bec2521858ae48da85d",
	"b59bfc0ba52daf849853b7324a91e82f031db3397f35644157352cde6384b56c",
	"ef115fb59e040ff39d15fd8f3ef54063c704321d83cb081213272f77d3091672",
}

// parseRoots reads every certificate of a PEM bundle.
func parseRoots(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no PEM certificate")
	}
	return certs, nil
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// stagingRoots are the embedded staging roots, checked against their
// fingerprints so that an edited file cannot widen what dev trusts.
func stagingRoots() ([]*x509.Certificate, error) {
	certs, err := parseRoots(stagingRootsPEM)
	if err != nil {
		return nil, fmt.Errorf("embedded staging roots: %w", err)
	}
	for _, c := range certs {
		if !slices.Contains(stagingRootFingerprints, fingerprint(c)) {
			return nil, fmt.Errorf("embedded staging roots: unexpected certificate %q", c.Subject.CommonName)
		}
	}
	if len(certs) != len(stagingRootFingerprints) {
		return nil, fmt.Errorf("embedded staging roots: %d certificates, want %d", len(certs), len(stagingRootFingerprints))
	}
	return certs, nil
}

// usesStagingIssuer reports whether the stack's config (its Pulumi.<stack>.yaml,
// defaults applied: a stack that is not production defaults to staging)
// issues its certificates from Let's Encrypt staging.
func usesStagingIssuer(p Project) (bool, error) {
	raw, err := config.ReadFile(p.StackFile())
	if err != nil {
		return false, err
	}
	cfg, err := config.Parse(raw)
	if err != nil {
		return false, err
	}
	return cfg.Ingress != nil && cfg.Ingress.Issuer == stagingIssuer, nil
}
