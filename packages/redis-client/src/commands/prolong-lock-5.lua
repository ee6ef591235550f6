-- Extends the lock of a request held by a client.
-- KEYS: the queue's. ARGV[1] id, ARGV[2] clientKey, ARGV[3] lock length from now (ms),
-- ARGV[4] '1' to put the request first when the lock expires.
-- Returns the new expiry (ms). NOTFOUND, LOCKED (another holder), CONFLICT (not locked).
--- @include "queue"
local now = openQueue()
local id, clientKey = ARGV[1], ARGV[2]
local state = assertRequest(id)
if state ~= 'locked' then fail('CONFLICT request "' .. id .. '" is not locked (it never was, its lock expired, or it is handled)') end
assertMayChange(id, clientKey)
local expiresAt = now + tonumber(ARGV[3])
redis.call('ZADD', locksKey, expiresAt, id)
local _, seq = parseHolder(redis.call('HGET', holdersKey, id))
redis.call('HSET', holdersKey, id, holderEntry(ARGV[4] == '1', seq, clientKey))
return expiresAt
