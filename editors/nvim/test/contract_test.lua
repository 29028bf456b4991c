-- Headless test of the plugin against docs/contract.json, which
-- `go generate ./daemon/lsp` writes from the daemon's definitions: the
-- commands the plugin runs, the states it has icons for, and the statusline
-- and :GinHotStatus text of the contract's example statuses. No daemon.
-- Run by test/run.sh:
--   nvim --headless -u NONE -i NONE -n --cmd 'set rtp^=editors/nvim' -c 'luafile test/contract_test.lua'
-- Exit code: 0 pass, 1 a check failed.
local g = require('ginhot')
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local contract = vim.fn.json_decode(table.concat(vim.fn.readfile(here .. '/../../../docs/contract.json'), '\n'))
local failed = 0
local function check(cond, what)
  if not cond then
    failed = failed + 1
    io.stdout:write('FAIL: ' .. what .. '\n')
  end
end

-- sorted returns the sorted list of t's values, or keys with keys = true.
local function sorted(t, keys)
  local out = {}
  for k, v in pairs(t) do
    table.insert(out, keys and k or v)
  end
  table.sort(out)
  return table.concat(out, ',')
end

local names = {}
for _, c in ipairs(contract.commands) do
  table.insert(names, c.name)
end
check(sorted(g.commands) == sorted(names), 'the plugin runs the contract\'s commands: ' .. sorted(g.commands) .. ' vs ' .. sorted(names))

local states = {}
for _, s in ipairs(contract.states) do
  table.insert(states, s.name)
end
local icons = vim.deepcopy(g.defaults.icons)
-- the two symbols that are not states: before the first status, and the prepared mark
icons.launching, icons.prepared = nil, nil
check(sorted(icons, true) == sorted(states), 'an icon for each of the contract\'s states and no other: ' .. sorted(icons, true) .. ' vs ' .. sorted(states))

check(#contract.examples > 0, 'the contract has examples')
for _, s in ipairs(contract.examples) do
  local want = g.defaults.icons[s.state] .. ' ' .. s.label .. (s.prepared and (' ' .. g.defaults.icons.prepared .. ' prepared') or '')
  local got = g.status_label(s)
  check(got == want, 'statusline of ' .. s.label .. ': ' .. got .. ', want ' .. want)
  local text = table.concat(g.format_status(s), '\n')
  for _, t in ipairs(s.targets) do
    if t.note and t.note ~= '' then
      check(text:find(t.note, 1, true) ~= nil, ':GinHotStatus of ' .. s.label .. ' lacks ' .. t.note)
    end
  end
end

io.stdout:write(failed == 0 and 'contract: all passed\n' or string.format('contract: %d failed\n', failed))
vim.cmd(failed == 0 and 'qall!' or 'cquit 1')
