-- Up to `limit` pending requests in fetch order, without locking them.
-- KEYS: the queue's. ARGV[1] limit. Returns the requests' JSON.
--- @include "queue"
local now = openQueue()
local ids = redis.call('ZRANGE', pendingKey, 0, tonumber(ARGV[1]) - 1)
touch(metaKey, now, false)
if #ids == 0 then return {} end
return redis.call('HMGET', requestsKey, unpack(ids))
