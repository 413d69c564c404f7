-- wrk script for docs/performance.md: GET /v1/papers/{id}/similar, cycling
-- through every paper of a JSON Lines file so no two requests in a row ask
-- for the same paper.
--   wrk -t2 -c8 -d10s -s docs/wrk-similar.lua http://127.0.0.1:8080 -- PAPERS.jsonl [MODE]
--   wrk -t2 -c8 -d10s -s docs/wrk-similar.lua http://127.0.0.1:8080 -- id=ID [MODE]
-- MODE (hybrid, vector or lexical) is sent as ?mode=; without it, the
-- server's default ranking. id=ID asks for that one paper every time (a
-- survey's query is the slow case).
local ids = {}
local i = 0
local query = "?limit=10"

function init(args)
  local path = args[1] or "../shared/data/arxiv-2026q2/papers.jsonl"
  local one = path:match("^id=(.+)$")
  if one then
    ids[1] = one
  else
    for line in io.lines(path) do
      local id = line:match('"id":%s*"([^"]+)"')
      if id then ids[#ids + 1] = id end
    end
  end
  i = math.random(#ids)
  if args[2] then query = query .. "&mode=" .. args[2] end
end

function request()
  i = i % #ids + 1
  return wrk.format("GET", "/v1/papers/" .. ids[i] .. "/similar" .. query)
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx or socket errors: %d\n",
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
