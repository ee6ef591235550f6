-- Shared by every script: the clock, errors, and the storage's metadata hash.

-- The Redis server's time in milliseconds: one clock for every process and machine.
local function nowMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- Ends the script with an error reply; the client turns its first word into a StorageError code
-- (NOTFOUND, LOCKED, CONFLICT, ARGUMENT).
local function fail(message)
  error({ err = message })
end

-- Fails with NOTFOUND when the storage's metadata hash is gone: the storage was dropped.
local function assertStorage(metaKey)
  if redis.call('EXISTS', metaKey) == 0 then
    fail('NOTFOUND does not exist (it was dropped)')
  end
end

-- Notes an access, and a change when `modified`.
local function touch(metaKey, now, modified)
  if modified then
    redis.call('HSET', metaKey, 'accessedAt', now, 'modifiedAt', now)
  else
    redis.call('HSET', metaKey, 'accessedAt', now)
  end
end

-- The metadata hash as a flat list of field, value.
local function metadata(metaKey)
  return redis.call('HGETALL', metaKey)
end
