-- One upstream call more if fewer than the limit were counted; the counter never passes the
-- limit because of this script. `floor` and `pending` bring back what an instance counted (and
-- saw) while Redis was unreachable: the counter becomes max(stored, floor) + pending.
-- KEYS: the counter. ARGV: limit, floor, pending, keep ms. Returns { took (0 or 1), counter }.
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[2])
if floor > used then used = floor end
used = used + tonumber(ARGV[3])
local took = 0
if used < tonumber(ARGV[1]) then
  used = used + 1
  took = 1
end
redis.call('SET', KEYS[1], used, 'PX', ARGV[4])
return { took, used }
