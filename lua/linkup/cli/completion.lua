-- linkup.cli.completion: `linkup completion bash|zsh|fish` prints a shell
-- completion script for every command and option, as argparse writes it
-- from the same command table the parser is built from.
--
--   source <(linkup completion bash)                       # ~/.bashrc
--   linkup completion zsh > "${fpath[1]}/_linkup"
--   linkup completion fish > ~/.config/fish/completions/linkup.fish

local errors = require "linkup.cli.errors"

local M = {}

M.SHELLS = { "bash", "zsh", "fish" }

--- run(cmd, args, ctx) -> exit code; ctx.parser: the root argparse parser.
function M.run(_, args, ctx)
  local script = ctx.parser["get_" .. args.shell .. "_complete"](ctx.parser)
  local ok, err = io.stdout:write(script)
  if ok then ok, err = io.stdout:flush() end
  if not ok then error(errors.write_failure("standard output", err), 0) end
  return errors.OK
end

return M
