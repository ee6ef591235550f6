-- Whether a record exists. KEYS[1] meta, KEYS[2] bodies. ARGV[1] the key. Returns 1 or 0.
--- @include "storage"
assertStorage(KEYS[1])
return redis.call('HEXISTS', KEYS[2], ARGV[1])
