-- ginhot: Neovim client for ginhotd, the reload daemon for Gin apps.
--
-- A thin client: it starts (or reuses) one `ginhotd --stdio` per module or
-- workspace root, lets Neovim's LSP client show build errors through
-- vim.diagnostic, keeps the last ginhot/status for the statusline, collects
-- the app output (window/logMessage) for :GinHotLog, and maps the daemon's
-- workspace/executeCommand commands to functions. Every decision (what to
-- rebuild, when to restart) stays in the daemon.
--
-- Runs on Neovim 0.7 (vim.lsp.start_client + buf_attach_client), 0.8-0.10
-- (vim.lsp.start) and 0.11+ (vim.lsp.config + vim.lsp.enable), chosen at
-- run time. See :help ginhot.
local M = {}

local defaults = {
  cmd = { 'ginhotd', '--stdio' },
  filetypes = { 'go', 'gomod', 'gowork', 'gotmpl' },
  -- initializationOptions: any ginhot.toml key (snake_case), e.g.
  -- { addr = '127.0.0.1:8080', targets = { './cmd/api' }, proxy = true, live_reload = true }
  init_options = {},
  -- 'auto' (complement when gopls is attached to the buffer that starts ginhotd), 'all' or 'complement'
  diagnostics = 'auto',
  on_attach = nil,
  capabilities = nil,
  -- statusline symbols per state
  icons = {
    launching = '…',
    idle = '○',
    building = '⟳',
    starting = '⟳',
    running = '✓',
    failed = '✗',
    crashed = '⚠',
    stopped = '■',
    -- appended while the serving version was prepared from the editor's
    -- buffers before its save
    prepared = '⚡',
  },
  -- how many app output lines :GinHotLog keeps per root
  log_lines = 5000,
}

--- The setup defaults (see :help ginhot-setup); read them, do not change them.
M.defaults = defaults

--- The daemon's workspace/executeCommand commands the plugin runs, by
--- function; test/contract_test.lua checks them against docs/contract.json.
M.commands = {
  restart = 'ginhot.restart',
  rebuild = 'ginhot.rebuild',
  stop = 'ginhot.stop',
  start = 'ginhot.start',
  status = 'ginhot.status',
  explain = 'ginhot.explain',
  debug = 'ginhot.debug',
}

local install = 'go install github.com/ginhotd/ginhotd/cmd/ginhotd@latest'
local name = 'ginhotd'

-- State of the running clients, by client id: { root, status, log = { lines }, logbuf }.
local state = { opts = nil, clients = {}, roots = {}, gopls = {} }

local function has(feature)
  return vim.fn.has(feature) == 1
end

local function notify(msg, level)
  vim.notify('ginhot: ' .. msg, level or vim.log.levels.INFO)
end

-- Calls a method of an LSP client object: client:method(...) on 0.11+,
-- client.method(...) before (the methods took no self until 0.11).
local function call(client, method, ...)
  if has('nvim-0.11') then
    return client[method](client, ...)
  end
  return client[method](...)
end

--- Returns the ginhotd root for a buffer: the nearest directory upwards
--- holding go.work, else go.mod; nil outside a Go module.
function M.root(bufnr)
  local file = vim.api.nvim_buf_get_name(bufnr or 0)
  if file == '' then
    return nil
  end
  local dir = vim.fn.fnamemodify(file, ':p:h')
  for _, marker in ipairs({ 'go.work', 'go.mod' }) do
    local found = vim.fn.findfile(marker, vim.fn.fnameescape(dir) .. ';')
    if found ~= '' then
      return vim.fn.fnamemodify(found, ':p:h')
    end
  end
  return nil
end

-- Returns the LSP clients attached to bufnr (all clients when bufnr is nil) named n (any name when nil).
local function clients(bufnr, n)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr, name = n })
  end
  local out = {}
  for _, c in pairs(vim.lsp.get_active_clients()) do
    if (n == nil or c.name == n) and (bufnr == nil or vim.lsp.buf_is_attached(bufnr, c.id)) then
      table.insert(out, c)
    end
  end
  return out
end

