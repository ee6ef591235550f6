-- Deletes a record if there is one. KEYS[1] meta, KEYS[2] bodies, KEYS[3] types, KEYS[4] keys.
-- ARGV[1] the key. Returns 1 when a record was deleted.
--- @include "storage"
local metaKey, bodiesKey, typesKey, keysKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
assertStorage(metaKey)
if redis.call('HDEL', bodiesKey, ARGV[1]) == 0 then return 0 end
redis.call('HDEL', typesKey, ARGV[1])
redis.call('ZREM', keysKey, ARGV[1])
touch(metaKey, nowMs(), true)
return 1
