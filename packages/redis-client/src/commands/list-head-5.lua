-- Up to `limit` pending requests in fetch order, without locking them.
-- KEYS: the queue's. ARGV[1] limit. Returns id, JSON per request.
--- @include "queue"
local now = openQueue()
local ids = redis.call('ZRANGE', pendingKey, 0, tonumber(ARGV[1]) - 1)
touch(metaKey, now, false)
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', requestsKey, id)
end
return out
