-- Ends every lock a client holds, making those requests pending again, after the others (in the
-- order their locks would expire).
-- KEYS: the queue's. ARGV[1] clientKey. Returns how many locks ended.
--- @include "queue"
local now = openQueue()
local clientKey = ARGV[1]
local locked = redis.call('ZRANGE', locksKey, 0, -1)
local count = 0
for _, id in ipairs(locked) do
  if holderOf(id) == clientKey then
    endLock(id)
    placePending(id, false)
    count = count + 1
  end
end
if count > 0 then touch(metaKey, now, true) end
return count
