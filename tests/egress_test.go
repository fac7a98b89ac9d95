package tests

import (
	"strings"
	"testing"
)

const jarvisAgentsStack = "../examples/jarvis-agents/Pulumi.prod.yaml"

// The agents of jarvis-agents call the Gemini API: on Kubernetes each gets
// an egress policy to the internet on 443, without the private, shared and
// link-local ranges, and the rendered object is a valid NetworkPolicy; a
// misspelt ipBlock field is caught. Services that declare nothing get no
// such policy.
func TestEgressPolicyMatchesTheKubernetesSchema(t *testing.T) {
	v := schemaValidator(t)
	docs := objectArtifacts(planK8sStack(t, jarvisAgentsStack, "jarvis-agents", toKubernetes))
	const want = `spec:
  egress:
  - ports:
    - port: 443
      protocol: TCP
    to:
    - ipBlock:
        cidr: 0.0.0.0/0
        except:
        - 10.0.0.0/8
        - 172.16.0.0/12
        - 192.168.0.0/16
        - 100.64.0.0/10
        - 169.254.0.0/16
  podSelector:
    matchLabels:
      app.kubernetes.io/component: agent-a
  policyTypes:
  - Egress
`
	var policies []string
	for path := range docs {
		if strings.HasSuffix(path, "-egress.yaml") {
			policies = append(policies, path)
		}
	}
	if len(policies) != 3 {
		t.Errorf("egress policies %v, want one per agent", policies)
	}
	doc, ok := docs["kubernetes/app/networkpolicy-agent-a-egress.yaml"]
	if !ok {
		t.Fatalf("no egress policy for agent-a among %v", policies)
	}
	if !strings.Contains(doc, want) {
		t.Errorf("agent-a's egress policy:\n%s\nwant its spec:\n%s", doc, want)
	}
	if err := v.ValidateYAML([]byte(doc)); err != nil {
		t.Errorf("egress policy: %v", err)
	}
	broken := strings.Replace(doc, "except:", "exclude:", 1)
	if err := v.ValidateYAML([]byte(broken)); err == nil || !strings.Contains(err.Error(), "exclude") {
		t.Errorf("a misspelt ipBlock field passed: %v", err)
	}
}
