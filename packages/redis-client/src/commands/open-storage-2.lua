-- Finds or creates a storage in the registry of its kind, atomically for every process.
-- KEYS[1] ids (HASH id -> name, '' when unnamed), KEYS[2] names (HASH name -> id).
-- ARGV[1] how: 'name' (get or create by name), 'default' (get or create by id), 'id' (get by id).
-- ARGV[2] the name or the id. ARGV[3] for 'name': the id of a new storage.
-- Returns { id, name } ('' for no name); NOTFOUND for an unknown id.
local idsKey, namesKey = KEYS[1], KEYS[2]
local how, target = ARGV[1], ARGV[2]

if how == 'name' then
  local id = redis.call('HGET', namesKey, target)
  if id then return { id, target } end
  id = ARGV[3]
  redis.call('HSET', namesKey, target, id)
  redis.call('HSET', idsKey, id, target)
  return { id, target }
end

local name = redis.call('HGET', idsKey, target)
if name then return { target, name } end
if how == 'id' then
  return redis.error_reply('NOTFOUND does not exist')
end
redis.call('HSET', idsKey, target, '')
return { target, '' }
