-- How many requests are pending and how many locked, expired locks released first.
-- KEYS: the queue's. Returns { pending, locked }.
--- @include "queue"
openQueue()
return { redis.call('ZCARD', pendingKey), redis.call('ZCARD', locksKey) }
