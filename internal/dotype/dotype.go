// Package dotype names the DigitalOcean provider's type tokens, in one
// place: the resources the program declares and the functions it calls, as
// the cost estimate, the policy, the offline planner and the stand-in
// provider read them. A test checks each against the provider's schema at
// the pinned version, so a typo cannot reach a user's plan.
package dotype

// Package is the provider's package name, the first part of every token.
const Package = "digitalocean"

// Resource types.
const (
	Droplet                = "digitalocean:index/droplet:Droplet"       // a virtual machine
	ReservedIP             = "digitalocean:index/reservedIp:ReservedIp" // a static public address
	ReservedIPAssignment   = "digitalocean:index/reservedIpAssignment:ReservedIpAssignment"
	FloatingIP             = "digitalocean:index/floatingIp:FloatingIp" // the reserved IP's former name, still priced
	FloatingIPAssignment   = "digitalocean:index/floatingIpAssignment:FloatingIpAssignment"
	VPC                    = "digitalocean:index/vpc:Vpc"
	Tag                    = "digitalocean:index/tag:Tag"           // a label Droplets and firewalls are matched by
	Firewall               = "digitalocean:index/firewall:Firewall" // a cloud firewall in front of Droplets
	Project                = "digitalocean:index/project:Project"
	Domain                 = "digitalocean:index/domain:Domain"
	DNSRecord              = "digitalocean:index/dnsRecord:DnsRecord"
	SSHKey                 = "digitalocean:index/sshKey:SshKey"
	Volume                 = "digitalocean:index/volume:Volume"
	SpacesBucket           = "digitalocean:index/spacesBucket:SpacesBucket"
	ContainerRegistry      = "digitalocean:index/containerRegistry:ContainerRegistry"
	LoadBalancer           = "digitalocean:index/loadBalancer:LoadBalancer"
	KubernetesCluster      = "digitalocean:index/kubernetesCluster:KubernetesCluster"
	KubernetesNodePool     = "digitalocean:index/kubernetesNodePool:KubernetesNodePool"
	DatabaseCluster        = "digitalocean:index/databaseCluster:DatabaseCluster"
	DatabaseReplica        = "digitalocean:index/databaseReplica:DatabaseReplica"
	DatabaseUser           = "digitalocean:index/databaseUser:DatabaseUser"
	DatabaseDB             = "digitalocean:index/databaseDb:DatabaseDb"
	DatabaseConnectionPool = "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool"
	DatabaseFirewall       = "digitalocean:index/databaseFirewall:DatabaseFirewall" // the trusted sources of a database cluster
	UptimeCheck            = "digitalocean:index/uptimeCheck:UptimeCheck"
	UptimeAlert            = "digitalocean:index/uptimeAlert:UptimeAlert"
	MonitorAlert           = "digitalocean:index/monitorAlert:MonitorAlert"
)

// Functions (invokes).
const (
	GetKubernetesVersions = "digitalocean:index/getKubernetesVersions:getKubernetesVersions"
	GetLoadBalancer       = "digitalocean:index/getLoadBalancer:getLoadBalancer"
	GetAccount            = "digitalocean:index/getAccount:getAccount"
)

// Resources lists every resource type above.
func Resources() []string {
	return []string{
		Droplet,
		ReservedIP,
		ReservedIPAssignment,
		FloatingIP,
		FloatingIPAssignment,
		VPC,
		Tag,
		Firewall,
		Project,
		Domain,
		DNSRecord,
		SSHKey,
		Volume,
		SpacesBucket,
		ContainerRegistry,
		LoadBalancer,
		KubernetesCluster,
		KubernetesNodePool,
		DatabaseCluster,
		DatabaseReplica,
		DatabaseUser,
		DatabaseDB,
		DatabaseConnectionPool,
		DatabaseFirewall,
		UptimeCheck,
		UptimeAlert,
		MonitorAlert,
	}
}

// Functions lists every function above.
func Functions() []string {
	return []string{GetKubernetesVersions, GetLoadBalancer, GetAccount}
}
