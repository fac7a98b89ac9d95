package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestDefaultAlerts(t *testing.T) {
	cfg, err := parseText(t, monitoringStack)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, a := range cfg.Monitoring.Alerts {
		got[a.Metric] = a.Threshold
	}
	want := map[string]float64{"cpu": 80, "memory": 85, "disk": 90, "nodeDown": 0, "errorRate": 5, "latencyP95": 5000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("default alerts = %v, want %v", got, want)
	}
	if !*cfg.Monitoring.Notify {
		t.Error("prod must notify by default")
	}
	dev, err := parseText(t, strings.NewReplacer("metrics: {} ", "", "class: production", "class: development").Replace(monitoringStack))
	if err != nil {
		t.Fatal(err)
	}
	if *dev.Monitoring.Notify {
		t.Error("dev must not notify by default")
	}
	if n := len(dev.Monitoring.Alerts); n != 4 {
		t.Errorf("dev without metrics gets %d default alerts, want the 4 host alerts", n)
	}
}
