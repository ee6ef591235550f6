-- Ends the lock of a request held by a client and makes the request pending again.
-- KEYS: the queue's. ARGV[1] id, ARGV[2] clientKey, ARGV[3] '1' for forefront.
-- Returns 1 when a lock ended, 0 when the request was not locked. NOTFOUND, LOCKED.
--- @include "queue"
local now = openQueue()
local id, clientKey = ARGV[1], ARGV[2]
if assertRequest(id) ~= 'locked' then return 0 end
assertMayChange(id, clientKey)
endLock(id)
placePending(id, ARGV[3] == '1')
touch(metaKey, now, true)
return 1
