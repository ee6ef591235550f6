-- Takes up to `limit` requests from the head and locks them for a client.
-- KEYS: the queue's (see includes/queue.lua). ARGV[1] limit, ARGV[2] lock length (ms), ARGV[3] clientKey.
-- Returns { lock expiry (ms), 1 when some request of the queue is locked after this, then id, JSON per request }.
--- @include "queue"
local now = openQueue()
local limit, lockMs, clientKey = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local expiresAt = now + lockMs
local ids = redis.call('ZRANGE', pendingKey, 0, limit - 1)
local out = { expiresAt, 0 }
local seq = 0
if #ids > 0 then seq = redis.call('HINCRBY', metaKey, 'lseq', #ids) - #ids end
for i, id in ipairs(ids) do
  redis.call('ZREM', pendingKey, id)
  redis.call('ZADD', locksKey, expiresAt, id)
  redis.call('HSET', holdersKey, id, holderEntry(false, seq + i, clientKey))
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', requestsKey, id)
end
if redis.call('ZCARD', locksKey) > 0 then out[2] = 1 end
touch(metaKey, now, false)
return out
