-- Stores changes to a request. Its lock stays as it is, except that a handledAt on an unhandled
-- request marks it handled (ending its lock), and none on a handled one makes it pending again;
-- a pending request moves first with forefront.
-- KEYS: the queue's, KEYS[6] ids, KEYS[7] handled. ARGV[1] id, ARGV[2] clientKey ('' for none), ARGV[3] '1' for forefront,
-- ARGV[4] '1' when the request has a handledAt, ARGV[5] JSON.
-- Returns 1 when the request was handled before, else 0. NOTFOUND, LOCKED.
--- @include "queue"
--- @include "queue-ids"
local now = openQueue()
useIdLayout()
local id, clientKey, forefront, wantsHandled = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4] == '1'
local state = assertRequest(id)
assertMayChange(id, clientKey)
if wantsHandled and state ~= 'handled' then
  redis.call('ZREM', pendingKey, id)
  endLock(id)
  idHandled(id)
elseif not wantsHandled and state == 'handled' then
  idUnhandled(id)
  placePending(id, forefront)
elseif state == 'pending' and forefront then
  placePending(id, true)
end
redis.call('HSET', requestsKey, id, ARGV[5])
touch(metaKey, now, true)
if state == 'handled' then return 1 end
return 0
