-- wrk script: POST orders/place with a bearer token, cycling through several line mixes.
-- Environment: SOUK_TOKEN (bearer token), SOUK_PATHS (space-separated paths, one per shop),
-- SOUK_BODIES (bodies separated by '|'). Each connection starts at a different offset.
local token = os.getenv("SOUK_TOKEN")
local paths, bodies = {}, {}
for p in string.gmatch(os.getenv("SOUK_PATHS") or "/v1/shops/north/orders/place", "%S+") do paths[#paths + 1] = p end
for b in string.gmatch(os.getenv("SOUK_BODIES") or '{"lines":["CUP-STONE:1"]}', "[^|]+") do bodies[#bodies + 1] = b end
local counter = 0
local requests = {}

function init(args)
  counter = math.random(1, 1000)
  for i, b in ipairs(bodies) do
    for j, p in ipairs(paths) do
      requests[#requests + 1] = wrk.format("POST", p, {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. token,
      }, b)
    end
  end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end
