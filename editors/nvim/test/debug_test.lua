-- Headless test of require('ginhot').debug() with a fake nvim-dap (no
-- daemon, no Delve): the address each ginhot/status announces, attaching,
-- re-attaching on each new version, not while halted, and stopping when the
-- user disconnects. Run by test/run.sh:
--   nvim --headless -u NONE -i NONE -n --cmd 'set rtp^=editors/nvim' -c 'luafile test/debug_test.lua'
-- Exit code: 0 pass, 1 a check failed.
local g = require('ginhot')
local failed = 0
local function check(cond, what)
  if not cond then
    failed = failed + 1
    io.stdout:write('FAIL: ' .. what .. '\n')
  end
end

local function version(port)
  return { state = 'running', targets = { { name = '.', package = 'example.com/app', state = 'running', debug = port and ('127.0.0.1:' .. port) or nil } } }
end

-- debug_address
check(g.debug_address(nil) == nil, 'no status, no address')
check(g.debug_address(version()) == nil, 'not in debug mode')
local a = g.debug_address(version(40001))
check(a and a.host == '127.0.0.1' and a.port == 40001 and a.target == '.', 'address of the first target')
local two = version(40001)
table.insert(two.targets, { name = './cmd/admin', package = 'example.com/app/cmd/admin', debug = '[::1]:40002' })
a = g.debug_address(two, 'example.com/app/cmd/admin')
check(a and a.host == '::1' and a.port == 40002, 'address of a named target, IPv6')
check(g.debug_address({ targets = { { name = '.', debug = 'nonsense' } } }) == nil, 'a bad address is none')

-- Without nvim-dap: an error that says so.
local notes = {}
vim.notify = function(msg)
  table.insert(notes, msg)
end
package.loaded.dap = nil
package.preload.dap = function()
  error('no dap')
end
g.debug()
check(notes[#notes] and notes[#notes]:find('nvim%-dap is not installed'), 'missing nvim-dap is reported')
package.preload.dap = nil

-- A fake nvim-dap that records the sessions it runs.
local runs, session = {}, nil
local dap = { adapters = {}, listeners = { before = { disconnect = {} }, after = { event_stopped = {}, event_continued = {}, ['continue'] = {} } } }
function dap.run(cfg)
  dap.adapters[cfg.type](function(adapter)
    table.insert(runs, { cfg = cfg, adapter = adapter })
    session = { id = #runs }
  end, cfg)
end
function dap.session()
  return session
end
function dap.disconnect(_, cb)
  for _, l in pairs(dap.listeners.before.disconnect) do
    l(session)
  end
  session = nil
  if cb then
    cb()
  end
end
function dap.close()
  session = nil
end
local function fire(kind, name)
  for _, l in pairs(dap.listeners[kind][name]) do
    l(session)
  end
end
package.loaded.dap = dap

local status, executed = version(), {}
g.status = function()
  return status
end
g.execute = function(cmd, args)
  table.insert(executed, { cmd = cmd, args = args })
end
local function announce(st)
  status = st
  g.debug_follow(st)
end
local function ports()
  local out = {}
  for _, r in ipairs(runs) do
    table.insert(out, r.adapter.port)
  end
  return table.concat(out, ',')
end

g.debug()
check(#executed == 1 and executed[1].cmd == 'ginhot.debug' and executed[1].args[1].on == true, 'debug mode is switched on first')
check(#runs == 0, 'nothing to attach to before a debug version')
announce(version(40001))
check(ports() == '40001', 'attaches to the first debug version: ' .. ports())
local r = runs[1]
check(r.adapter.type == 'server' and r.adapter.host == '127.0.0.1', 'the adapter is Delve as a DAP server')
check(r.cfg.type == 'ginhot' and r.cfg.request == 'attach' and r.cfg.mode == 'remote', 'a remote attach configuration')
check(g.debugging() == '127.0.0.1:40001', 'debugging() names the address')
announce(version(40001))
check(ports() == '40001', 'the same version does not re-attach')
announce(version(40002))
check(ports() == '40001,40002', 'a new version re-attaches: ' .. ports())
check(g.debugging() ~= nil, 'our own disconnect keeps following')

fire('after', 'event_stopped')
announce(version(40003))
check(ports() == '40001,40002', 'no re-attach while halted at a breakpoint')
fire('after', 'continue')
check(ports() == '40001,40002,40003', 'continue re-attaches to the newer version: ' .. ports())

dap.disconnect({}, nil) -- the user ends the session
check(g.debugging() == nil, 'a disconnect by the user stops the following')
announce(version(40004))
check(ports() == '40001,40002,40003', 'no attach after the user disconnected')

io.stdout:write(failed == 0 and 'debug: all passed\n' or string.format('debug: %d failed\n', failed))
vim.cmd(failed == 0 and 'qall!' or 'cquit 1')
