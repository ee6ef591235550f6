-- Creates or replaces a record. KEYS[1] meta, KEYS[2] bodies, KEYS[3] types, KEYS[4] keys (ZSET, score 0).
-- ARGV[1] the key, ARGV[2] the body (bytes), ARGV[3] the content type.
--- @include "storage"
local metaKey, bodiesKey, typesKey, keysKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
assertStorage(metaKey)
redis.call('HSET', bodiesKey, ARGV[1], ARGV[2])
redis.call('HSET', typesKey, ARGV[1], ARGV[3])
redis.call('ZADD', keysKey, 0, ARGV[1])
touch(metaKey, nowMs(), true)
return 1
