-- A queue's metadata and counts, expired locks released first.
-- KEYS: the queue's. Returns { total, pending, locked, field, value, ... }. The counts come from
-- the sizes of the sets themselves, so they are exact and never negative.
--- @include "queue"
openQueue()
local out = { redis.call('HLEN', requestsKey), redis.call('ZCARD', pendingKey), redis.call('ZCARD', locksKey) }
for _, v in ipairs(metadata(metaKey)) do out[#out + 1] = v end
return out
