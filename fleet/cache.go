package fleet

import (
	"container/list"
	"sync"

	"github.com/cardbridge/sansanhubspot/syncer"
)

// engineCache keeps the engines of recently run connections warm on one
// replica, least recently used first out, so a connection's preflight
// (tags, HubSpot properties) runs once per replica and spec version, not
// once per pass.
type engineCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // of *cached, most recent at the front
	byID  map[string]*list.Element
	onLen func(int)
}

type cached struct {
	id      string
	version int64
	engine  *syncer.Engine
}

func newEngineCache(max int, onLen func(int)) *engineCache {
	return &engineCache{max: max, ll: list.New(), byID: map[string]*list.Element{}, onLen: onLen}
}

// get returns the cached engine of a connection at a spec version.
func (c *engineCache) get(id string, version int64) (*syncer.Engine, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cached)
	if e.version != version {
		c.removeLocked(el)
		return nil, false
	}
	c.ll.MoveToFront(el)
	return e.engine, true
}

// put caches an engine, evicting the least recently used beyond max.
func (c *engineCache) put(id string, version int64, eng *syncer.Engine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.removeLocked(el)
	}
	c.byID[id] = c.ll.PushFront(&cached{id: id, version: version, engine: eng})
	for c.ll.Len() > c.max {
		c.removeLocked(c.ll.Back())
	}
	c.report()
}

// evict drops a connection's engine.
func (c *engineCache) evict(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.removeLocked(el)
	}
	c.report()
}

func (c *engineCache) removeLocked(el *list.Element) {
	c.ll.Remove(el)
	delete(c.byID, el.Value.(*cached).id)
}

func (c *engineCache) report() {
	if c.onLen != nil {
		c.onLen(c.ll.Len())
	}
}

// len returns the number of cached engines.
func (c *engineCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
