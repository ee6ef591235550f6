-- Removes a storage from the registry of its kind (the first step of a drop: from here on nobody
-- opens it, and a new storage of the same name gets a new id).
-- KEYS[1] ids (HASH id -> name), KEYS[2] names (HASH name -> id). ARGV[1] the id.
-- Returns 1 when the storage was registered.
local idsKey, namesKey = KEYS[1], KEYS[2]
local id = ARGV[1]
local name = redis.call('HGET', idsKey, id)
if not name then return 0 end
redis.call('HDEL', idsKey, id)
if name ~= '' and redis.call('HGET', namesKey, name) == id then
  redis.call('HDEL', namesKey, name)
end
return 1
