-- Keeps the later of two times (Crisp's pause, a session's web hook mark).
-- KEYS: the time. ARGV: the new time (epoch ms), keep ms.
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
