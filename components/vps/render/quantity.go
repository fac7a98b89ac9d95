package render

import (
	"fmt"
	"strconv"
	"strings"
)

// composeCPUs converts a Kubernetes CPU quantity ("500m", "1", "1.5") to
// the decimal number of CPUs compose expects ("0.5", "1", "1.5").
func composeCPUs(q string) (string, error) {
	var milli int64
	if m, ok := strings.CutSuffix(q, "m"); ok {
		n, err := strconv.ParseInt(m, 10, 64)
		if err != nil || n <= 0 {
			return "", fmt.Errorf("cpu %q: not a positive millicore count", q)
		}
		milli = n
	} else {
		f, err := strconv.ParseFloat(q, 64)
		if err != nil || f <= 0 {
			return "", fmt.Errorf("cpu %q: not a positive number of CPUs", q)
		}
		milli = int64(f*1000 + 0.5)
	}
	return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64), nil
}

// composeMemory converts a Kubernetes memory quantity in Mi or Gi to the
// form Docker reads as mebibytes ("512Mi" -> "512M", "1Gi" -> "1024M"):
// Docker's units are binary whatever their spelling.
func composeMemory(q string) (string, error) {
	mult := int64(0)
	num := q
	switch {
	case strings.HasSuffix(q, "Mi"):
		mult, num = 1, strings.TrimSuffix(q, "Mi")
	case strings.HasSuffix(q, "Gi"):
		mult, num = 1024, strings.TrimSuffix(q, "Gi")
	default:
		return "", fmt.Errorf("memory %q: use Mi or Gi", q)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return "", fmt.Errorf("memory %q: not a positive amount", q)
	}
	return strconv.FormatInt(n*mult, 10) + "M", nil
}
