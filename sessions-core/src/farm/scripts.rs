//! The farm's Lua scripts: every change to the farm's keys is one script, so Redis applies
//! it whole or not at all, and every lease is judged by one clock, Redis's own (`TIME`).
//!
//! Each script takes no `KEYS` and builds its keys from the prefix, its first argument
//! (see `keys.rs`): the farm runs on one Redis server (or a primary with replicas), not on
//! a Redis Cluster.

use std::sync::OnceLock;

/// One script: its source and its SHA-1, for `EVALSHA`.
pub(crate) struct Script {
    pub(crate) source: &'static str,
    sha: OnceLock<String>,
}

impl Script {
    const fn new(source: &'static str) -> Script {
        Script {
            source,
            sha: OnceLock::new(),
        }
    }

    pub(crate) fn sha(&self) -> &str {
        self.sha
            .get_or_init(|| redis::Script::new(self.source).get_hash().to_owned())
    }

    /// `EVALSHA sha 0 args…`, to be given its arguments.
    pub(crate) fn call(&self) -> redis::Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(self.sha()).arg(0);
        cmd
    }
}

/// A script: every one starts with the same helpers, the server's time in ms and the end
/// of a node's lease.
macro_rules! script {
    ($name:ident, $($body:literal),+) => {
        pub(crate) static $name: Script = Script::new(concat!(
            r#"
local p = ARGV[1]
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function deadline(node)
  local d = redis.call('ZSCORE', p .. 'nodes', node)
  if d then return tonumber(d) end
  return nil
end
"#,
            $($body),+
        ));
    };
}

// REGISTER prefix node inc lease_ms capacity max_bytes grace → {'ok'} | {'taken', ms_left} |
// {'reap'}. A node that is in the set but whose lease ended must be reaped before its name
// is used again, so no session of the old incarnation survives into the new one. But when
// the name's former incarnation was another process (killed, and started again) and its
// lease ended less than `grace` ms ago, its sessions may still be adopted: it becomes a
// ghost node, `NODE~INC` (no node name holds a `~`), with its lease, sessions and inbox, so
// another node can adopt them until the grace ends and the ghost is reaped.
script!(
    REGISTER,
    r#"
local node, inc, lease, cap, max = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local grace = tonumber(ARGV[7])
local nk = p .. 'n:' .. node
local t = now()
local d = deadline(node)
if d then
  local old = redis.call('HGET', nk, 'inc')
  if d > t then
    if old == inc then
      redis.call('ZADD', p .. 'nodes', t + lease, node)
      redis.call('HSET', nk, 'cap', cap, 'max', max)
      redis.call('HDEL', nk, 'leaving')
      return {'ok'}
    end
    return {'taken', tostring(d - t)}
  end
  if not old or old == inc or d + grace <= t then return {'reap'} end
  local ghost = node .. '~' .. old
  local gk = p .. 'n:' .. ghost
  redis.call('RENAME', nk, gk)
  if redis.call('EXISTS', nk .. ':s') == 1 then redis.call('RENAME', nk .. ':s', gk .. ':s') end
  local inbox = p .. 'in:' .. node
  if redis.call('EXISTS', inbox) == 1 then redis.call('RENAME', inbox, p .. 'in:' .. ghost) end
  redis.call('ZADD', p .. 'nodes', d, ghost)
  redis.call('ZREM', p .. 'nodes', node)
  for _, id in ipairs(redis.call('SMEMBERS', gk .. ':s')) do
    local sk = p .. 's:' .. id
    if redis.call('HGET', sk, 'node') == node then redis.call('HSET', sk, 'node', ghost) end
  end
end
redis.call('DEL', nk, nk .. ':s')
redis.call('HSET', nk, 'inc', inc, 'len', 0, 'active', 0, 'cap', cap, 'max', max)
redis.call('ZADD', p .. 'nodes', t + lease, node)
return {'ok'}
"#
);

