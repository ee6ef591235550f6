-- Appends dataset items, once per push even when the client sends the push again after a
-- dropped connection lost the reply. KEYS[1] meta, KEYS[2] items (LIST of JSON),
-- KEYS[3] pushes (ZSET of recent push tokens by time). ARGV[1] this push's token, then the items' JSON.
-- Returns the number of items after the push.
--- @include "storage"
local metaKey, itemsKey, pushesKey = KEYS[1], KEYS[2], KEYS[3]
assertStorage(metaKey)
local now = nowMs()
-- Tokens are kept ten minutes: longer than any client waits for a reply.
redis.call('ZREMRANGEBYSCORE', pushesKey, '-inf', now - 600000)
if redis.call('ZADD', pushesKey, 'NX', now, ARGV[1]) == 0 then
  return redis.call('LLEN', itemsKey)
end
local count = redis.call('LLEN', itemsKey)
-- RPUSH in slices: unpack() of too many values overflows Lua's stack.
for first = 2, #ARGV, 1000 do
  count = redis.call('RPUSH', itemsKey, unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
touch(metaKey, now, true)
return count
