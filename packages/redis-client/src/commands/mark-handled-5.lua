-- Stores a request as handled and ends its lock.
-- KEYS: the queue's. ARGV[1] id, ARGV[2] clientKey ('' for none), ARGV[3] JSON (with handledAt).
-- Returns 0, or 1 when it was handled already (then nothing changes). NOTFOUND, LOCKED.
-- Sent again after a dropped connection lost the reply, it finds the request handled with the
-- very JSON it stores, and answers 0 again.
--- @include "queue"
local now = openQueue()
local id, clientKey = ARGV[1], ARGV[2]
local state = assertRequest(id)
assertMayChange(id, clientKey)
if state == 'handled' then
  if redis.call('HGET', requestsKey, id) == ARGV[3] then return 0 end
  return 1
end
redis.call('ZREM', pendingKey, id)
endLock(id)
redis.call('HSET', requestsKey, id, ARGV[3])
touch(metaKey, now, true)
return 0
