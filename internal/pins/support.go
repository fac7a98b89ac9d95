package pins

import "time"

// WarnDays is how long before an end of support a pin is reported as
// ending: time to plan and review an upgrade.
const WarnDays = 60

// Support is where a pin stands against its end of support on a day.
type Support string

// The support states.
const (
	// SupportUnknown: upstream publishes no end-of-support date.
	SupportUnknown Support = "unknown"
	// Supported: more than WarnDays left.
	Supported Support = "supported"
	// SupportEnding: WarnDays or fewer left, the end day included.
	SupportEnding Support = "ending"
	// SupportEnded: the end of support is in the past.
	SupportEnded Support = "ended"
)

// DaysLeft is the number of days from today to the end of support:
// negative once it has passed, 0 on the day itself. Only calendar days
// count, in UTC. It is 0 when there is no end of support.
func (p Pin) DaysLeft(today time.Time) int {
	if !p.HasEndOfSupport() {
		return 0
	}
	return int(day(p.EndOfSupport).Sub(day(today)).Hours() / 24)
}

// SupportOn says where the pin stands on the day today.
func (p Pin) SupportOn(today time.Time) Support {
	if !p.HasEndOfSupport() {
		return SupportUnknown
	}
	switch left := p.DaysLeft(today); {
	case left < 0:
		return SupportEnded
	case left <= WarnDays:
		return SupportEnding
	default:
		return Supported
	}
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
