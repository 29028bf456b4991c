-- ginhot user commands. They act on the ginhotd serving the current buffer;
-- require('ginhot').setup{} starts ginhotd for Go buffers (see :help ginhot).
if vim.g.loaded_ginhot then
  return
end
vim.g.loaded_ginhot = true

local function targets()
  return require('ginhot').targets()
end

local commands = {
  GinHotRestart = { 'restart', 'Restart the app (all targets, or [target]) without a build', '?' },
  GinHotRebuild = { 'rebuild', 'Rebuild and swap the app (all targets, or [target])', '?' },
  GinHotStop = { 'stop', 'Stop the app (all targets, or [target])', '?' },
  GinHotStart = { 'start', 'Start the stopped app (all targets, or [target])', '?' },
  GinHotStatus = { 'show_status', 'Show the targets, their state, PIDs and URLs', 0 },
  GinHotExplain = { 'explain', 'Show what saving [file] (default: this one) would do', '?' },
  GinHotLog = { 'log', 'Show the app output in a scratch buffer', 0 },
  GinHotDebug = { 'debug', 'Debug the app with nvim-dap, re-attaching to every new version', '?' },
}

for cmd, spec in pairs(commands) do
  local fn, desc, nargs = spec[1], spec[2], spec[3]
  local opts = { nargs = nargs, desc = desc }
  if fn == 'explain' then
    opts.complete = 'file'
  elseif nargs == '?' then
    opts.complete = targets
  end
  vim.api.nvim_create_user_command(cmd, function(a)
    require('ginhot')[fn](a.args)
  end, opts)
end
