// Package sightings builds the sightings of a load generator job: the same logs, and
// so the same keys, as tools/bench/src/e2e/sighting-logs.ts builds for the Node load
// generator, so the native rows store what the existing rows store.
package sightings

import (
	"fmt"
	"strings"

	collector "mbbench/pb/collector"

	timestamp "github.com/golang/protobuf/ptypes/timestamp"
)

// SightingsPerDetectorHour is sighting-logs.ts's SIGHTINGS_PER_DETECTOR_HOUR.
const SightingsPerDetectorHour = 10000

const nanosPerSecond = 1000000000
const secondsPerHour = 3600

// Plan is sighting-logs.ts's SightingPlan, plus one field of the native tools' own.
type Plan struct {
	DetectorPrefix   string `json:"detectorPrefix"`
	Sightings        int    `json:"sightings"`
	SightingsPerLog  int    `json:"sightingsPerLog"`
	HourStartSeconds int64  `json:"hourStartSeconds"`
	// SecondsApart, when above 0, makes the plan one detector's history instead: sighting
	// i at HourStartSeconds + i × SecondsApart (plus a few odd nanoseconds), every
	// sighting of part 0 with its own device; issue 22's GetEvents detector.
	SecondsApart int64 `json:"secondsApart,omitempty"`
}

// Check refuses a plan whose logs would span two detectors, as sighting-logs.ts does.
func (p Plan) Check() error {
	if p.SightingsPerLog <= 0 || p.Sightings < 0 {
		return fmt.Errorf("plan needs sightingsPerLog > 0 and sightings >= 0")
	}
	if p.SecondsApart == 0 && SightingsPerDetectorHour%p.SightingsPerLog != 0 {
		return fmt.Errorf("sightingsPerLog %d must divide %d, so a log never spans two detectors",
			p.SightingsPerLog, SightingsPerDetectorHour)
	}
	return nil
}

// LogCount is the number of logs of the plan.
func (p Plan) LogCount() int {
	return (p.Sightings + p.SightingsPerLog - 1) / p.SightingsPerLog
}

// DetectorID is sighting-logs.ts's detectorIdOf.
func (p Plan) DetectorID(part int) string {
	return fmt.Sprintf("%s-p%03d", p.DetectorPrefix, part)
}

// EventLogAt is log `index` of the plan, as sighting-logs.ts's eventLogAt builds it.
func (p Plan) EventLogAt(index int) *collector.EventLog {
	first := index * p.SightingsPerLog
	count := p.SightingsPerLog
	if rest := p.Sightings - first; rest < count {
		count = rest
	}
	part := first / SightingsPerDetectorHour
	if p.SecondsApart > 0 {
		part = 0
	}
	const stepNanos = secondsPerHour * nanosPerSecond / SightingsPerDetectorHour
	events := make([]*collector.DetectionEvent, 0, count)
	for offset := 0; offset < count; offset++ {
		slot := int64(first+offset) % SightingsPerDetectorHour
		nanosIntoHour := slot*stepNanos + (slot*7919)%1000000
		device := slot
		if p.SecondsApart > 0 {
			sighting := int64(first + offset)
			nanosIntoHour = sighting*p.SecondsApart*nanosPerSecond + (sighting*7919)%1000000
			device = sighting
		}
		event := &collector.DetectionEvent{
			Time: []*timestamp.Timestamp{{
				Seconds: p.HourStartSeconds + nanosIntoHour/nanosPerSecond,
				Nanos:   int32(nanosIntoHour % nanosPerSecond),
			}},
		}
		raw := rawDeviceID(device)
		switch device % 3 {
		case 0:
			event.DeviceId = &collector.DetectionEvent_Wifi{Wifi: raw}
		case 1:
			event.DeviceId = &collector.DetectionEvent_Bluetooth{Bluetooth: raw}
		default:
			event.DeviceId = &collector.DetectionEvent_Mobile{Mobile: raw}
		}
		events = append(events, event)
	}
	return &collector.EventLog{
		Loc:    &collector.Coordinates{DetectorId: p.DetectorID(part), Latitude: 5220000, Longitude: 2100000},
		Events: events,
	}
}

// rawDeviceID is a MAC-shaped raw id, as sighting-logs.ts's rawDeviceId.
func rawDeviceID(slot int64) string {
	hex := fmt.Sprintf("%012x", slot)
	pairs := make([]string, 0, 6)
	for at := 0; at < len(hex); at += 2 {
		pairs = append(pairs, hex[at:at+2])
	}
	return strings.Join(pairs, ":")
}
