-- Stores a request, ends its lock and makes it pending again (last, or first with forefront).
-- KEYS: the queue's. ARGV[1] id, ARGV[2] clientKey ('' for none), ARGV[3] '1' for forefront,
-- ARGV[4] JSON (without handledAt).
-- Returns 0, or 1 when it was handled already (then nothing changes). NOTFOUND, LOCKED.
--- @include "queue"
local now = openQueue()
local id, clientKey = ARGV[1], ARGV[2]
local state = assertRequest(id)
assertMayChange(id, clientKey)
if state == 'handled' then return 1 end
endLock(id)
redis.call('HSET', requestsKey, id, ARGV[4])
placePending(id, ARGV[3] == '1')
touch(metaKey, now, true)
return 0
