-- Creates the metadata hash of a storage when it is missing; an access otherwise.
-- KEYS[1] meta. ARGV[1] the name ('' for none), then field, value pairs set only at creation
-- (a key-value store's URL-signing secret).
-- Returns the metadata as a flat list of field, value.
--- @include "storage"
local metaKey = KEYS[1]
local now = nowMs()
if redis.call('EXISTS', metaKey) == 0 then
  redis.call('HSET', metaKey, 'createdAt', now, 'modifiedAt', now, 'accessedAt', now)
  if ARGV[1] ~= '' then redis.call('HSET', metaKey, 'name', ARGV[1]) end
  for i = 2, #ARGV - 1, 2 do redis.call('HSET', metaKey, ARGV[i], ARGV[i + 1]) end
else
  touch(metaKey, now, false)
end
return metadata(metaKey)
