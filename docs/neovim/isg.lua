-- isg.lua: Neovim client for isg-lsp (the Interface Signature Graph language server).
--
-- Usable as-is, without plugins:
--   require('isg').setup({})                                   -- put this file in ~/.config/nvim/lua/isg.lua
--   dofile('/path/to/isg-lsp/docs/neovim/isg.lua').setup({})   -- or load it from a clone of the repository
--
-- Works on Neovim 0.8+ (vim.lsp.start) and 0.7 (vim.lsp.start_client + vim.lsp.buf_attach_client).
-- See docs/neovim.md for the options, the commands and the nvim-lspconfig way. The protocol is docs/protocol.md.

local M = {}

local api = vim.api

M.defaults = {
  -- Command line of the server. nil: `isg-lsp serve` when `isg-lsp` is on PATH, else `python3 -m isg_lsp serve`.
  cmd = nil,
  name = 'isg',
  filetypes = { 'rust', 'java', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python', 'go' },
  -- The workspace root is the nearest directory above the file holding one of these; else the file's directory.
  root_markers = { 'Cargo.toml', '.git', 'pyproject.toml', 'package.json', 'go.mod', 'pom.xml' },
  -- initializationOptions (docs/protocol.md); dotted keys are nested tables: lenses.implementations -> lenses = { implementations = ... }
  init_options = {
    lenses = { implementations = true, callers = true, blastRadius = true },
    blastRadiusDepth = 3,
    includeHeuristic = true,
  },
  -- refresh code lenses on BufEnter, InsertLeave and CursorHold (and when the server asks)
  codelens = true,
  -- buffer-local keymaps: false to disable, or a table { implementations = '<leader>ii', ... } to choose the keys
  keymaps = {
    implementations = '<leader>ii',
    callers = '<leader>ic',
    blast_radius = '<leader>ib',
    context = '<leader>ix',
    stats = '<leader>is',
    codelens_run = '<leader>il',
  },
  -- open the quickfix window after filling it
  open_quickfix = true,
  capabilities = nil, -- e.g. require('cmp_nvim_lsp').default_capabilities()
  on_attach = nil, -- function(client, bufnr)
  handlers = nil, -- extra LSP handlers
}

local opts = vim.deepcopy(M.defaults)
local clients_by_root = {} -- 0.7: root_dir -> client id
local warned = {}

local function notify(msg, level)
  -- scheduled: outside autocommands and callbacks, so it reads as a message, not as an error in an autocommand
  vim.schedule(function()
    vim.notify('[isg] ' .. msg, level or vim.log.levels.INFO)
  end)
end

local function notify_once(key, msg, level)
  if warned[key] then
    return
  end
  warned[key] = true
  notify(msg, level)
end

local INSTALL_HINT = 'Install the server from a clone of the isg-lsp repository: `pipx install .` (or `uv tool '
  .. 'install .`) there puts `isg-lsp` on the PATH; or pass another `cmd` to require("isg").setup().'

-- Compatibility helpers ---------------------------------------------------------------------------------------------

local function client_request(client, method, params, handler, bufnr)
  if vim.fn.has('nvim-0.11') == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function get_clients(filter)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients(filter)
  end
  local out = {}
  local list = filter.bufnr and vim.lsp.buf_get_clients(filter.bufnr) or vim.lsp.get_active_clients()
  for _, c in pairs(list) do
    if not filter.name or c.name == filter.name then
      table.insert(out, c)
    end
  end
  return out
end

--- The isg client attached to `bufnr`, else any running isg client.
function M.get_client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local attached = get_clients({ bufnr = bufnr, name = opts.name })
  if attached[1] then
    return attached[1], true
  end
  local any = get_clients({ name = opts.name })
  return any[1], false
end

local function default_cmd()
  if vim.fn.executable('isg-lsp') == 1 then
    return { 'isg-lsp', 'serve' }
  end
  return { 'python3', '-m', 'isg_lsp', 'serve' }
end

local function find_root(bufnr)
  local fname = api.nvim_buf_get_name(bufnr)
  if fname == '' then
    return nil
  end
  local dir = vim.fn.fnamemodify(fname, ':p:h')
  local found = nil
  if vim.fs and vim.fs.find then
    local hit = vim.fs.find(opts.root_markers, { path = dir, upward = true })[1]
    found = hit and vim.fn.fnamemodify(hit, ':p:h') or nil
  else
    local cur = dir
    while cur and cur ~= '' do
      for _, marker in ipairs(opts.root_markers) do
        local p = cur .. '/' .. marker
        if vim.loop.fs_stat(p) then
          found = cur
          break
        end
      end
      if found then
        break
      end
      local parent = vim.fn.fnamemodify(cur, ':h')
      if parent == cur then
        break
      end
      cur = parent
    end
  end
  local root = (found or dir):gsub('/$', '')
  return root
end

-- Checks once that the server can be started; explains how to install it when not.
local function preflight(cmd)
  local key = table.concat(cmd, ' ')
  if warned['ok:' .. key] ~= nil then
    return warned['ok:' .. key]
  end
  local ok = true
  if vim.fn.executable(cmd[1]) ~= 1 then
    notify(('cannot start the server: `%s` is not an executable. %s'):format(cmd[1], INSTALL_HINT), vim.log.levels.ERROR)
    ok = false
  elseif cmd[2] == '-m' and cmd[3] == 'isg_lsp' then
    vim.fn.system({ cmd[1], '-c', 'import isg_lsp' })
    if vim.v.shell_error ~= 0 then
      notify(('cannot start the server: `%s` has no module isg_lsp. %s'):format(cmd[1], INSTALL_HINT), vim.log.levels.ERROR)
      ok = false
    end
  end
  warned['ok:' .. key] = ok
  return ok
end

-- Results -----------------------------------------------------------------------------------------------------------

local function loc_item(location, text)
  return {
    filename = vim.uri_to_fname(location.uri),
    lnum = location.range.start.line + 1,
    col = location.range.start.character + 1,
    text = text,
  }
end

local function set_qf(title, items)
  vim.fn.setqflist({}, ' ', { title = title, items = items })
  if opts.open_quickfix and #items > 0 then
    vim.cmd('botright copen')
  end
end

--- Shows `lines` in a read-only scratch buffer named `name` (reused when it exists).
function M.scratch(name, lines, filetype)
  local bufname = 'isg://' .. name
  local buf = vim.fn.bufnr(bufname)
  if buf == -1 or not api.nvim_buf_is_valid(buf) then
    buf = api.nvim_create_buf(false, true)
    api.nvim_buf_set_name(buf, bufname)
    api.nvim_buf_set_option(buf, 'bufhidden', 'hide')
    api.nvim_buf_set_option(buf, 'swapfile', false)
  end
  api.nvim_buf_set_option(buf, 'modifiable', true)
  api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  api.nvim_buf_set_option(buf, 'modifiable', false)
  api.nvim_buf_set_option(buf, 'filetype', filetype or 'markdown')
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd('botright split')
    api.nvim_win_set_buf(0, buf)
  else
    api.nvim_set_current_win(win)
  end
  return buf
end

local function split_lines(text)
  return vim.split(text or '', '\n', { plain = true })
end

local function target_name(target)
  if not target or #target == 0 then
    return '(unknown target)'
  end
  return target[1].fqp .. (#target > 1 and (' (+%d overloads)'):format(#target - 1) or '')
end

local function edge_items(list)
  local items = {}
  for _, x in ipairs(list or {}) do
    local text = ('%s [%s, %s]'):format(x.node.fqp, x.node.kindName or x.node.kind, x.edge.resolution)
    if x.node.location and x.node.location ~= vim.NIL then
      table.insert(items, loc_item(x.node.location, text))
    else
      table.insert(items, { text = text .. ' (external)', valid = 0 })
    end
  end
  return items
end

local function format_stats(s)
  local function n(v)
    return v == nil and '-' or tostring(v)
  end
  local lines = {
    '# ISG statistics',
    '',
    ('state: %s (%s/%s files indexed)'):format(s.state, n(s.indexed and s.indexed.done), n(s.indexed and s.indexed.total)),
    ('files: %s  nodes: %s  edges: %s  heuristic edges: %s  unresolved references: %s'):format(
      n(s.files), n(s.nodes), n(s.edges), n(s.heuristicEdges), n(s.unresolvedReferences)),
  }
  for _, section in ipairs({ { 'nodes by kind', s.nodesByKind }, { 'edges by kind', s.edgesByKind }, { 'files by language', s.byLanguage } }) do
    if type(section[2]) == 'table' and next(section[2]) then
      table.insert(lines, '')
      table.insert(lines, '## ' .. section[1])
      local keys = vim.tbl_keys(section[2])
      table.sort(keys)
      for _, k in ipairs(keys) do
        table.insert(lines, ('- %s: %s'):format(k, n(section[2][k])))
      end
    end
  end
  if type(s.database) == 'table' then
    table.insert(lines, '')
    table.insert(lines, ('database: %s (%s)'):format(
      (s.database.path ~= vim.NIL and s.database.path) or '(in memory)', s.database.persistent and 'persistent' or 'not persistent'))
  end
  if type(s.latencyMs) == 'table' then
    for _, op in ipairs({ 'update', 'query' }) do
      local l = s.latencyMs[op]
      if type(l) == 'table' then
        table.insert(lines, ('latency %s: p50 %s ms, p95 %s ms, p99 %s ms (%s ops)'):format(op, n(l.p50), n(l.p95), n(l.p99), n(l.count)))
      end
    end
  end
  return lines
end

local function cell(v)
  if v == nil or v == vim.NIL then
    return ''
  end
  if type(v) == 'table' then
    return vim.fn.json_encode(v)
  end
  return tostring(v)
end

local function format_query(query, r)
  local lines = { '# ISG query: ' .. query, '' }
  table.insert(lines, ('%d row(s)%s, %s ms%s'):format(#(r.rows or {}), r.truncated and ' (truncated)' or '', cell(r.elapsedMs),
    (r.heuristicCount or 0) > 0 and (', %d heuristic'):format(r.heuristicCount) or ''))
  table.insert(lines, '')
  local cols = r.columns or {}
  if #cols == 0 and r.rows and r.rows[1] then
    cols = vim.tbl_keys(r.rows[1])
    table.sort(cols)
  end
  if #cols > 0 then
    table.insert(lines, table.concat(cols, '\t'))
    for _, row in ipairs(r.rows or {}) do
      local cells = {}
      for i, c in ipairs(cols) do
        cells[i] = cell(row[c])
      end
      table.insert(lines, table.concat(cells, '\t'))
    end
  end
  if r.triples and r.triples ~= vim.NIL then
    table.insert(lines, '')
    vim.list_extend(lines, split_lines(r.triples))
  end
  return lines
end

-- Requests ----------------------------------------------------------------------------------------------------------

--- Sends an isg/* request with the client of the current buffer; calls on_result(result, client) on success.
function M.request(method, params, on_result)
  local bufnr = api.nvim_get_current_buf()
  local client = M.get_client(bufnr)
  if not client then
    notify('the isg-lsp server is not running for this buffer (open a file of the workspace first).', vim.log.levels.WARN)
    return
  end
  client_request(client, method, params, function(err, result)
    if err then
      local msg = type(err) == 'table' and (err.message or vim.inspect(err)) or tostring(err)
      if type(err) == 'table' and err.code == -32602 and msg:match('no node matches') then
        notify('no declaration at the cursor: place it on the name of a trait, type, function or method.', vim.log.levels.WARN)
      else
        notify(method .. ': ' .. msg, vim.log.levels.ERROR)
      end
      return
    end
    on_result(result, client)
  end, bufnr)
end

local function cursor_params(client)
  local enc = client and client.offset_encoding or 'utf-16'
  local p = vim.lsp.util.make_position_params(0, enc)
  return { textDocument = p.textDocument, position = p.position }
end

function M.implementations()
  local client = M.get_client(0)
  M.request('isg/whoImplements', cursor_params(client), function(r)
    local items = edge_items(r.implementors)
    local title = ('ISG: %d implementation(s) of %s'):format(#items, target_name(r.target))
    if (r.heuristicCount or 0) > 0 then
      title = title .. (' (%d heuristic)'):format(r.heuristicCount)
    end
    set_qf(title, items)
    notify(title)
  end)
end

function M.callers()
  local client = M.get_client(0)
  M.request('isg/callers', cursor_params(client), function(r)
    local items = edge_items(r.calls)
    local title = ('ISG: %d caller(s) of %s'):format(#items, target_name(r.target))
    set_qf(title, items)
    notify(title)
  end)
end

function M.blast_radius(depth)
  local client = M.get_client(0)
  local params = cursor_params(client)
  params.depth = tonumber(depth) or (opts.init_options and opts.init_options.blastRadiusDepth) or 3
  M.request('isg/blastRadius', params, function(r)
    local items = {}
    for _, i in ipairs(r.impacted or {}) do
      local text = ('[d=%d via %s]%s %s'):format(i.distance, i.via, i.heuristic and ' (heuristic)' or '', i.node.fqp)
      if i.node.location and i.node.location ~= vim.NIL then
        table.insert(items, loc_item(i.node.location, text))
      else
        table.insert(items, { text = text .. ' (external)', valid = 0 })
      end
    end
    local title = ('ISG: blast radius of %s: %d impacted'):format(target_name(r.target), r.total or #items)
    if (r.heuristicCount or 0) > 0 then
      title = title .. (' (%d heuristic)'):format(r.heuristicCount)
    end
    if r.truncated then
      title = title .. (', showing %d'):format(#items)
    end
    set_qf(title, items)
    notify(title)
  end)
end

function M.query(text)
  if not text or text == '' then
    notify('usage: :IsgQuery who-implements crate::module::Trait', vim.log.levels.WARN)
    return
  end
  M.request('isg/query', { query = text }, function(r)
    M.scratch('query', format_query(text, r), 'markdown')
  end)
end

function M.context()
  local client = M.get_client(0)
  M.request('isg/context', cursor_params(client), function(r)
    vim.fn.setreg('"', r.text)
    pcall(vim.fn.setreg, '+', r.text)
    M.scratch('context', split_lines(r.text), 'markdown')
    notify(('context copied to the " and + registers: %s tokens, %s nodes'):format(cell(r.tokens), cell(r.nodes)))
  end)
end

function M.stats()
  M.request('isg/stats', vim.empty_dict(), function(r)
    M.scratch('stats', format_stats(r), 'markdown')
  end)
end

-- The code lens command isg.showLocations: arguments [uri, position, locations, title] -> quickfix list.
local function show_locations(command, ctx)
  local args = command.arguments or {}
  local locations, title = args[3] or {}, args[4] or command.title or 'ISG'
  local client = ctx and ctx.client_id and vim.lsp.get_client_by_id(ctx.client_id)
  local items
  local ok = pcall(function()
    items = vim.lsp.util.locations_to_items(locations, client and client.offset_encoding or 'utf-16')
  end)
  if not ok or not items then
    items = {}
    for _, l in ipairs(locations) do
      table.insert(items, loc_item(l, title))
    end
  end
  set_qf('ISG: ' .. title, items)
end

-- Attaching ---------------------------------------------------------------------------------------------------------

local function refresh_lenses(client_id)
  for _, buf in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_loaded(buf) and vim.lsp.buf_is_attached(buf, client_id) then
      api.nvim_buf_call(buf, function()
        pcall(vim.lsp.codelens.refresh)
      end)
    end
  end
end

local function set_keymaps(bufnr)
  if not opts.keymaps then
    return
  end
  local maps = {
    implementations = { M.implementations, 'ISG: implementations' },
    callers = { M.callers, 'ISG: callers' },
    blast_radius = { function() M.blast_radius() end, 'ISG: blast radius' },
    context = { M.context, 'ISG: copy context for AI' },
    stats = { M.stats, 'ISG: statistics' },
    codelens_run = { vim.lsp.codelens.run, 'ISG: run the code lens of this line' },
  }
  for key, lhs in pairs(opts.keymaps) do
    local m = maps[key]
    if m and lhs then
      vim.keymap.set('n', lhs, m[1], { buffer = bufnr, desc = m[2], silent = true })
    end
  end
end

local function on_attach(client, bufnr)
  if opts.codelens then
    local group = api.nvim_create_augroup('isg_codelens_' .. bufnr, { clear = true })
    api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'CursorHold' }, {
      group = group,
      buffer = bufnr,
      callback = function()
        pcall(vim.lsp.codelens.refresh)
      end,
    })
    api.nvim_buf_call(bufnr, function()
      pcall(vim.lsp.codelens.refresh)
    end)
  end
  set_keymaps(bufnr)
  if opts.on_attach then
    opts.on_attach(client, bufnr)
  end
end

local function init_options()
  local o = opts.init_options
  if o == nil or vim.tbl_isempty(o) then
    return vim.empty_dict()
  end
  return o
end

--- The vim.lsp client config for a root directory (also usable with nvim-lspconfig, see docs/neovim.md).
function M.config(root_dir)
  local handlers = vim.tbl_extend('force', {
    ['workspace/codeLens/refresh'] = function(_, _, ctx)
      vim.schedule(function()
        refresh_lenses(ctx.client_id)
      end)
      return vim.NIL
    end,
  }, opts.handlers or {})
  local cmd = opts.cmd or default_cmd()
  return {
    name = opts.name,
    cmd = cmd,
    root_dir = root_dir,
    workspace_folders = root_dir and { { uri = vim.uri_from_fname(root_dir), name = root_dir } } or nil,
    init_options = init_options(),
    settings = { isg = init_options() },
    capabilities = opts.capabilities or vim.lsp.protocol.make_client_capabilities(),
    handlers = handlers,
    commands = { ['isg.showLocations'] = show_locations },
    on_attach = on_attach,
    on_exit = function(code, signal)
      if code ~= 0 and signal == 0 then
        notify(('the server exited with code %d (see :lua vim.cmd("edit " .. vim.lsp.get_log_path())). %s'):format(code, INSTALL_HINT),
          vim.log.levels.ERROR)
      end
      if root_dir then
        clients_by_root[root_dir] = nil
      end
    end,
  }
end

--- Starts (or reuses) the server for the buffer's workspace and attaches it.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  if vim.bo[bufnr].buftype ~= '' then
    return
  end
  local root = find_root(bufnr)
  if not root then
    return
  end
  local config = M.config(root)
  if not preflight(config.cmd) then
    return
  end
  if vim.lsp.start then
    -- Neovim 0.8+: reuses the client with the same name and root_dir
    api.nvim_buf_call(bufnr, function()
      vim.lsp.start(config, { bufnr = bufnr })
    end)
    return
  end
  -- Neovim 0.7
  local id = clients_by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(config)
    if not id then
      notify_once('start:' .. root, 'could not start ' .. table.concat(config.cmd, ' ') .. '. ' .. INSTALL_HINT, vim.log.levels.ERROR)
      return
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

local function define_commands()
  local cmd = api.nvim_create_user_command
  cmd('IsgImplementations', function() M.implementations() end, { desc = 'ISG: implementations of the symbol under the cursor' })
  cmd('IsgCallers', function() M.callers() end, { desc = 'ISG: callers of the symbol under the cursor' })
  cmd('IsgBlastRadius', function(c) M.blast_radius(c.args ~= '' and c.args or nil) end, { nargs = '?', desc = 'ISG: blast radius [depth]' })
  cmd('IsgQuery', function(c) M.query(c.args) end, { nargs = '+', desc = 'ISG: run a query, e.g. :IsgQuery who-implements demo::shapes::Shape' })
  cmd('IsgContext', function() M.context() end, { desc = 'ISG: context for AI of the symbol under the cursor (copied to registers)' })
  cmd('IsgStats', function() M.stats() end, { desc = 'ISG: statistics of the graph' })
  cmd('IsgRestart', function()
    for _, c in ipairs(get_clients({ name = opts.name })) do
      if vim.fn.has('nvim-0.11') == 1 then
        c:stop()
      else
        c.stop()
      end
    end
    clients_by_root = {}
    vim.defer_fn(function()
      for _, buf in ipairs(api.nvim_list_bufs()) do
        if api.nvim_buf_is_loaded(buf) and vim.tbl_contains(opts.filetypes, vim.bo[buf].filetype) then
          M.attach(buf)
        end
      end
    end, 500)
  end, { desc = 'ISG: restart the server' })
end

--- setup({ cmd = {...}, filetypes = {...}, root_markers = {...}, init_options = {...}, codelens = true, keymaps = {...},
---         capabilities = ..., on_attach = function(client, bufnr) end, handlers = {...}, open_quickfix = true })
function M.setup(user_opts)
  user_opts = user_opts or {}
  opts = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), user_opts)
  -- lists replace the defaults (tbl_deep_extend would merge an empty list with them)
  for _, key in ipairs({ 'cmd', 'filetypes', 'root_markers' }) do
    if user_opts[key] ~= nil then
      opts[key] = user_opts[key]
    end
  end
  if user_opts.keymaps == false then
    opts.keymaps = false
  end
  -- also reachable through vim.lsp.commands (for lenses of other clients or code that runs the command directly)
  vim.lsp.commands['isg.showLocations'] = show_locations
  define_commands()
  local group = api.nvim_create_augroup('isg_lsp', { clear = true })
  if #opts.filetypes == 0 then
    return M -- commands only (e.g. with a client started by nvim-lspconfig)
  end
  api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = opts.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  -- buffers opened before setup()
  for _, buf in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_loaded(buf) and vim.tbl_contains(opts.filetypes, vim.bo[buf].filetype) then
      M.attach(buf)
    end
  end
  return M
end

return M
