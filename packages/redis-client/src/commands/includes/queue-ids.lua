-- For the scripts that list, add, delete, handle or un-handle requests, after the queue's five
-- keys: KEYS[6] ids (ZSET, all scores 0, of the requests not handled: pending and locked) and
-- KEYS[7] handled (ZSET, all scores 0, of the handled ones). Each request is in exactly one of
-- the two; both list in id (byte) order with ZRANGEBYLEX, so a page of either state, or of both
-- merged, costs O(limit · log n).
-- Queues written before `handled` existed had every id in `ids`: the first such script moves the
-- handled ones over, once (the meta field `idLayout` is 2 from then on).
local idsKey, handledKey = KEYS[6], KEYS[7]

local function useIdLayout()
  if redis.call('HGET', metaKey, 'idLayout') == '2' then return end
  local from = '-'
  while true do
    local chunk = redis.call('ZRANGEBYLEX', idsKey, from, '+', 'LIMIT', 0, 1000)
    if #chunk == 0 then break end
    for _, id in ipairs(chunk) do
      if not redis.call('ZSCORE', pendingKey, id) and not redis.call('ZSCORE', locksKey, id) then
        redis.call('ZREM', idsKey, id)
        redis.call('ZADD', handledKey, 0, id)
      end
    end
    from = '(' .. chunk[#chunk]
  end
  redis.call('HSET', metaKey, 'idLayout', '2')
end

local function idHandled(id)
  redis.call('ZREM', idsKey, id)
  redis.call('ZADD', handledKey, 0, id)
end

local function idUnhandled(id)
  redis.call('ZREM', handledKey, id)
  redis.call('ZADD', idsKey, 0, id)
end

-- True when `a` comes before `b` in byte order, as ZRANGEBYLEX orders them (Lua's `<` follows
-- the server's locale).
local function byteLess(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
