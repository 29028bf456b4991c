-- ginhotd for Neovim 0.11+ without the plugin, in nvim-lspconfig's lsp/
-- format: with this directory on 'runtimepath' (or the file copied to
-- ~/.config/nvim/lsp/ginhotd.lua), `vim.lsp.enable('ginhotd')` starts
-- `ginhotd --stdio` for Go buffers, one per go.work (else go.mod) root.
-- init_options take any ginhot.toml key (snake_case).
---@type vim.lsp.Config
return {
  cmd = { 'ginhotd', '--stdio' },
  filetypes = { 'go', 'gomod', 'gowork', 'gotmpl' },
  root_dir = function(bufnr, on_dir)
    local file = vim.api.nvim_buf_get_name(bufnr)
    local root = vim.fs.root(file, 'go.work') or vim.fs.root(file, 'go.mod')
    if root then
      on_dir(root)
    end
  end,
  init_options = {
    diagnostics = 'all', -- 'complement' when gopls also runs: only what gopls cannot see
  },
}
