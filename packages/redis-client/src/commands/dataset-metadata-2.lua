-- A dataset's metadata. KEYS[1] meta, KEYS[2] items.
-- Returns { itemCount, field, value, ... }.
--- @include "storage"
local metaKey, itemsKey = KEYS[1], KEYS[2]
assertStorage(metaKey)
local out = { redis.call('LLEN', itemsKey) }
for _, v in ipairs(metadata(metaKey)) do out[#out + 1] = v end
return out
