package plan

import "github.com/pulumi/pulumi/sdk/v3/go/common/resource"

// Masked stands in for a secret value everywhere a plan is shown or written.
const Masked = "[secret]"

// Unknown stands in for a value only known after the resource exists.
const Unknown = "[unknown]"

// maskProperties turns inputs into plain JSON-able values with every secret
// replaced by Masked.
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
		return Masked
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return Masked
		}
		if !o.Known {
			return Unknown
		}
		return maskValue(o.Element)
	case v.IsComputed():
		return Unknown
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
