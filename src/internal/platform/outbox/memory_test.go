package outbox

import (
	"fmt"
	"testing"
)

// The embedded outbox remembers processed events up to its bound, the
// oldest forgotten first, instead of growing for the life of the process.
func TestMemoryRemembersABoundedNumberOfProcessedEvents(t *testing.T) {
	var m Memory
	if !m.MarkProcessed("reserve", "e-0") || m.MarkProcessed("reserve", "e-0") {
		t.Fatal("an event must be new once, then known")
	}
	if !m.MarkProcessed("settle", "e-0") {
		t.Fatal("another consumer's record of the same event counted")
	}
	for i := 1; i <= RememberedEvents; i++ {
		m.MarkProcessed("reserve", fmt.Sprintf("e-%d", i))
	}
	if n := m.processed.Len(); n != RememberedEvents {
		t.Fatalf("%d processed events remembered, want the bound %d", n, RememberedEvents)
	}
	if m.MarkProcessed("reserve", fmt.Sprintf("e-%d", RememberedEvents)) {
		t.Fatal("the latest event was forgotten")
	}
}
