-- A record. KEYS[1] meta, KEYS[2] bodies (HASH key -> bytes), KEYS[3] types (HASH key -> content type).
-- ARGV[1] the key. Returns { body, content type }, or an empty list when there is no record.
--- @include "storage"
local metaKey, bodiesKey, typesKey = KEYS[1], KEYS[2], KEYS[3]
assertStorage(metaKey)
touch(metaKey, nowMs(), false)
local body = redis.call('HGET', bodiesKey, ARGV[1])
if not body then return {} end
return { body, redis.call('HGET', typesKey, ARGV[1]) }
