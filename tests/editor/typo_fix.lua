-- Driven by tests/editor/run.sh (Neovim 0.7 or later, headless). Exits 0 when the quick fix
-- restored the line, 1 with a message on standard error otherwise.
local root, bin = os.getenv('STANCE_ROOT'), os.getenv('STANCE_BIN')
local file = root .. '/rules/libya.dl'
local good = 'aligned(x, y) :- backs(x, y).'
local typo = 'aligned(x, y) :- backz(x, y).'

local function fail(message)
  io.stderr:write('error: ' .. message .. '\n')
  vim.cmd('cquit 1')
end

vim.cmd('edit ' .. file)
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = 'stance',
  cmd = { bin, 'lsp' },
  root_dir = root,
  init_options = { debounceMs = 0 },
})
if not client_id then fail('the client did not start') end
vim.lsp.buf_attach_client(buf, client_id)
if not vim.wait(20000, function()
  local c = vim.lsp.get_client_by_id(client_id)
  return c ~= nil and c.initialized
end, 20) then
  fail('the server did not initialize')
end

-- Find the line and introduce the typo.
local row
for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
  if line == good then row = i - 1 break end
end
if not row then fail('the example has no line `' .. good .. '`') end
vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { typo })

local function errors()
  return vim.diagnostic.get(buf, { severity = vim.diagnostic.severity.ERROR })
end
if not vim.wait(30000, function() return #errors() > 0 end, 20) then
  fail('no diagnostic for the typo')
end
local d = errors()[1]
if d.lnum ~= row or d.message:find('unknown relation `backz`', 1, true) == nil then
  fail('unexpected diagnostic on line ' .. d.lnum .. ': ' .. d.message)
end

-- The code action request carries the diagnostic as the server sent it (with its data).
local lsp_diag = {
  range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } },
  severity = 1,
  code = d.code,
  source = d.source,
  message = d.message,
  data = d.user_data and d.user_data.lsp and d.user_data.lsp.data,
}
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = lsp_diag.range,
  context = { diagnostics = { lsp_diag } },
}
local responses = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, 10000)
local actions = responses and responses[client_id] and responses[client_id].result
if not actions or #actions == 0 then fail('no code action for the diagnostic') end
if actions[1].title ~= 'change to `backs`' then fail('unexpected action: ' .. actions[1].title) end
vim.lsp.util.apply_workspace_edit(actions[1].edit, 'utf-16')
vim.cmd('write')

local text = vim.fn.readfile(file)
if text[row + 1] ~= good then fail('after the fix the line reads `' .. tostring(text[row + 1]) .. '`') end
if not vim.wait(30000, function() return #errors() == 0 end, 20) then
  fail('the diagnostic stayed after the fix')
end
vim.cmd('qa!')
