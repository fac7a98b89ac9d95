package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
	"infra/components/service"
)

// Label keys the objects carry. Services select a Deployment's pods by
// NameLabel; network policies select every pod of a service, its jobs
// included, by ComponentLabel.
const (
	NameLabel      = "app.kubernetes.io/name"
	ComponentLabel = "app.kubernetes.io/component"
	PartOfLabel    = "app.kubernetes.io/part-of"
	ManagedLabel   = "app.kubernetes.io/managed-by"
	// PoolLabel is the label DOKS puts on every node with its pool's name.
	PoolLabel = "doks.digitalocean.com/node-pool"
	// PeersEnv names the headless service peers resolve to find each other.
	PeersEnv = "PEERS_DNS"
	// StorageClass is DigitalOcean's block storage (ReadWriteOnce).
	StorageClass = "do-block-storage"
)

// builder turns specs into objects.
type builder struct {
	args *WorkloadArgs
}

func (b *builder) meta(name string, labels map[string]any) map[string]any {
	m := map[string]any{"name": name, "namespace": b.args.Namespace}
	if labels != nil {
		m["labels"] = labels
	}
	return m
}

func (b *builder) labels(s service.Spec) map[string]any {
	l := map[string]any{NameLabel: s.Name, ComponentLabel: s.Name, ManagedLabel: "pulumi"}
	if b.args.PartOf != "" {
		l[PartOfLabel] = b.args.PartOf
	}
	return l
}

func selector(s service.Spec) map[string]any { return map[string]any{NameLabel: s.Name} }

// component selects every pod of a service, for network policies.
func component(name string) map[string]any { return map[string]any{ComponentLabel: name} }

