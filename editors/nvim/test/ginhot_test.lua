-- Headless end-to-end test of the ginhot plugin against the real ginhotd.
-- Run by test/run.sh, which copies editors/testdata/app to $GINHOT_APP and
-- builds the daemon ($GINHOTD_BIN):
--   nvim --headless -u NONE -i NONE -n --cmd 'set rtp^=editors/nvim' \
--     -c 'runtime plugin/ginhot.lua' -c 'luafile ginhot_test.lua' -c 'cquit 2'
-- Exit code: 0 pass, 1 a check failed, 2 the script itself errored.
local app = assert(os.getenv('GINHOT_APP'), 'GINHOT_APP not set')
local bin = assert(os.getenv('GINHOTD_BIN'), 'GINHOTD_BIN not set')
local TIMEOUT = tonumber(os.getenv('GINHOT_TEST_WAIT_MS') or '120000')
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')

local uv = vim.uv or vim.loop
local t0 = uv.hrtime()
local function log(...)
  local parts = vim.tbl_map(tostring, { ... })
  io.stdout:write(string.format('[%6dms] %s\n', (uv.hrtime() - t0) / 1e6, table.concat(parts, ' ')))
end

local passed, failed = 0, 0
local notes = {}
local orig_notify = vim.notify
vim.notify = function(msg, level, o)
  table.insert(notes, msg)
  log('notify:', (msg:gsub('\n', ' | ')))
  return orig_notify(msg, level, o)
end

-- noted reports whether a notification since the last call matches pattern.
local seen = 0
local function noted(pattern)
  for i = seen + 1, #notes do
    if notes[i]:find(pattern) then
      seen = i
      return true
    end
  end
  return false
end

