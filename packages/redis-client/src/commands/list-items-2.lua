-- A page of dataset items. KEYS[1] meta, KEYS[2] items (LIST of JSON).
-- ARGV[1] offset, ARGV[2] limit, ARGV[3] '1' for newest first.
-- Returns { total, item JSON... }. LRANGE walks from the nearer end of the list, so a page costs
-- its length plus a walk over whole list nodes, never a read of the items before it.
--- @include "storage"
local metaKey, itemsKey = KEYS[1], KEYS[2]
assertStorage(metaKey)
local offset, limit, desc = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local total = redis.call('LLEN', itemsKey)
local count = math.min(limit, total - offset)
local page = { total }
if count > 0 then
  local items
  if desc then
    -- The newest first: counted from the end with negative indexes, then reversed.
    items = redis.call('LRANGE', itemsKey, -(offset + count), -(offset + 1))
    for i = #items, 1, -1 do page[#page + 1] = items[i] end
  else
    items = redis.call('LRANGE', itemsKey, offset, offset + count - 1)
    for i = 1, #items do page[#page + 1] = items[i] end
  end
end
touch(metaKey, nowMs(), false)
return page
