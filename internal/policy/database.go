package policy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"

	"infra/internal/dotype"
	"infra/internal/plan"
)

const (
	typeK8sService = "kubernetes:core/v1:Service"
)

// databasePorts are where databases listen: PostgreSQL, PgBouncer,
// DigitalOcean's managed PostgreSQL and its pools, CockroachDB, MySQL,
// Redis, MongoDB.
var databasePorts = []int{5432, 6432, 25060, 25061, 26257, 3306, 6379, 27017}

func checkDatabasePublic(p *plan.Plan, fs *findings) {
	firewalls := p.ByType(dotype.DatabaseFirewall)
	for _, c := range p.ByType(dotype.DatabaseCluster) {
		guarded := false
		for _, fw := range firewalls {
			if !guards(fw, c) {
				continue
			}
			guarded = true
			rules := fw.List("rules")
			if len(rules) == 0 {
				fs.resource(RuleDatabasePublic, fw, "database firewall of %s has no rules: DigitalOcean then admits every address", c.Name)
			}
			for i := range rules {
				rule := plan.Resource{Inputs: map[string]any{"r": rules[i]}}
				typ, _ := rule.String("r.type")
				value, _ := rule.String("r.value")
				if (typ == "ip_addr" || typ == "ipAddr") && admitsEveryone(value) {
					fs.resource(RuleDatabasePublic, fw, "rule %d admits %s: the database %s is reachable from the whole internet", i, value, c.Name)
				}
			}
		}
		if !guarded {
			fs.resource(RuleDatabasePublic, c, "database cluster has no database firewall: it accepts connections from any address")
		}
	}
	for _, fw := range p.ByType(dotype.Firewall) {
		for i, in := range fw.List("inboundRules") {
			rule := plan.Resource{Inputs: map[string]any{"r": in}}
			proto, _ := rule.String("r.protocol")
			ports, _ := rule.String("r.portRange")
			if proto != "tcp" {
				continue
			}
			for _, src := range rule.List("r.sourceAddresses") {
				s, _ := src.(string)
				if !admitsEveryone(s) {
					continue
				}
				if port, open := opensDatabasePort(ports); open {
					fs.resource(RuleDatabasePublic, fw, "inbound rule %d opens port %d (a database port) to %s", i, port, s)
				}
			}
		}
	}
	for _, svc := range p.ByType(typeK8sService) {
		typ, _ := svc.String("spec.type")
		if typ != "LoadBalancer" && typ != "NodePort" {
			continue
		}
		for _, port := range svc.List("spec.ports") {
			n, _ := plan.Lookup(port, "port")
			if v, ok := plan.AsNumber(n); ok && isDatabasePort(int(v)) {
				fs.resource(RuleDatabasePublic, svc, "Service of type %s exposes database port %d outside the cluster", typ, int(v))
			}
		}
	}
}

// guards reports whether a database firewall belongs to a cluster: by the
// cluster id it names, or by its dependency on the cluster.
func guards(fw, cluster plan.Resource) bool {
	if id, ok := fw.String("clusterId"); ok && cluster.ID != "" && id == cluster.ID {
		return true
	}
	if fw.DeletedWith == cluster.URN {
		return true
	}
	for _, d := range fw.Dependencies {
		if d == cluster.URN {
			return true
		}
	}
	return false
}

// admitsEveryone reports whether an address or CIDR is the whole internet.
func admitsEveryone(s string) bool {
	if pre, err := netip.ParsePrefix(s); err == nil {
		return pre.Bits() == 0
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.IsUnspecified()
	}
	return false
}

func isDatabasePort(p int) bool {
	for _, d := range databasePorts {
		if p == d {
			return true
		}
	}
	return false
}

// opensDatabasePort reads a firewall port range ("5432", "1-65535", "all").
func opensDatabasePort(portRange string) (int, bool) {
	lo, hi := 1, 65535
	if portRange != "" && portRange != "all" {
		a, b, isRange := strings.Cut(portRange, "-")
		var err1, err2 error
		lo, err1 = strconv.Atoi(a)
		hi = lo
		if isRange {
			hi, err2 = strconv.Atoi(b)
		}
		if err1 != nil || err2 != nil {
			return 0, false
		}
	}
	for _, d := range databasePorts {
		if d >= lo && d <= hi {
			return d, true
		}
	}
	return 0, false
}