-- Reports whether client id is attached to bufnr.
local function attached(client, bufnr)
  if vim.lsp.buf_is_attached then
    return vim.lsp.buf_is_attached(bufnr, client.id)
  end
  return client.attached_buffers ~= nil and client.attached_buffers[bufnr] == true
end

-- Reports whether a client named gopls is attached to bufnr, initialized or
-- not (gopls is usually still initializing when ginhotd starts).
local function gopls_attached(bufnr)
  if vim.lsp.get_clients and #vim.lsp.get_clients({ bufnr = bufnr, name = 'gopls', _uninitialized = true }) > 0 then
    return true
  end
  -- Before 0.11 the client lists leave out clients that are still
  -- initializing; get_client_by_id finds them, and ids count up from 1.
  local last = 0
  for _, c in ipairs(clients(nil, nil)) do
    last = math.max(last, c.id)
  end
  for id = 1, last + 16 do
    local c = vim.lsp.get_client_by_id(id)
    if c and c.name == 'gopls' and attached(c, bufnr) then
      return true
    end
  end
  return false
end

-- Returns the diagnostics mode to ask for when ginhotd starts for bufnr.
local function diagnostics_mode(bufnr)
  local d = state.opts.diagnostics
  if d ~= 'auto' then
    return d
  end
  return gopls_attached(bufnr) and 'complement' or 'all'
end

-- Returns cmd with its executable resolved: from PATH, else $(go env GOPATH)/bin.
local function resolve_cmd(cmd)
  local exe = cmd[1]
  if vim.fn.executable(exe) == 1 or exe:find('/', 1, true) then
    return cmd
  end
  if vim.fn.executable('go') == 1 then
    local gopath = vim.fn.trim(vim.fn.system({ 'go', 'env', 'GOPATH' }))
    for _, dir in ipairs(vim.split(gopath, ':', { trimempty = true })) do
      local p = dir .. '/bin/' .. exe
      if vim.fn.executable(p) == 1 then
        return vim.list_extend({ p }, vim.list_slice(cmd, 2))
      end
    end
  end
  return nil
end

-- Returns the state entry of client id, creating it on first use.
local function entry(id)
  local c = state.clients[id]
  if not c then
    local client = vim.lsp.get_client_by_id(id)
    c = { root = client and client.config.root_dir, log = {} }
    state.clients[id] = c
  end
  return c
end

local function log_append(c, text)
  local lines = vim.split(text, '\n', { plain = true })
  local log = c.log
  vim.list_extend(log, lines)
  local extra = #log - state.opts.log_lines
  if extra > 0 then
    for _ = 1, extra do
      table.remove(log, 1)
    end
  end
  if c.logbuf and vim.api.nvim_buf_is_valid(c.logbuf) then
    vim.api.nvim_buf_set_lines(c.logbuf, -1, -1, false, lines)
  end
end

local handlers = {
  ['ginhot/status'] = function(_, status, ctx)
    entry(ctx.client_id).status = status
    M.debug_follow(status)
    vim.cmd('redrawstatus!')
    vim.cmd('silent doautocmd <nomodeline> User GinHotStatus')
  end,
  ['window/logMessage'] = function(_, params, ctx)
    log_append(entry(ctx.client_id), params.message)
  end,
}

-- Returns the client config for root; mode is the diagnostics mode.
local function client_config(root, cmd, mode)
  local o = state.opts
  return {
    name = name,
    cmd = cmd,
    root_dir = root,
    init_options = vim.tbl_extend('force', o.init_options, { diagnostics = mode }),
    handlers = handlers,
    capabilities = o.capabilities,
    on_init = function(client)
      entry(client.id)
    end,
    on_attach = o.on_attach,
    on_exit = function(_, _, client_id)
      state.clients[client_id] = nil
      if state.roots[root] == client_id then
        state.roots[root] = nil
      end
      vim.schedule(function()
        vim.cmd('redrawstatus!')
      end)
    end,
  }
end

local warned_missing = false

