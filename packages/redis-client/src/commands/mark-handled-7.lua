-- Stores a request as handled and ends its lock; a request handled before stays handled and gets
-- the changes stored.
-- KEYS: the queue's, KEYS[6] ids, KEYS[7] handled. ARGV[1] id, ARGV[2] clientKey ('' for none), ARGV[3] JSON (with handledAt),
-- ARGV[4] '1' when the client sends the call again after a dropped connection lost the reply.
-- Returns 0, or 1 when it was handled already. NOTFOUND, LOCKED.
-- Sent again, a call that did run the first time finds the request handled with the very JSON it
-- stores, and answers 0 as the first time did.
--- @include "queue"
--- @include "queue-ids"
local now = openQueue()
useIdLayout()
local id, clientKey, json = ARGV[1], ARGV[2], ARGV[3]
local state = assertRequest(id)
assertMayChange(id, clientKey)
if state == 'handled' then
  if ARGV[4] == '1' and redis.call('HGET', requestsKey, id) == json then return 0 end
  redis.call('HSET', requestsKey, id, json)
  touch(metaKey, now, true)
  return 1
end
redis.call('ZREM', pendingKey, id)
endLock(id)
idHandled(id)
redis.call('HSET', requestsKey, id, json)
touch(metaKey, now, true)
return 0
