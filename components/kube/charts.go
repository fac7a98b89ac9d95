package kube

// ChartRepository is where a Helm chart comes from: mirror, a repository
// that serves every chart the program installs at its pinned version (a
// ChartMuseum or Harbor proxy, or the vendored test charts), when one is
// set; otherwise the chart's upstream repository.
func ChartRepository(mirror, upstream string) string {
	if mirror != "" {
		return mirror
	}
	return upstream
}
