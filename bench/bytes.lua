-- Walks 10,000 connections (pages of 1000); the server counts the bytes.
local linkup = require "linkup"
local client = linkup.new{ api_key = "test-bench", base_url = arg[1], account_id = "acc-size-10000" }
local n = 0
for _ in client:each_connection{ page_size = 1000 } do n = n + 1 end
assert(n == 10000)
