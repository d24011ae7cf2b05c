-- Headless Neovim (0.7+) as an LSP client of `recursa serve`: open a file, wait for diagnostics, write them
-- to a JSON file. Driven by tests/test_neovim.py through environment variables:
--   RECURSA_CMD (JSON list: the server command), RECURSA_FILE (the file to open), RECURSA_OUT (result file)
local cmd = vim.fn.json_decode(os.getenv("RECURSA_CMD"))
local file = os.getenv("RECURSA_FILE")
local out = os.getenv("RECURSA_OUT")

local function finish(result)
  local fh = io.open(out, "w")
  fh:write(vim.fn.json_encode(result))
  fh:close()
  vim.cmd("qall!")
end

vim.cmd("edit " .. vim.fn.fnameescape(file))
local client_id = vim.lsp.start_client({
  cmd = cmd,
  root_dir = vim.fn.fnamemodify(file, ":h"),
  init_options = { ranker = "unguided", reasoner = false, timeout = 5 },
  on_exit = function(code) if code ~= 0 then finish({ error = "server exited with " .. code }) end end,
})
if not client_id then
  finish({ error = "start_client failed" })
end
vim.lsp.buf_attach_client(0, client_id)

local ok = vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 100)
local diags = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(diags, { lnum = d.lnum, col = d.col, severity = d.severity, message = d.message,
                        source = d.source, code = d.code })
end
finish({ ok = ok, diagnostics = diags })