local function stop_all()
  local function active()
    return vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  end
  for _, c in pairs(active()) do
    if vim.fn.has('nvim-0.11') == 1 then c:stop() else c.stop() end
  end
  if not vim.wait(10000, function() return #active() == 0 end, 50) then
    for _, c in pairs(active()) do
      if vim.fn.has('nvim-0.11') == 1 then c:stop(true) else c.stop(true) end
    end
    vim.wait(2000, function() return #active() == 0 end, 50)
  end
end

local function finish()
  stop_all()
  log(string.format('%d passed, %d failed', passed, failed))
  io.stdout:write(string.format('%d passed, %d failed\n', passed, failed))
  vim.cmd(failed == 0 and 'qall!' or 'cquit 1')
end

-- check records one named check; a failing one ends the test.
local function check(what, ok, detail)
  if ok then
    passed = passed + 1
    log('ok  ', what)
    return
  end
  failed = failed + 1
  log('FAIL', what, detail and ('— ' .. detail) or '')
  finish()
  error('stop', 0)
end

local function wait_for(what, cond)
  local ok = vim.wait(TIMEOUT, cond, 50)
  local ginhot = package.loaded['ginhot']
  check(what, ok, ok and nil or ('timed out after ' .. TIMEOUT .. ' ms; status ' .. vim.inspect(ginhot and ginhot.status(0) or nil):gsub('%s+', ' ')))
end

local function run()
  local ginhot = require('ginhot')
  check('lsp/ginhotd.lua is an nvim-lspconfig table', (function()
    local cfg = dofile(here .. '/../lsp/ginhotd.lua')
    return type(cfg) == 'table' and cfg.cmd[1] == 'ginhotd' and cfg.cmd[2] == '--stdio'
      and vim.tbl_contains(cfg.filetypes, 'go') and type(cfg.root_dir) == 'function'
  end)())
  local function st(state, target)
    return { state = state, root = '/src/shop', targets = { vim.tbl_extend('force', { name = './cmd/api', state = state, generation = 0 }, target) } }
  end
  local polled = vim.tbl_extend('force', st('running', { state = 'running' }), { watch = 'inotify + polling ./ (fuse) every ~1.25s', label = 'running' })
  local shown = ginhot.format_status(polled)
  check(':GinHotStatus says how changes are seen', shown[#shown] == 'watching: inotify + polling ./ (fuse) every ~1.25s', shown[#shown])
  for _, c in ipairs({ 'GinHotRestart', 'GinHotRebuild', 'GinHotStop', 'GinHotStart', 'GinHotStatus', 'GinHotExplain', 'GinHotLog' }) do
    check(':' .. c .. ' exists', vim.fn.exists(':' .. c) == 2)
  end

  vim.cmd('filetype on')
  ginhot.setup({ cmd = { bin, '--stdio' }, init_options = { addr = '127.0.0.1:0', live_reload = false } })
  local main = app .. '/main.go'
  vim.cmd('edit ' .. vim.fn.fnameescape(main))
  local buf = vim.api.nvim_get_current_buf()
  check('filetype go', vim.bo[buf].filetype == 'go', vim.bo[buf].filetype)
  check('root is the module', ginhot.root(buf) == vim.fn.resolve(app), tostring(ginhot.root(buf)))

  wait_for('ginhotd attached', function() return ginhot.client(buf) ~= nil end)
  local client = ginhot.client(buf)
  check('diagnostics auto = all without gopls', client.config.init_options.diagnostics == 'all', vim.inspect(client.config.init_options))
  check('addr passed as init option', client.config.init_options.addr == '127.0.0.1:0')
  wait_for('status running', function()
    local s = ginhot.status(buf)
    return s and s.state == 'running'
  end)
  local s = ginhot.status(buf)
  local gen = s.targets[1].generation
  check('statusline shows the URL', ginhot.statusline():match('^✓ 127%.0%.0%.1:%d+$') ~= nil, ginhot.statusline())

  -- a compile error: msg.Text -> msg.Missing, then :w
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local lnum
  for i, l in ipairs(lines) do
    if l:find('msg.Text', 1, true) then lnum = i - 1 end
  end
  check('fixture has msg.Text', lnum ~= nil)
  vim.api.nvim_buf_set_lines(buf, lnum, lnum + 1, false, { (lines[lnum + 1]:gsub('msg%.Text', 'msg.Missing')) })
  vim.cmd('silent write')
  wait_for('a diagnostic after :w', function() return #vim.diagnostic.get(buf) > 0 end)
  local d = vim.diagnostic.get(buf)[1]
  log(string.format('DIAG %d:%d %s: %s', d.lnum + 1, d.col + 1, d.source or '?', d.message))
  check('diagnostic at the edited line', d.lnum == lnum, 'got line ' .. (d.lnum + 1) .. ', want ' .. (lnum + 1))
  check('diagnostic source is go build', d.source == 'go build', tostring(d.source))
  check('diagnostic names the identifier', d.message:find('Missing', 1, true) ~= nil, d.message)
  wait_for('status failed', function() return (ginhot.status(buf) or {}).state == 'failed' end)
  check('statusline shows the failure', ginhot.statusline():find('^✗ build failed') ~= nil, ginhot.statusline())

  -- fix it, :w: the list empties and the app is running again; the fix
  -- restores the content the serving version was built from, so that
  -- version keeps serving (content-addressed binaries: no new generation)
  vim.api.nvim_buf_set_lines(buf, lnum, lnum + 1, false, { lines[lnum + 1] })
  vim.cmd('silent write')
  wait_for('diagnostics cleared after the fix', function() return #vim.diagnostic.get(buf) == 0 end)
  wait_for('running again after the fix', function()
    local st = ginhot.status(buf)
    return st and st.state == 'running' and st.targets[1].generation == gen and st.targets[1].serving
  end)

  -- :GinHotExplain on a file no target reaches
  vim.cmd('GinHotExplain ' .. vim.fn.fnameescape(app .. '/unused/unused.go'))
  wait_for(':GinHotExplain says unused.go: none', function() return noted('unused.go: none') end)

  vim.cmd('GinHotStatus')
  wait_for(':GinHotStatus lists the running target and its pid', function() return noted('ginhotd running in .*pid %d+') end)

  -- :GinHotRebuild swaps in a new generation
  gen = ginhot.status(buf).targets[1].generation
  vim.cmd('GinHotRebuild')
  wait_for(':GinHotRebuild makes a new generation', function()
    local st = ginhot.status(buf)
    return st and st.state == 'running' and st.targets[1].generation > gen
  end)

  -- :GinHotLog shows the app output in a scratch buffer
  vim.cmd('GinHotLog')
  local logbuf = vim.api.nvim_get_current_buf()
  check(':GinHotLog opens a scratch buffer', logbuf ~= buf and vim.bo[logbuf].buftype == 'nofile', vim.bo[logbuf].buftype)
  wait_for('the app output line in the log', function()
    for _, l in ipairs(vim.api.nvim_buf_get_lines(logbuf, 0, -1, false)) do
      if l:find('fixture app listening, mode debug', 1, true) then return true end
    end
    return false
  end)

  -- type an edit, pause: ginhotd builds the unsaved buffer (speculate), so
  -- :w serves that binary at once and the statusline says it was prepared
  vim.cmd('buffer ' .. buf)
  gen = ginhot.status(buf).targets[1].generation
  local before = #vim.api.nvim_buf_get_lines(logbuf, 0, -1, false)
  local mline
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if l:find('fixture app listening', 1, true) then mline = i - 1 end
  end
  check('fixture prints "fixture app listening"', mline ~= nil)
  local edited = vim.api.nvim_buf_get_lines(buf, mline, mline + 1, false)[1]:gsub('fixture app listening', 'fixture app (edited) listening')
  vim.api.nvim_buf_set_lines(buf, mline, mline + 1, false, { edited })
  wait_for('the unsaved buffer prepared (speculative build)', function()
    for _, l in ipairs(vim.api.nvim_buf_get_lines(logbuf, before, -1, false)) do
      if l:find('ginhotd: prepared', 1, true) then return true end
    end
    return false
  end)
  local saved = uv.hrtime()
  vim.cmd('silent write')
  wait_for('the prepared version serves', function()
    local st = ginhot.status(buf)
    return st and st.state == 'running' and st.targets[1].generation > gen and st.targets[1].prepared == true
  end)
  log(string.format('save -> prepared version running (status): %d ms', (uv.hrtime() - saved) / 1e6))
  check('statusline shows the version was prepared', ginhot.statusline():match('^✓ 127%.0%.0%.1:%d+ ⚡ prepared$') ~= nil, ginhot.statusline())

  -- diagnostics 'auto' asks for 'complement' when gopls is attached to the
  -- buffer: a client named gopls (a silent process stands in for it) attaches
  -- to Go buffers of a second copy of the module first.
  local app2 = app .. '2'
  vim.fn.mkdir(app2, 'p')
  vim.fn.system({ 'cp', '-r', app .. '/.', app2 })
  local gopls_id
  vim.api.nvim_create_autocmd('FileType', {
    pattern = 'go',
    callback = function(ev)
      if vim.api.nvim_buf_get_name(ev.buf):find(app2, 1, true) == 1 then
        gopls_id = gopls_id or vim.lsp.start_client({ name = 'gopls', cmd = { 'sleep', '600' }, root_dir = app2 })
        vim.lsp.buf_attach_client(ev.buf, gopls_id)
      end
    end,
  })
  vim.cmd('edit ' .. vim.fn.fnameescape(app2 .. '/main.go'))
  local buf2 = vim.api.nvim_get_current_buf()
  wait_for('ginhotd attached in the second root', function()
    local c = ginhot.client(buf2)
    return c ~= nil and c.config.root_dir == vim.fn.resolve(app2)
  end)
  local c2 = ginhot.client(buf2)
  check('diagnostics auto = complement beside gopls', c2.config.init_options.diagnostics == 'complement', vim.inspect(c2.config.init_options))
  check('one client per root', c2.id ~= client.id)
  local gopls = vim.lsp.get_client_by_id(gopls_id)
  if vim.fn.has('nvim-0.11') == 1 then gopls:stop(true) else gopls.stop(true) end
  vim.cmd('buffer ' .. buf)

  -- stopping the client stops the daemon and its app
  local pid = ginhot.status(buf).targets[1].pid
  stop_all()
  wait_for('the app process is gone', function()
    vim.fn.system({ 'kill', '-0', tostring(pid) })
    return vim.v.shell_error ~= 0
  end)
  check('statusline empty without ginhotd', ginhot.statusline() == '', ginhot.statusline())
  finish()
end

local ok, err = pcall(run)
if not ok and err ~= 'stop' then
  log('ERROR', err)
  failed = failed + 1
  finish()
end
