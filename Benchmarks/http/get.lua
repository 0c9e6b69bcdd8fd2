-- wrk script: GET several paths (e.g. one product per shop) with a bearer token.
-- Environment: SOUK_TOKEN, SOUK_PATHS (space-separated).
local token = os.getenv("SOUK_TOKEN")
local paths = {}
for p in string.gmatch(os.getenv("SOUK_PATHS"), "%S+") do paths[#paths + 1] = p end
local counter = 0
local requests = {}

function init(args)
  counter = math.random(1, 1000)
  for _, p in ipairs(paths) do
    requests[#requests + 1] = wrk.format("GET", p, { ["Authorization"] = "Bearer " .. token })
  end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end
