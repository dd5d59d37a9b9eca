-- Runs last (files run sorted): every error object the module built during
-- this suite, in any spec file, was recorded by helpers.lua; none of them,
-- nor their tostring, may show a secret.
describe("secrets across the whole suite", function()
  it("appear in no error object the suite produced", function()
    local path = assert(os.getenv("LINKUP_ERRLOG"), "spec/run.sh sets LINKUP_ERRLOG")
    local n = 0
    for line in io.lines(path) do
      n = n + 1
      assert.not_matches("S3CRET", line)
    end
    assert.is_true(n > 50, "only " .. n .. " errors recorded")
  end)
end)
