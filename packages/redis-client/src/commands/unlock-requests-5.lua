-- Ends every lock a client holds, making those requests pending again, after the others, in the
-- order they were locked. KEYS: the queue's. ARGV[1] clientKey. Returns how many locks ended.
--- @include "queue"
local now = openQueue()
local clientKey = ARGV[1]
local entries = redis.call('HGETALL', holdersKey)
local mine = {}
for i = 1, #entries, 2 do
  local _, seq, holder = parseHolder(entries[i + 1])
  if holder == clientKey then mine[#mine + 1] = { seq, entries[i] } end
end
table.sort(mine, function(a, b) return a[1] < b[1] end)
for _, lock in ipairs(mine) do
  endLock(lock[2])
  placePending(lock[2], false)
end
if #mine > 0 then touch(metaKey, now, true) end
return #mine
