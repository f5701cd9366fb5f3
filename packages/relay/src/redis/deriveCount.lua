-- A web hook's word on a cached count, in one step across instances (`RelayStore.deriveCount`).
-- KEYS: the count, the session's mark. ARGV: delta, at, retain ms. Returns the new entry's JSON.
local text = redis.call('GET', KEYS[1])
if not text then return false end
local ok, entry = pcall(cjson.decode, text)
if not ok or type(entry) ~= 'table' or type(entry.count) ~= 'number' or entry.removed then
  return false
end
local mark = tonumber(redis.call('GET', KEYS[2]) or '0')
if mark > entry.readAt then return false end
local readAt = math.max(tonumber(ARGV[2]), entry.readAt)
local count = math.max(0, entry.count + tonumber(ARGV[1]))
local changedAt = math.max(readAt, entry.changedAt + 1)
local assumed = ''
if entry.assumed == true then assumed = ',"assumed":true' end
local out = string.format('{"count":%d,"readAt":%d,"changedAt":%d,"derived":true%s}', count, readAt, changedAt, assumed)
redis.call('SET', KEYS[1], out, 'PX', ARGV[3])
if readAt > mark then redis.call('SET', KEYS[2], readAt, 'PX', ARGV[3]) end
return out
