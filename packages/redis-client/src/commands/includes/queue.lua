-- Shared by the request queue scripts. Every queue script takes the queue's keys in this order:
-- KEYS[1] meta (HASH; order counters seq and fseq), KEYS[2] requests (HASH id -> JSON),
-- KEYS[3] pending (ZSET id by fetch order), KEYS[4] locks (ZSET id by expiry, ms),
-- KEYS[5] holders (HASH id -> '1' or '0' for "back to the forefront", the lock's sequence number,
-- '|', the clientKey),
-- and, for the scripts that list, add, delete or handle requests, KEYS[6] ids and KEYS[7] handled
-- (see includes/queue-ids.lua).
-- A request is pending (in `pending`), locked (in `locks`) or handled (in neither); never in both.
--- @include "storage"

local metaKey, requestsKey, pendingKey, locksKey, holdersKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]

-- Makes a request pending: after every regular request, or with `forefront` before all others.
local function placePending(id, forefront)
  if forefront then
    redis.call('ZADD', pendingKey, -redis.call('HINCRBY', metaKey, 'fseq', 1), id)
  else
    redis.call('ZADD', pendingKey, redis.call('HINCRBY', metaKey, 'seq', 1), id)
  end
end

local function endLock(id)
  redis.call('ZREM', locksKey, id)
  redis.call('HDEL', holdersKey, id)
end

-- The parts of a holders entry: back to the forefront when it ends, the order the lock was taken
-- in (the order unlockRequests places requests back), the clientKey.
local function parseHolder(holder)
  local forefront, seq, clientKey = string.match(holder, '^(%d)(%d+)|(.*)$')
  return forefront == '1', tonumber(seq), clientKey
end

local function holderEntry(forefront, seq, clientKey)
  return (forefront and '1' or '0') .. seq .. '|' .. clientKey
end

-- Makes the requests whose lock expired by `now` pending again: lazily, at each call, with no
-- periodic scan. Placed like a reclaim: last, or first when the holder asked for the forefront.
-- Locks that expire together end in the order they were taken (the ZSET orders ties by id).
local function releaseExpiredLocks(now)
  local expired = redis.call('ZRANGEBYSCORE', locksKey, '-inf', now, 'WITHSCORES')
  if #expired == 0 then return end
  local ending = {}
  for i = 1, #expired, 2 do
    local id = expired[i]
    local holder = redis.call('HGET', holdersKey, id)
    local forefront, seq = false, 0
    if holder ~= false then forefront, seq = parseHolder(holder) end
    ending[#ending + 1] = { id = id, expiresAt = tonumber(expired[i + 1]), seq = seq or 0, forefront = forefront }
  end
  table.sort(ending, function(a, b)
    if a.expiresAt ~= b.expiresAt then return a.expiresAt < b.expiresAt end
    return a.seq < b.seq
  end)
  for _, lock in ipairs(ending) do
    endLock(lock.id)
    placePending(lock.id, lock.forefront)
  end
end

-- 'pending', 'locked', 'handled', or nil for a request that does not exist. Expired locks must
-- have been released first.
local function stateOf(id)
  if redis.call('HEXISTS', requestsKey, id) == 0 then return nil end
  if redis.call('ZSCORE', pendingKey, id) then return 'pending' end
  if redis.call('ZSCORE', locksKey, id) then return 'locked' end
  return 'handled'
end

-- The clientKey holding the live lock of `id`, or nil. Expired locks must have been released first.
local function holderOf(id)
  local holder = redis.call('HGET', holdersKey, id)
  if holder == false then return nil end
  local _, _, clientKey = parseHolder(holder)
  return clientKey
end

-- Fails with LOCKED when another consumer than `clientKey` ('' for none) holds the lock of `id`.
local function assertMayChange(id, clientKey)
  local holder = holderOf(id)
  if holder ~= nil and holder ~= clientKey then
    fail('LOCKED request "' .. id .. '" is locked by another client until its lock expires')
  end
end

-- Fails with NOTFOUND when there is no request `id`; gives its state.
local function assertRequest(id)
  local state = stateOf(id)
  if state == nil then fail('NOTFOUND has no request "' .. id .. '"') end
  return state
end

-- The queue at the start of a call: it exists, and expired locks are released. Gives the time.
local function openQueue()
  assertStorage(metaKey)
  local now = nowMs()
  releaseExpiredLocks(now)
  return now
end