// namespace enforces the restricted Pod Security Standard: every pod here
// runs as non-root, without privilege escalation or capabilities.
func (b *builder) namespace() kube.Object {
	labels := map[string]any{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	}
	if b.args.PartOf != "" {
		labels[PartOfLabel] = b.args.PartOf
	}
	return kube.Object{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": b.args.Namespace, "labels": labels}}
}

func (b *builder) serviceAccount(s service.Spec) kube.Object {
	return kube.Object{
		"apiVersion":                   "v1",
		"kind":                         "ServiceAccount",
		"metadata":                     b.meta(s.Name, b.labels(s)),
		"automountServiceAccountToken": s.ServiceAccountToken,
	}
}

func envName(s service.Spec) string { return s.Name + "-env" }

func (b *builder) configMap(s service.Spec) kube.Object {
	data := map[string]any{}
	for k, v := range s.Env {
		data[k] = v
	}
	return kube.Object{"apiVersion": "v1", "kind": "ConfigMap", "metadata": b.meta(envName(s), b.labels(s)), "data": data}
}

// secret holds the secret env and connection strings; the values are
// Pulumi secrets and render as kube.SecretPlaceholder.
func (b *builder) secret(s service.Spec) kube.Object {
	data := map[string]any{}
	for k, v := range s.SecretEnv {
		data[k] = v
	}
	return kube.Object{"apiVersion": "v1", "kind": "Secret", "metadata": b.meta(envName(s), b.labels(s)), "type": "Opaque", "stringData": data}
}

func claimName(s service.Spec, v service.Volume) string { return s.Name + "-" + v.Name }

func (b *builder) volumeClaim(s service.Spec, v service.Volume) kube.Object {
	size := v.Size
	if size == "" {
		size = "10Gi"
	}
	return kube.Object{
		"apiVersion": "v1",
		"kind":       "PersistentVolumeClaim",
		"metadata":   b.meta(claimName(s, v), b.labels(s)),
		"spec": map[string]any{
			"accessModes":      []any{"ReadWriteOnce"},
			"storageClassName": StorageClass,
			"resources":        map[string]any{"requests": map[string]any{"storage": size}},
		},
	}
}

func (b *builder) deployment(s service.Spec) kube.Object {
	pod := b.podSpec(s, s.Command, true)
	// Spread replicas over nodes; nodes that are cordoned or tainted
	// against the service do not count as places to spread to.
	pod["topologySpreadConstraints"] = []any{map[string]any{
		"maxSkew":           1,
		"topologyKey":       "kubernetes.io/hostname",
		"whenUnsatisfiable": "DoNotSchedule",
		"nodeTaintsPolicy":  "Honor",
		"labelSelector":     map[string]any{"matchLabels": selector(s)},
	}}
	strategy := map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxUnavailable": 0, "maxSurge": 1}}
	if len(s.Volumes) > 0 {
		// A block volume attaches to one node: the old pod must let go
		// before the new one starts.
		strategy = map[string]any{"type": "Recreate"}
	}
	return kube.Object{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   b.meta(s.Name, b.labels(s)),
		"spec": map[string]any{
			"replicas":             s.Replicas,
			"revisionHistoryLimit": 5,
			"selector":             map[string]any{"matchLabels": selector(s)},
			"strategy":             strategy,
			"template": map[string]any{
				"metadata": map[string]any{"labels": b.labels(s), "annotations": podAnnotations(s)},
				"spec":     pod,
			},
		},
	}
}

// podAnnotations change when the env does, so pods restart to read it:
// envFrom is read when a container starts, and a changed ConfigMap or
// Secret alone restarts nothing.
func podAnnotations(s service.Spec) map[string]any {
	ann := map[string]any{"infra/env-hash": envHash(s)}
	if len(s.SecretEnv) > 0 {
		ann["infra/secret-env-hash"] = secretEnvHash(s)
	}
	return ann
}

// secretEnvHash is envHash of the secret env: a Pulumi secret itself (a
// digest of a short secret could be searched for), and so rendered as
// kube.SecretPlaceholder. A rotated password changes it.
func secretEnvHash(s service.Spec) pulumi.StringOutput {
	keys := make([]string, 0, len(s.SecretEnv))
	for k := range s.SecretEnv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	values := make([]any, len(keys))
	for i, k := range keys {
		values[i] = s.SecretEnv[k]
	}
	out := pulumi.All(values...).ApplyT(func(v []any) string {
		h := sha256.New()
		for i, k := range keys {
			h.Write([]byte(k + "=" + v[i].(string) + "\n"))
		}
		return hex.EncodeToString(h.Sum(nil))[:16]
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(out).(pulumi.StringOutput)
}

// envHash changes when the plain env does, so pods restart to read it.
func envHash(s service.Spec) string {
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "=" + s.Env[k] + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// podSpec is the pod of a service's Deployment (probes on) or Jobs.
func (b *builder) podSpec(s service.Spec, args []string, probes bool) map[string]any {
	container := map[string]any{
		"name":            s.Name,
		"image":           s.Image,
		"imagePullPolicy": "IfNotPresent",
		"resources": map[string]any{
			"requests": map[string]any{"cpu": s.Resources.RequestCPU, "memory": s.Resources.RequestMemory},
			"limits":   map[string]any{"cpu": s.Resources.CPU, "memory": s.Resources.Memory},
		},
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false,
			"readOnlyRootFilesystem":   s.ReadOnlyRootFilesystem,
			"runAsNonRoot":             true,
			"runAsUser":                s.User,
			"capabilities":             map[string]any{"drop": []any{"ALL"}},
		},
		"env": b.env(s),
	}
	if len(args) > 0 {
		container["args"] = toAny(args)
	}
	var envFrom []any
	if len(s.Env) > 0 {
		envFrom = append(envFrom, map[string]any{"configMapRef": map[string]any{"name": envName(s)}})
	}
	if len(s.SecretEnv) > 0 {
		envFrom = append(envFrom, map[string]any{"secretRef": map[string]any{"name": envName(s)}})
	}
	if envFrom != nil {
		container["envFrom"] = envFrom
	}
	if probes && s.Port > 0 {
		container["ports"] = ports(s)
		container["readinessProbe"] = probe(s, 5, 3)
		container["livenessProbe"] = probe(s, 10, 3)
		// Up to five minutes to start (migrations, JIT warm-up) before
		// liveness may restart the container.
		container["startupProbe"] = probe(s, 5, 60)
	}
	// /tmp stays writable when the root filesystem is not.
	mounts := []any{map[string]any{"name": "tmp", "mountPath": "/tmp"}}
	volumes := []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{"sizeLimit": "1Gi"}}}
	for _, v := range s.Volumes {
		mounts = append(mounts, map[string]any{"name": v.Name, "mountPath": v.Path})
		volumes = append(volumes, map[string]any{"name": v.Name, "persistentVolumeClaim": map[string]any{"claimName": claimName(s, v)}})
	}
	container["volumeMounts"] = mounts
	pod := map[string]any{
		"serviceAccountName":           s.Name,
		"automountServiceAccountToken": s.ServiceAccountToken,
		"enableServiceLinks":           false,
		"securityContext": map[string]any{
			"runAsNonRoot":   true,
			"runAsUser":      s.User,
			"runAsGroup":     s.User,
			"fsGroup":        s.User,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"containers": []any{container},
		"volumes":    volumes,
	}
	if pull := b.imagePullSecrets(); pull != nil {
		pod["imagePullSecrets"] = pull
	}
	if pool := b.pool(s); pool != "" {
		pod["nodeSelector"] = map[string]any{PoolLabel: pool}
		var tolerations []any
		for _, t := range b.args.PoolTaints[pool] {
			tol := map[string]any{"key": t.Key, "effect": t.Effect, "operator": "Exists"}
			if t.Value != "" {
				tol["operator"], tol["value"] = "Equal", t.Value
			}
			tolerations = append(tolerations, tol)
		}
		if tolerations != nil {
			pod["tolerations"] = tolerations
		}
	}
	return pod
}

func (b *builder) pool(s service.Spec) string {
	if s.Pool != "" {
		return s.Pool
	}
	return b.args.DefaultPool
}

// env is what the pod learns about itself, and where its peers are.
func (b *builder) env(s service.Spec) []any {
	field := func(name, path string) map[string]any {
		return map[string]any{"name": name, "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": path}}}
	}
	env := []any{field("POD_NAME", "metadata.name"), field("POD_NAMESPACE", "metadata.namespace"), field("POD_IP", "status.podIP")}
	if s.Peers {
		env = append(env, map[string]any{"name": PeersEnv, "value": peersName(s) + "." + b.args.Namespace + ".svc.cluster.local"})
	}
	return env
}

func ports(s service.Spec) []any {
	out := []any{map[string]any{"name": "http", "containerPort": s.Port, "protocol": "TCP"}}
	if s.Metrics != nil && s.Metrics.Port != 0 && s.Metrics.Port != s.Port {
		out = append(out, map[string]any{"name": "metrics", "containerPort": s.Metrics.Port, "protocol": "TCP"})
	}
	return out
}

// probe asks the health path over HTTP, or opens the port when the
// service declares no health path.
func probe(s service.Spec, period, failures int) map[string]any {
	p := map[string]any{"periodSeconds": period, "timeoutSeconds": 3, "failureThreshold": failures}
	if s.Health != "" {
		p["httpGet"] = map[string]any{"path": s.Health, "port": "http"}
	} else {
		p["tcpSocket"] = map[string]any{"port": "http"}
	}
	return p
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
