-- A storage's metadata hash. KEYS[1] meta. Returns { field, value, ... }.
--- @include "storage"
assertStorage(KEYS[1])
return metadata(KEYS[1])
