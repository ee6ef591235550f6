-- A page of every request in id order, from the sorted index of ids. KEYS: the queue's, KEYS[6] ids.
-- ARGV[1] exclusive start id ('' for none), ARGV[2] limit.
-- Returns { 1 when more follow, then per request: id, JSON, lock expiry (ms, or '' when not locked) }.
--- @include "queue"
local now = openQueue()
local min = '-'
if ARGV[1] ~= '' then min = '(' .. ARGV[1] end
local limit = tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYLEX', KEYS[6], min, '+', 'LIMIT', 0, limit + 1)
local out = { 0 }
if #ids > limit then out[1] = 1 end
for i = 1, math.min(#ids, limit) do
  local id = ids[i]
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', requestsKey, id)
  out[#out + 1] = redis.call('ZSCORE', locksKey, id) or ''
end
touch(metaKey, now, false)
return out