// RENEW prefix node inc lease_ms → {'ok', inbox length} | 'lost' (not ours, or gone: Redis
// lost its data or we were reaped) | 'expired' (ours, but the lease ended: reap, then register
// again). The inbox's length is its unacknowledged messages: ACK deletes what it acknowledges.
script!(
    RENEW,
    r#"
local node, inc, lease = ARGV[2], ARGV[3], tonumber(ARGV[4])
local nk = p .. 'n:' .. node
local d = deadline(node)
if not d or redis.call('HGET', nk, 'inc') ~= inc then return 'lost' end
local t = now()
if d <= t then return 'expired' end
redis.call('ZADD', p .. 'nodes', t + lease, node)
return {'ok', redis.call('XLEN', p .. 'in:' .. node)}
"#
);

// ANNOUNCE prefix node inc id hasuser user hasclient client state rk ver roles → 1 | 0 (not
// registered) | -1 (the id is another node's). `state` is the session's registered state
// (JSON, '' for none), `rk` its tab's resume key and `ver` the hash of the token's secret
// ('' when no host set one): `r:RK` finds the session from a resume token on any node.
// `roles` is the user's roles as a JSON array of strings.
script!(
    ANNOUNCE,
    r#"
local node, inc, id, has, user = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6]
local nk = p .. 'n:' .. node
if redis.call('HGET', nk, 'inc') ~= inc then return 0 end
local sk = p .. 's:' .. id
local old = redis.call('HMGET', sk, 'node', 'hasuser', 'user', 'rk')
if old[1] and old[1] ~= node then return -1 end
if not old[1] then
  redis.call('SADD', nk .. ':s', id)
  redis.call('HINCRBY', nk, 'len', 1)
end
local had = old[2] == '1'
if had and ((not has) or old[3] ~= user) then redis.call('SREM', p .. 'u:' .. old[3], id) end
if has and ((not had) or old[3] ~= user) then redis.call('SADD', p .. 'u:' .. user, id) end
if had and not has then redis.call('HINCRBY', nk, 'active', -1) end
if has and not had then redis.call('HINCRBY', nk, 'active', 1) end
local rk = ARGV[10]
if old[4] and old[4] ~= '' and old[4] ~= rk then redis.call('DEL', p .. 'r:' .. old[4]) end
if rk ~= '' then redis.call('SET', p .. 'r:' .. rk, id) end
redis.call('HSET', sk, 'node', node, 'hasuser', ARGV[5], 'user', user, 'hasclient', ARGV[7],
  'client', ARGV[8], 'state', ARGV[9], 'rk', rk, 'ver', ARGV[11], 'roles', ARGV[12])
return 1
"#
);

// WITHDRAW prefix node inc id → 1 | 0 (not registered)
script!(
    WITHDRAW,
    r#"
local node, inc, id = ARGV[2], ARGV[3], ARGV[4]
local nk = p .. 'n:' .. node
if redis.call('HGET', nk, 'inc') ~= inc then return 0 end
local sk = p .. 's:' .. id
local old = redis.call('HMGET', sk, 'node', 'hasuser', 'user', 'rk')
if old[1] == node then
  if old[4] and old[4] ~= '' then redis.call('DEL', p .. 'r:' .. old[4]) end
  redis.call('SREM', nk .. ':s', id)
  redis.call('HINCRBY', nk, 'len', -1)
  if old[2] == '1' then
    redis.call('SREM', p .. 'u:' .. old[3], id)
    redis.call('HINCRBY', nk, 'active', -1)
  end
  redis.call('DEL', sk, p .. 'b:' .. id)
end
return 1
"#
);

// OWNED prefix node inc → the ids the node has announced (for a resync), or false when the
// node is not registered
script!(
    OWNED,
    r#"
local node, inc = ARGV[2], ARGV[3]
local nk = p .. 'n:' .. node
if redis.call('HGET', nk, 'inc') ~= inc then return false end
return redis.call('SMEMBERS', nk .. ':s')
"#
);

