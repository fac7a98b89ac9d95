package planner

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"infra/internal/plan"
)

// maskProperties turns inputs into plain JSON-able values with every secret
// replaced by plan.Masked.
func maskProperties(pm resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(pm))
	for k, v := range pm {
		out[string(k)] = maskValue(v)
	}
	return out
}

func maskValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plan.Masked
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return plan.Masked
		}
		if !o.Known {
			return plan.Unknown
		}
		return maskValue(o.Element)
	case v.IsComputed():
		return plan.Unknown
	case v.IsObject():
		return maskProperties(v.ObjectValue())
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = maskValue(e)
		}
		return out
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsAsset(), v.IsArchive():
		return "[asset]"
	case v.IsNull():
		return nil
	}
	return v.V
}