-- Starts or reuses the client for bufnr's root and attaches bufnr (0.7-0.10).
local function attach(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  local root = M.root(bufnr)
  if not root then
    return
  end
  local cmd = resolve_cmd(state.opts.cmd)
  if not cmd then
    if not warned_missing then
      warned_missing = true
      notify(state.opts.cmd[1] .. ' not found in PATH or $(go env GOPATH)/bin; install it with: ' .. install, vim.log.levels.WARN)
    end
    return
  end
  local config = client_config(root, cmd, diagnostics_mode(bufnr))
  if vim.lsp.start then
    vim.lsp.start(config, { bufnr = bufnr })
    return
  end
  local id = state.roots[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(config)
    if not id then
      return
    end
    state.roots[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

-- Registers the config with vim.lsp.config and enables it (0.11+).
local function enable()
  local cmd = resolve_cmd(state.opts.cmd)
  if not cmd then
    notify(state.opts.cmd[1] .. ' not found in PATH or $(go env GOPATH)/bin; install it with: ' .. install, vim.log.levels.WARN)
    return
  end
  local modes = {}
  local config = client_config(nil, cmd, nil)
  config.name = nil
  config.filetypes = state.opts.filetypes
  config.root_dir = function(bufnr, on_dir)
    local root = M.root(bufnr)
    if root then
      -- Scheduled, so a gopls started by the same FileType event is attached by then.
      vim.schedule(function()
        modes[root] = modes[root] or diagnostics_mode(bufnr)
        on_dir(root)
      end)
    end
  end
  config.before_init = function(params, c)
    c.init_options = vim.tbl_extend('force', state.opts.init_options, { diagnostics = modes[c.root_dir] or 'all' })
    params.initializationOptions = c.init_options
  end
  config.on_exit = function(_, _, client_id)
    state.clients[client_id] = nil
  end
  vim.lsp.config(name, config)
  vim.lsp.enable(name)
end

--- Sets the plugin up and starts ginhotd for Go buffers. opts: see :help ginhot-setup.
function M.setup(opts)
  state.opts = vim.tbl_deep_extend('force', defaults, opts or {})
  if state.opts.init_options.diagnostics then
    state.opts.diagnostics = state.opts.init_options.diagnostics
  end
  if vim.lsp.config and vim.lsp.enable then
    enable()
    return
  end
  local group = vim.api.nvim_create_augroup('ginhot', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = state.opts.filetypes,
    callback = function(ev)
      -- Scheduled, so a gopls started by the same FileType event is attached by then.
      vim.schedule(function()
        attach(ev.buf)
      end)
    end,
  })
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(state.opts.filetypes, vim.bo[buf].filetype) then
      vim.schedule(function()
        attach(buf)
      end)
    end
  end
end

--- Returns the ginhotd client for bufnr (the current buffer when nil), or
--- the only running one; nil and a reason otherwise.
function M.client(bufnr)
  local attached = clients(bufnr or vim.api.nvim_get_current_buf(), name)
  if #attached > 0 then
    return attached[1]
  end
  local all = clients(nil, name)
  if #all == 1 then
    return all[1]
  end
  if #all == 0 then
    return nil, 'ginhotd is not running (open a Go file in a module, and check :checkhealth vim.lsp)'
  end
  return nil, 'several ginhotd roots run; run this from a buffer of the one you mean'
end

--- Returns the last ginhot/status of bufnr's client, or nil.
function M.status(bufnr)
  local client = M.client(bufnr)
  local c = client and state.clients[client.id]
  return c and c.status
end

--- Runs workspace/executeCommand command with args on bufnr's client;
--- calls on_result(result) on success, reports errors with vim.notify.
function M.execute(command, args, on_result, bufnr)
  local client, why = M.client(bufnr)
  if not client then
    notify(why, vim.log.levels.ERROR)
    return
  end
  local params = { command = command, arguments = args or {} }
  call(client, 'request', 'workspace/executeCommand', params, function(err, result)
    if err then
      notify(command .. ': ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif on_result then
      on_result(result)
    end
  end, bufnr or vim.api.nvim_get_current_buf())
end

local function app_command(cmd)
  return function(target)
    M.execute(M.commands[cmd], (target and target ~= '') and { target } or {})
  end
end

--- Restarts the app (all targets, or target), without a build.
M.restart = app_command('restart')
--- Rebuilds and swaps the app (all targets, or target).
M.rebuild = app_command('rebuild')
--- Stops the app (all targets, or target).
M.stop = app_command('stop')
--- Starts the stopped app (all targets, or target).
M.start = app_command('start')

local function ms(n)
  if not n or n == 0 then
    return nil
  end
  return n < 1000 and (n .. ' ms') or string.format('%.1f s', n / 1000)
end

--- Returns a status as lines of text.
function M.format_status(s)
  local lines = { string.format('ginhotd %s in %s', s.state, s.root) }
  for _, t in ipairs(s.targets or {}) do
    local parts = { (t.name ~= '' and t.name or t.package) .. ' ' .. t.state }
    if t.pid and t.pid > 0 then
      table.insert(parts, 'pid ' .. t.pid)
    end
    if t.generation and t.generation > 0 then
      table.insert(parts, 'generation ' .. t.generation)
    end
    if ms(t.buildMs) then
      table.insert(parts, 'last build ' .. ms(t.buildMs))
    end
    if t.url and t.url ~= '' then
      table.insert(parts, t.url)
    end
    if t.note and t.note ~= '' then
      table.insert(parts, t.note)
    end
    table.insert(lines, '  ' .. table.concat(parts, ' · '))
    if t.error and t.error ~= '' then
      table.insert(lines, '    ' .. vim.split(t.error, '\n', { plain = true })[1])
    end
  end
  if #(s.targets or {}) == 0 then
    table.insert(lines, '  no target: no main package imports Gin')
  end
  if s.watch and s.watch ~= '' then
    table.insert(lines, 'watching: ' .. s.watch)
  end
  return lines
end

--- Shows the daemon's status (ginhot.status).
function M.show_status()
  M.execute(M.commands.status, {}, function(s)
    notify(table.concat(M.format_status(s), '\n'))
  end)
end

--- Shows what saving file (the current buffer's when nil) would do (ginhot.explain).
function M.explain(file)
  file = (file and file ~= '') and vim.fn.fnamemodify(file, ':p') or vim.api.nvim_buf_get_name(0)
  if file == '' then
    notify('no file to explain', vim.log.levels.WARN)
    return
  end
  M.execute(M.commands.explain, { vim.uri_from_fname(file) }, function(x)
    local reason = x.reason or ''
    if reason:sub(1, #x.decision) ~= x.decision then
      reason = x.decision .. ': ' .. reason
    end
    notify(vim.fn.fnamemodify(file, ':~:.') .. ': ' .. reason)
  end)
end

--- Opens the app output of the current buffer's root in a scratch buffer; it follows new output.
function M.log()
  local client, why = M.client()
  if not client then
    notify(why, vim.log.levels.ERROR)
    return
  end
  local c = entry(client.id)
  if not (c.logbuf and vim.api.nvim_buf_is_valid(c.logbuf)) then
    c.logbuf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(c.logbuf, 'ginhot://log/' .. (c.root or client.id))
    vim.bo[c.logbuf].bufhidden = 'hide'
    vim.bo[c.logbuf].filetype = 'ginhotlog'
    vim.api.nvim_buf_set_lines(c.logbuf, 0, -1, false, c.log)
  end
  vim.cmd('botright split')
  vim.api.nvim_win_set_buf(0, c.logbuf)
  vim.cmd('normal! G')
end

--- Returns the target names of the last status, for command completion.
function M.targets()
  local s = M.status()
  local names = {}
  for _, t in ipairs((s or {}).targets or {}) do
    table.insert(names, t.name ~= '' and t.name or t.package)
  end
  return names
end

--- Returns where to attach a debugger for status: the Delve address of
--- target (a name or package), else of the first target in debug mode,
--- as { target =, host =, port = }; nil when there is none.
function M.debug_address(status, target)
  for _, t in ipairs((status or {}).targets or {}) do
    if type(t.debug) == 'string' and t.debug ~= '' and (not target or t.name == target or t.package == target) then
      local host, port = t.debug:match('^%[?([^%]]*)%]?:(%d+)$')
      if host then
        return { target = t.name, host = host ~= '' and host or '127.0.0.1', port = tonumber(port) }
      end
    end
  end
  return nil
end

-- Debugging across reloads (M.debug): what is followed. nil when not
-- debugging; else { target, addr = the address attached to, held = a
-- newer address waiting for the user to continue }.
local debugging = nil

local function dap_config(target)
  return { type = 'ginhot', request = 'attach', mode = 'remote', name = 'GinHot: ' .. target, target = target }
end

-- Attaches nvim-dap to addr, ending the session on the old version first.
local function debug_attach(dap, addr)
  debugging.addr = addr
  debugging.held = nil
  local function run()
    dap.run(dap_config(addr.target))
  end
  local s = dap.session()
  if s then
    debugging.replacing = s
    dap.disconnect({ terminateDebuggee = false }, function()
      dap.close()
      run()
    end)
  else
    run()
  end
end

--- Starts debugging the app with nvim-dap, following every new version:
--- Delve's DAP server of the current version is the adapter, and each
--- ginhot/status that announces a new address re-attaches (not while the
--- session is halted: the old version keeps its held requests until you
--- continue). Without a version in debug mode it switches debug mode on
--- first (ginhot.debug) and attaches when the rebuilt version is ready.
--- Disconnecting yourself stops the following.
function M.debug(target)
  local ok, dap = pcall(require, 'dap')
  if not ok then
    notify('nvim-dap is not installed (https://github.com/mfussenegger/nvim-dap); attach any DAP client to the address in :GinHotStatus', vim.log.levels.ERROR)
    return
  end
  target = (target and target ~= '') and target or nil
  dap.adapters.ginhot = function(callback, config)
    local a = M.debug_address(M.status(), config.target)
    if not a then
      notify('no version runs in debug mode', vim.log.levels.ERROR)
      return
    end
    callback({ type = 'server', host = a.host, port = a.port })
  end
  dap.listeners.after.event_stopped.ginhot = function()
    if debugging then
      debugging.halted = true
    end
  end
  local function resumed()
    if debugging and debugging.halted then
      debugging.halted = false
      M.debug_follow(M.status())
    end
  end
  dap.listeners.after.event_continued.ginhot = resumed
  dap.listeners.after['continue'].ginhot = resumed
  dap.listeners.before.disconnect.ginhot = function(session)
    if debugging and debugging.replacing ~= session then
      debugging = nil -- the user ended it
    end
  end
  local addr = M.debug_address(M.status(), target)
  debugging = { target = target }
  if not addr then
    M.execute(M.commands.debug, { { on = true } })
    notify('rebuilding the app for debugging; nvim-dap attaches when it is ready')
    return
  end
  debug_attach(dap, addr)
end

--- Re-attaches when status announces a new debug address (called for
--- each ginhot/status); does nothing unless M.debug() is following.
function M.debug_follow(status)
  if not debugging then
    return
  end
  local ok, dap = pcall(require, 'dap')
  local addr = ok and M.debug_address(status, debugging.target)
  if not addr then
    return
  end
  local cur = debugging.addr
  if cur and cur.host == addr.host and cur.port == addr.port then
    return
  end
  if debugging.halted then
    debugging.held = addr
    return
  end
  debug_attach(dap, addr)
end

--- Returns the followed debug address as "host:port", or nil.
function M.debugging()
  return debugging and debugging.addr and (debugging.addr.host .. ':' .. debugging.addr.port) or nil
end

--- Returns a statusline component for the current buffer: '' when no
--- ginhotd serves it, else the state's icon and the daemon's label.
function M.statusline()
  local client = clients(vim.api.nvim_get_current_buf(), name)[1]
  if not client then
    return ''
  end
  local icons = (state.opts or defaults).icons
  local c = state.clients[client.id]
  local s = c and c.status
  if not s then
    return icons.launching .. ' ginhot'
  end
  return M.status_label(s, icons)
end

--- Returns the statusline text of a status s with the symbols of icons
--- (the setup option): the state's icon and the daemon's label (the URL
--- when running, what serves after a failure), and the prepared mark
--- while the serving version was built from the editor's buffers before
--- its save.
function M.status_label(s, icons)
  icons = icons or defaults.icons
  local text = (icons[s.state] or '?') .. ' ' .. s.label
  if s.prepared == true then
    text = text .. ' ' .. (icons.prepared or defaults.icons.prepared) .. ' prepared'
  end
  return text
end

return M
