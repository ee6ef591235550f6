-- Adds requests not present yet (by id, which is a hash of the uniqueKey); present ones are left
-- as they are. KEYS: the queue's (see includes/queue.lua), KEYS[6] ids, KEYS[7] handled.
-- ARGV[1] '1' for forefront; then, per request: id, '1' when it comes handled, JSON.
-- Returns one number per request: 0 added, 1 present, 2 present and handled.
--- @include "queue"
--- @include "queue-ids"
assertStorage(metaKey)
useIdLayout()
local forefront = ARGV[1] == '1'
local n = (#ARGV - 1) / 3
-- One block of order numbers for the batch: regular ones in their order; forefront ones ahead of
-- every earlier forefront request, the batch keeping its order (its first request comes first).
local last = redis.call('HINCRBY', metaKey, forefront and 'fseq' or 'seq', n)
local results = {}
local added = false
for i = 0, n - 1 do
  local id, handled, json = ARGV[2 + i * 3], ARGV[3 + i * 3], ARGV[4 + i * 3]
  if redis.call('HSETNX', requestsKey, id, json) == 1 then
    added = true
    if handled == '1' then
      redis.call('ZADD', handledKey, 0, id)
    else
      redis.call('ZADD', idsKey, 0, id)
      if forefront then
        redis.call('ZADD', pendingKey, -(last - i), id)
      else
        redis.call('ZADD', pendingKey, last - n + 1 + i, id)
      end
    end
    results[i + 1] = 0
  elseif redis.call('ZSCORE', pendingKey, id) or redis.call('ZSCORE', locksKey, id) then
    results[i + 1] = 1
  else
    results[i + 1] = 2
  end
end
touch(metaKey, nowMs(), added)
return results
