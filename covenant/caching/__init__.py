"""The cache is an accelerator, never a dependency.

- `backend.ResilientRedisCache`: Redis through Django's cache API, but a Redis that does not
  answer is a miss (reads fall back to the database) and a write that is dropped (the request
  still succeeds); a short circuit breaker keeps an outage from costing a timeout per call.
- `generations`: public read caches are keyed by data generations kept **in the database** and
  bumped in the writer's own transaction (`data_changed("projects")`). An invalidation is part
  of the write that causes it: it cannot be lost with Redis down, and no stale value outlives
  it on any instance (each process re-reads the generations at least every second).
"""
