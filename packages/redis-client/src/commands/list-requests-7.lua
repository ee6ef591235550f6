-- A page of the requests in id order: every one, or those of one state. KEYS: the queue's,
-- KEYS[6] ids, KEYS[7] handled. ARGV[1] exclusive start id ('' for none), ARGV[2] limit,
-- ARGV[3] filter: '' (every request), 'pending', 'locked' or 'handled'.
-- Returns { 1 when more follow, then per request: id, JSON, lock expiry (ms, or '' when not locked) }.
-- No page walks the queue: handled ones come from `handled`; pending ones from `ids`, skipping
-- the locked ones (at most as many as there are locks); locked ones from the locks, sorted by id;
-- every request from `ids` and `handled` merged.
--- @include "queue"
--- @include "queue-ids"
local now = openQueue()
useIdLayout()
local after, limit, filter = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local min = '-'
if after ~= '' then min = '(' .. after end
local page = {}
if filter == 'handled' then
  page = redis.call('ZRANGEBYLEX', handledKey, min, '+', 'LIMIT', 0, limit + 1)
elseif filter == 'pending' then
  local from = min
  while #page <= limit do
    local chunk = redis.call('ZRANGEBYLEX', idsKey, from, '+', 'LIMIT', 0, math.max(limit + 1 - #page, 64))
    if #chunk == 0 then break end
    for _, id in ipairs(chunk) do
      if #page <= limit and not redis.call('ZSCORE', locksKey, id) then page[#page + 1] = id end
    end
    from = '(' .. chunk[#chunk]
  end
elseif filter == 'locked' then
  for _, id in ipairs(redis.call('ZRANGE', locksKey, 0, -1)) do
    if after == '' or byteLess(after, id) then page[#page + 1] = id end
  end
  table.sort(page, byteLess)
else
  local open = redis.call('ZRANGEBYLEX', idsKey, min, '+', 'LIMIT', 0, limit + 1)
  local done = redis.call('ZRANGEBYLEX', handledKey, min, '+', 'LIMIT', 0, limit + 1)
  local a, b = 1, 1
  while #page <= limit and (a <= #open or b <= #done) do
    if b > #done or (a <= #open and byteLess(open[a], done[b])) then
      page[#page + 1] = open[a]
      a = a + 1
    else
      page[#page + 1] = done[b]
      b = b + 1
    end
  end
end
local out = { 0 }
if #page > limit then out[1] = 1 end
for i = 1, math.min(#page, limit) do
  local id = page[i]
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', requestsKey, id)
  out[#out + 1] = redis.call('ZSCORE', locksKey, id) or ''
end
touch(metaKey, now, false)
return out
