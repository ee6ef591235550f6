-- A page of record keys in byte order (the keys are ASCII, so this is the order of UTF-16 code
-- units too), from the sorted index: O(log n + limit), never a read of every key.
-- KEYS[1] meta, KEYS[2] bodies, KEYS[3] types, KEYS[4] keys (ZSET, score 0).
-- ARGV[1] exclusive start key ('' for none), ARGV[2] prefix ('' for none), ARGV[3] limit.
-- Returns { truncated (1 or 0), key, size, content type, ... }.
--- @include "storage"
local metaKey, bodiesKey, typesKey, keysKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
assertStorage(metaKey)
local after, prefix, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local min, max = '-', '+'
if prefix ~= '' then
  min = '[' .. prefix
  -- Every key that starts with the prefix sorts before prefix .. '\255' (keys are ASCII).
  max = '[' .. prefix .. '\255'
end
if after ~= '' and (prefix == '' or after >= prefix) then min = '(' .. after end
local keys = redis.call('ZRANGEBYLEX', keysKey, min, max, 'LIMIT', 0, limit + 1)
local out = { 0 }
local count = math.min(#keys, limit)
if #keys > limit then out[1] = 1 end
for i = 1, count do
  local key = keys[i]
  out[#out + 1] = key
  out[#out + 1] = redis.call('HSTRLEN', bodiesKey, key)
  out[#out + 1] = redis.call('HGET', typesKey, key)
end
touch(metaKey, nowMs(), false)
return out
