-- A request's JSON, or nil. KEYS: the queue's. ARGV[1] id.
--- @include "queue"
assertStorage(metaKey)
touch(metaKey, nowMs(), false)
return redis.call('HGET', requestsKey, ARGV[1])
