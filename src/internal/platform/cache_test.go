package platform

import (
	"testing"
	"testing/synctest"
	"time"
)

// The TTL tests run in a synctest bubble: time.Sleep moves its fake clock,
// so the entry is read exactly before and exactly at its expiry, at once.
func TestCacheServesUntilTheTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewCache[string, int](10, time.Minute)
		_, ok, gen := c.Get("a")
		if ok {
			t.Fatal("an empty cache answered")
		}
		c.Add(gen, "a", 1)
		time.Sleep(time.Minute - time.Nanosecond)
		if v, ok, _ := c.Get("a"); !ok || v != 1 {
			t.Fatalf("Get just before the TTL = %v, %v; want the stored 1", v, ok)
		}
		time.Sleep(time.Nanosecond)
		if v, ok, _ := c.Get("a"); ok {
			t.Fatalf("Get at the TTL = %v; want a miss", v)
		}
	})
}

// Once a page expires, the first request renders it again and the others
// get the expired page meanwhile, for at most one more TTL.
func TestCacheServesTheExpiredValueWhileOneCallerMakesItAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewCache[string, int](10, time.Second)
		_, _, gen := c.GetServingStale("a")
		c.Add(gen, "a", 1)
		time.Sleep(time.Second)
		_, ok, gen := c.GetServingStale("a")
		if ok {
			t.Fatal("the first caller after the TTL was not asked to make the value again")
		}
		if v, ok, _ := c.GetServingStale("a"); !ok || v != 1 {
			t.Fatalf("a caller while it is made again got %v, %v; want the expired 1", v, ok)
		}
		if _, ok, _ := c.Get("a"); ok {
			t.Fatal("Get served an expired value")
		}
		c.Add(gen, "a", 2)
		if v, ok, _ := c.GetServingStale("a"); !ok || v != 2 {
			t.Fatalf("after the Add got %v, %v; want the fresh 2", v, ok)
		}
		// A remake that never comes: the expired value is served one more
		// TTL, then nobody gets it.
		time.Sleep(time.Second)
		if _, ok, _ := c.GetServingStale("a"); ok {
			t.Fatal("the first caller after the second TTL was not asked to make the value again")
		}
		time.Sleep(time.Second - time.Nanosecond)
		if v, ok, _ := c.GetServingStale("a"); !ok || v != 2 {
			t.Fatalf("just before the extra TTL got %v, %v; want the expired 2", v, ok)
		}
		time.Sleep(time.Nanosecond)
		if v, ok, _ := c.GetServingStale("a"); ok {
			t.Fatalf("a value a TTL past its expiry was served: %v", v)
		}
		// A change clears the cache: nothing from before it is served.
		_, _, gen = c.GetServingStale("a")
		c.Add(gen, "a", 3)
		time.Sleep(time.Second)
		c.GetServingStale("a")
		c.Clear()
		if v, ok, _ := c.GetServingStale("a"); ok {
			t.Fatalf("a value from before a Clear was served: %v", v)
		}
	})
}

func TestCacheWithoutTTLKeepsUntilCleared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewCache[string, int](10, 0)
		_, _, gen := c.Get("a")
		c.Add(gen, "a", 1)
		time.Sleep(1000 * time.Hour)
		if _, ok, _ := c.Get("a"); !ok {
			t.Fatal("an entry without TTL expired")
		}
		c.Clear()
		if _, ok, _ := c.Get("a"); ok {
			t.Fatal("Clear kept an entry")
		}
	})
}

func TestCacheRefusesValuesReadBeforeAClear(t *testing.T) {
	c := NewCache[string, int](10, time.Hour)
	_, _, gen := c.Get("a")
	c.Clear() // a change lands while "a" is being read from the backend
	c.Add(gen, "a", 1)
	if v, ok, _ := c.Get("a"); ok {
		t.Fatalf("a value read before the change was served: %v", v)
	}
}

func TestCacheEvictsTheLeastRecentlyUsed(t *testing.T) {
	c := NewCache[int, int](2, time.Hour)
	_, _, gen := c.Get(0)
	c.Add(gen, 1, 1)
	c.Add(gen, 2, 2)
	c.Get(1)
	c.Add(gen, 3, 3)
	if _, ok, _ := c.Get(2); ok {
		t.Fatal("the least recently used entry survived a full cache")
	}
	for _, k := range []int{1, 3} {
		if _, ok, _ := c.Get(k); !ok {
			t.Fatalf("entry %d was evicted instead of the least recently used", k)
		}
	}
}

func TestNilCacheKeepsNothing(t *testing.T) {
	var c *Cache[string, int]
	c.Add(0, "a", 1)
	c.Clear()
	if _, ok, _ := c.Get("a"); ok {
		t.Fatal("a nil cache answered")
	}
}