// COUNT prefix → {len, active, live node…}: the counts every live node keeps, added up.
script!(
    COUNT,
    r#"
local t = now()
local nodes = redis.call('ZRANGEBYSCORE', p .. 'nodes', '(' .. t, '+inf')
local len, active = 0, 0
local out = {0, 0}
for _, n in ipairs(nodes) do
  local c = redis.call('HMGET', p .. 'n:' .. n, 'len', 'active')
  len = len + (tonumber(c[1]) or 0)
  active = active + (tonumber(c[2]) or 0)
  out[#out + 1] = n
end
out[1] = len
out[2] = active
return out
"#
);

// GET prefix id → {} | {node, hasuser, user, hasclient, client}
script!(
    GET,
    r#"
local f = redis.call('HMGET', p .. 's:' .. ARGV[2], 'node', 'hasuser', 'user', 'hasclient', 'client')
if not f[1] then return {} end
local d = deadline(f[1])
if not d or d <= now() then return {} end
return {f[1], f[2] or '0', f[3] or '', f[4] or '0', f[5] or ''}
"#
);

// FOR_USER prefix user grace → {id, node, hasclient, client, …} of the user's sessions that a
// post reaches (as POST decides): on live nodes, and on nodes whose lease ended less than
// `grace` ms ago and that are not leaving (the session may yet be adopted, and a post to it
// waits for its adopter).
script!(
    FOR_USER,
    r#"
local t = now()
local grace = tonumber(ARGV[3])
local ids = redis.call('SMEMBERS', p .. 'u:' .. ARGV[2])
local live = {}
local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', p .. 's:' .. id, 'node', 'hasclient', 'client')
  if f[1] then
    if live[f[1]] == nil then
      local d = deadline(f[1])
      live[f[1]] = (d ~= nil and d + grace > t
        and redis.call('HEXISTS', p .. 'n:' .. f[1], 'leaving') == 0)
    end
    if live[f[1]] then
      out[#out + 1] = id
      out[#out + 1] = f[1]
      out[#out + 1] = f[2] or '0'
      out[#out + 1] = f[3] or ''
    end
  end
end
return out
"#
);

// POST prefix id from method kind args grace → {'ok', node} | {'gone'} | {'full', node, cap} |
// {'large', node, max}. The bounds are the receiving node's, checked and the message added
// in one step: a full inbox refuses, never drops. A session whose node's lease ended less
// than `grace` ms ago may still be adopted: the message waits in that node's inbox, and
// goes with the session to its adopter (ADOPT).
script!(
    POST,
    r#"
local id = ARGV[2]
local node = redis.call('HGET', p .. 's:' .. id, 'node')
if not node then return {'gone'} end
local nk = p .. 'n:' .. node
local d = deadline(node)
if not d or d + tonumber(ARGV[7]) <= now() or redis.call('HEXISTS', nk, 'leaving') == 1 then
  return {'gone'}
end
local limits = redis.call('HMGET', nk, 'cap', 'max')
local cap, max = tonumber(limits[1]) or 0, tonumber(limits[2]) or 0
if #ARGV[4] + #ARGV[6] > max then return {'large', node, tostring(max)} end
local inbox = p .. 'in:' .. node
if redis.call('XLEN', inbox) >= cap then return {'full', node, tostring(cap)} end
redis.call('XADD', inbox, '*', 's', id, 'f', ARGV[3], 'm', ARGV[4], ARGV[5], ARGV[6])
return {'ok', node}
"#
);

// ACK prefix node group keep nids id… (session count entry…)… → how many were acknowledged.
// The `nids` entries are acknowledged and deleted, so the inbox's length is what is waiting
// or being delivered; in the same step each session's `count` notification entries are
// appended to its list `b:ID`, which keeps the last `keep`, when the session is this node's
// (see `carry.rs`). With no ids, it only writes notifications.
script!(
    ACK,
    r#"
local node, group, keep, nids = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local inbox = p .. 'in:' .. node
local n = 0
if nids > 0 then
  local ids = {}
  for i = 6, 5 + nids do ids[#ids + 1] = ARGV[i] end
  n = redis.call('XACK', inbox, group, unpack(ids))
  redis.call('XDEL', inbox, unpack(ids))
end
local i = 6 + nids
while i < #ARGV do
  local id, count = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('HGET', p .. 's:' .. id, 'node') == node then
    local bk = p .. 'b:' .. id
    redis.call('RPUSH', bk, unpack(ARGV, i + 2, i + 1 + count))
    redis.call('LTRIM', bk, -keep, -1)
  end
  i = i + 2 + count
end
return n
"#
);

// DEAD prefix limit grace → up to `limit` nodes whose lease ended at least `grace` ms ago
// (before, their sessions may still be adopted)
script!(
    DEAD,
    r#"
return redis.call('ZRANGEBYSCORE', p .. 'nodes', '-inf', now() - tonumber(ARGV[3]), 'LIMIT', 0,
  tonumber(ARGV[2]))
"#
);

// REAP prefix node batch grace → {'alive'} | {'more', removed, left} | {'done', 0, left}
// Removes up to `batch` sessions of a node whose lease ended at least `grace` ms ago (its
// sessions not adopted within the grace); once none is left, counts the messages left in
// its inbox and removes the inbox and the node. `left` counts messages that waited for a
// removed session's adopter too. Several nodes may reap the same dead node at once: each
// session and the inbox are taken by exactly one of them. A node that is leaving reaps
// itself with no grace.
script!(
    REAP,
    r#"
local node, batch, grace = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local nk = p .. 'n:' .. node
local d = deadline(node)
if not d then return {'done', 0, 0} end
if d + grace > now() then return {'alive'} end
local ids = redis.call('SPOP', nk .. ':s', batch)
local left = 0
for _, id in ipairs(ids) do
  local sk = p .. 's:' .. id
  local f = redis.call('HMGET', sk, 'node', 'hasuser', 'user', 'rk')
  if f[1] == node then
    if f[2] == '1' then redis.call('SREM', p .. 'u:' .. f[3], id) end
    if f[4] and f[4] ~= '' then redis.call('DEL', p .. 'r:' .. f[4]) end
    redis.call('DEL', sk, p .. 'b:' .. id)
    local hold = p .. 'o:' .. id
    left = left + redis.call('XLEN', hold)
    redis.call('DEL', hold)
  end
end
if #ids > 0 then return {'more', #ids, left} end
local inbox = p .. 'in:' .. node
left = redis.call('XLEN', inbox)
redis.call('DEL', inbox, nk, nk .. ':s')
redis.call('ZREM', p .. 'nodes', node)
return {'done', 0, left}
"#
);

// RELEASE prefix node inc → 1 | 0: the node (draining) lets any node adopt its sessions now,
// without waiting for its lease to end. Posts to them still wait in its inbox, for the
// adopter.
script!(
    RELEASE,
    r#"
local node, inc = ARGV[2], ARGV[3]
local nk = p .. 'n:' .. node
if redis.call('HGET', nk, 'inc') ~= inc or not deadline(node) then return 0 end
redis.call('HSET', nk, 'released', 1)
return 1
"#
);

// ADOPT prefix node inc rk ver client grace → {'ok', id, hasuser, user, state, roles,
// notifications} | {'no'} | {'held', owner} | {'lost'}. The session the resume key `rk` names
// moves to `node` when the verifier and the client are its own and its owner released it or
// its lease ended less than `grace` ms ago; in the same step, its messages waiting in the
// owner's inbox move, in order, to its hold `o:ID`, which HANDOVER empties into the adopter's
// inbox once the session is open there, and its notification list `b:ID` is read. A message
// the owner had taken and not acknowledged moves too: its notifications are written with its
// acknowledgement (ACK), so none of them had left, and it runs again on the adopter. Two
// nodes adopting at once: the first script moves it, the second finds it held by a live node.
script!(
    ADOPT,
    r#"
local node, inc, rk, ver, client, grace = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6],
  tonumber(ARGV[7])
local nk = p .. 'n:' .. node
if redis.call('HGET', nk, 'inc') ~= inc or not deadline(node) then return {'lost'} end
local id = redis.call('GET', p .. 'r:' .. rk)
if not id then return {'no'} end
local sk = p .. 's:' .. id
local f = redis.call('HMGET', sk, 'node', 'hasuser', 'user', 'hasclient', 'client', 'ver', 'state',
  'roles')
if not f[1] or f[6] ~= ver or f[4] ~= '1' or f[5] ~= client then return {'no'} end
local old = f[1]
if old == node then return {'held', node} end
local ok = p .. 'n:' .. old
local d = deadline(old)
local t = now()
if redis.call('HEXISTS', ok, 'released') == 0 then
  if d and d > t then return {'held', old} end
  if d and d + grace <= t then return {'no'} end
end
redis.call('SREM', ok .. ':s', id)
redis.call('HINCRBY', ok, 'len', -1)
redis.call('SADD', nk .. ':s', id)
redis.call('HINCRBY', nk, 'len', 1)
if f[2] == '1' then
  redis.call('HINCRBY', ok, 'active', -1)
  redis.call('HINCRBY', nk, 'active', 1)
end
redis.call('HSET', sk, 'node', node)
local inbox = p .. 'in:' .. old
local hold = p .. 'o:' .. id
local entries = redis.call('XRANGE', inbox, '-', '+')
for _, e in ipairs(entries) do
  local fields = e[2]
  local target
  for i = 1, #fields, 2 do
    if fields[i] == 's' then target = fields[i + 1] end
  end
  if target == id then
    redis.call('XADD', hold, '*', unpack(fields))
    redis.call('XDEL', inbox, e[1])
  end
end
return {'ok', id, f[2] or '0', f[3] or '', f[7] or '', f[8] or '[]',
  redis.call('LRANGE', p .. 'b:' .. id, 0, -1)}
"#
);

// HANDOVER prefix node id → how many messages moved from the session's hold to the node's
// inbox (in order), when the session is the node's.
script!(
    HANDOVER,
    r#"
local node, id = ARGV[2], ARGV[3]
if redis.call('HGET', p .. 's:' .. id, 'node') ~= node then return 0 end
local hold = p .. 'o:' .. id
local inbox = p .. 'in:' .. node
local entries = redis.call('XRANGE', hold, '-', '+')
for _, e in ipairs(entries) do
  redis.call('XADD', inbox, '*', unpack(e[2]))
end
redis.call('DEL', hold)
return #entries
"#
);

// LEAVING prefix node inc lease_ms → 1 | 0: no more posts are taken for the node, and its
// lease is extended once, so it can deliver what its inbox holds before it retires.
script!(
    LEAVING,
    r#"
local node, inc, lease = ARGV[2], ARGV[3], tonumber(ARGV[4])
local nk = p .. 'n:' .. node
if redis.call('HGET', nk, 'inc') ~= inc or not deadline(node) then return 0 end
redis.call('HSET', nk, 'leaving', 1)
redis.call('ZADD', p .. 'nodes', now() + lease, node)
return 1
"#
);

// RETIRE prefix node inc → 1 | 0: ends the node's lease now, so it can be reaped.
script!(
    RETIRE,
    r#"
local node, inc = ARGV[2], ARGV[3]
if redis.call('HGET', p .. 'n:' .. node, 'inc') ~= inc or not deadline(node) then return 0 end
redis.call('ZADD', p .. 'nodes', 0, node)
return 1
"#
);

// A shared variable's hash `p..'v:'..path` holds its change: `v` (version), `val` (the
// value as JSON), `t` (ms, Redis clock), the writer (`s` session id or '', `r` root '1'/'0',
// `hu` has a user '1'/'0', `u` user name), and `seed` ('1' when a node put it there from
// what it held, not a write). Every change is published on `p..'vars'` as the JSON object
// `{p, v, val, t, s, r, hu, u}` (every field a string), what VAR_SEED answers too.
macro_rules! var_script {
    ($name:ident, $body:literal) => {
        script!(
            $name,
            r#"
local function int(n) return string.format('%d', n) end
local function change(path)
  local f = redis.call('HMGET', p .. 'v:' .. path, 'v', 'val', 't', 's', 'r', 'hu', 'u')
  if not f[1] then return false end
  return cjson.encode({p = path, v = f[1], val = f[2] or '', t = f[3] or '0', s = f[4] or '',
    r = f[5] or '0', hu = f[6] or '0', u = f[7] or ''})
end
local function publish(path)
  local c = change(path)
  if c then redis.call('PUBLISH', p .. 'vars', c) end
  return c
end
"#,
            $body
        );
    };
}

// VAR_WRITE prefix path value floor session root hasuser user → {version, t, hasold, old}:
// the next version, above what Redis holds and above `floor` (what the writing node holds,
// so a version never goes back after Redis lost its data), stored with the value and the
// writer, and published.
var_script!(
    VAR_WRITE,
    r#"
local path, val, floor = ARGV[2], ARGV[3], tonumber(ARGV[4]) or 0
local k = p .. 'v:' .. path
local old = redis.call('HMGET', k, 'v', 'val')
local v = math.max(tonumber(old[1]) or 0, floor) + 1
local t = now()
redis.call('HSET', k, 'v', int(v), 'val', val, 't', int(t), 's', ARGV[5], 'r', ARGV[6],
  'hu', ARGV[7], 'u', ARGV[8], 'seed', '0')
publish(path)
if old[2] then return {int(v), int(t), '1', old[2]} end
return {int(v), int(t), '0', ''}
"#
);

// VAR_SEED prefix path value version t session root hasuser user → the change Redis holds
// after it (as published): run by a node that shares the variable, and again after each
// reconnect, with what it holds.
// - Nothing there (first node, or Redis lost its data): the node's change is put there.
// - A seeded change older than the node's: the node's replaces it (the newest one any node
//   held wins).
// - A written change older than the node's (or as old, with another value): it is kept,
//   given a version above the node's, so a write made after a restart is not lost and every
//   node takes it.
var_script!(
    VAR_SEED,
    r#"
local path, val, v = ARGV[2], ARGV[3], tonumber(ARGV[4]) or 0
local k = p .. 'v:' .. path
local f = redis.call('HMGET', k, 'v', 'val', 'seed')
local held = tonumber(f[1])
if (not held) or (held < v and f[3] == '1') then
  redis.call('DEL', k)
  redis.call('HSET', k, 'v', int(v), 'val', val, 't', ARGV[5], 's', ARGV[6], 'r', ARGV[7],
    'hu', ARGV[8], 'u', ARGV[9], 'seed', '1')
  return publish(path)
end
if held < v or (held == v and f[2] ~= val) then
  redis.call('HSET', k, 'v', int(v + 1))
  return publish(path)
end
return change(path)
"#
);

/// Every script, loaded on each new connection.
pub(crate) static ALL: [&Script; 19] = [
    &REGISTER, &RENEW, &ANNOUNCE, &WITHDRAW, &OWNED, &COUNT, &GET, &FOR_USER, &POST, &ACK, &DEAD,
    &REAP, &LEAVING, &RETIRE, &VAR_WRITE, &VAR_SEED, &RELEASE, &ADOPT, &HANDOVER,
];
