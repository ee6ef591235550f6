-- Deletes a request, if there is one. KEYS: the queue's, KEYS[6] ids, KEYS[7] handled.
-- ARGV[1] id, ARGV[2] clientKey ('' for none). Returns 1 when a request was deleted. LOCKED.
--- @include "queue"
--- @include "queue-ids"
local now = openQueue()
useIdLayout()
local id, clientKey = ARGV[1], ARGV[2]
if stateOf(id) == nil then return 0 end
assertMayChange(id, clientKey)
redis.call('HDEL', requestsKey, id)
redis.call('ZREM', idsKey, id)
redis.call('ZREM', handledKey, id)
redis.call('ZREM', pendingKey, id)
endLock(id)
touch(metaKey, now, true)
return 1