func checkProdDatabase(p *plan.Plan, fs *findings) {
	if !production(p) {
		return
	}
	for _, c := range p.ByType(dotype.DatabaseCluster) {
		nodes, ok := c.Number("nodeCount")
		if !ok || nodes < 2 {
			fs.resource(RuleProdDatabaseHA, c, "production database has no standby node (nodeCount %v): set infra:database.nodes to 2 or more", nodes)
		}
		if !c.Protect {
			fs.resource(RuleProdDatabaseHA, c, "production database is not protected: a mistaken delete would destroy it")
		}
	}
	if cfg := p.Config; cfg != nil && cfg.Database != nil && cfg.Database.Engine == "selfhosted" {
		fs.add(RuleProdDatabaseHA, "infra:database.engine", "database", "self-hosted PostgreSQL in production has no standby node: use engine managed with nodes >= 2")
	}
}

// jobQueueWords are the words in a database's or a connection's name that
// say it holds a job queue.
var jobQueueWords = map[string]bool{
	"job": true, "jobs": true, "hangfire": true, "queue": true, "queues": true, "worker": true, "workers": true,
	"goodjob": true, "oban": true, "sidekiq": true, "celery": true, "que": true, "bullmq": true,
}

// isJobQueueName splits a name into words (at separators and camelCase
// humps: ConnectionStrings__HangfireConnection -> connection, strings,
// hangfire, connection) and looks for a job-queue word.
func isJobQueueName(name string) bool {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	runes := []rune(name)
	for i, r := range runes {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(runes[i-1]):
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	for _, w := range words {
		if jobQueueWords[w] {
			return true
		}
	}
	return false
}

// checkJobQueuePools keeps job queues off transaction-mode pools: their
// session advisory locks and LISTEN/NOTIFY break there (GoodJob #1573).
// A job queue's database is one marked jobQueue: true in the config; when
// unmarked, one whose name, or the name of a connection to it, says so
// (jobs, hangfire, queue, worker, ...). jobQueue: false overrides the guess.
func checkJobQueuePools(p *plan.Plan, fs *findings) {
	queues, viaPool := jobQueues(p)
	for _, pool := range p.ByType(dotype.DatabaseConnectionPool) {
		mode, _ := pool.String("mode")
		db, _ := pool.String("dbName")
		why, isQueue := queues[db]
		if mode != "transaction" || !isQueue {
			continue
		}
		if p.Config != nil && !viaPool[db] {
			continue // every connection to it is direct: nothing goes through the pool
		}
		fs.add(RuleJobQueuePool, pool.URN, db, "database %q is a job queue (%s) behind a transaction-mode pool: use pool mode session, or connect with direct: true", db, why)
	}
}

// jobQueues returns the job-queue databases with the reason, and which
// databases some service reaches through their pool (not direct).
func jobQueues(p *plan.Plan) (map[string]string, map[string]bool) {
	queues := map[string]string{}
	viaPool := map[string]bool{}
	explicit := map[string]bool{}
	if cfg := p.Config; cfg != nil && cfg.Database != nil {
		for _, d := range cfg.Database.Databases {
			if d.JobQueue != nil {
				explicit[d.Name] = true
				if *d.JobQueue {
					queues[d.Name] = "marked jobQueue: true"
				}
			}
		}
		for _, s := range cfg.Services {
			for env, c := range s.Connections {
				if !c.Direct {
					viaPool[c.Database] = true
				}
				if !explicit[c.Database] && isJobQueueName(env) && queues[c.Database] == "" {
					queues[c.Database] = fmt.Sprintf("service %s connects to it as %s", s.Name, env)
				}
			}
		}
	}
	for _, pool := range p.ByType(dotype.DatabaseConnectionPool) {
		db, _ := pool.String("dbName")
		if !explicit[db] && queues[db] == "" && isJobQueueName(db) {
			queues[db] = "its name says so; set jobQueue: false if it is not"
		}
	}
	return queues, viaPool
}
