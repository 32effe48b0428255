-- wrk script for scripts/bench: every request goes to the next path of a file, with a bearer
-- token and an optional JSON body; each wrk thread walks its own slice of the file, so no two
-- requests of a run hit the same leg until the slice wraps around.
--   wrk -t2 -c16 -d5s -s paths.lua URL -- PATHS_FILE TOKEN_FILE METHOD THREADS [BODY]
-- done() prints one line "WRK_JSON {...}" with the counts and latency percentiles (in us).

local next_thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  local all = {}
  for line in io.lines(args[1]) do all[#all + 1] = line end
  local token_file = io.open(args[2])
  local token = token_file:read("*l")
  token_file:close()
  method = args[3]
  local thread_count = tonumber(args[4])
  body = args[5]
  headers = { ["Authorization"] = "Bearer " .. token }
  if body ~= nil then headers["Content-Type"] = "application/json" end
  local per_thread = math.floor(#all / thread_count)
  paths = {}
  for i = thread_id * per_thread + 1, (thread_id + 1) * per_thread do paths[#paths + 1] = all[i] end
  cursor = 0
  sent = 0
end

function request()
  cursor = cursor + 1
  if cursor > #paths then cursor = 1 end
  sent = sent + 1
  return wrk.format(method, paths[cursor], headers, body)
end

function done(summary, latency, requests)
  local wrapped = false
  for _, thread in ipairs(threads) do
    if thread:get("sent") > #thread:get("paths") then wrapped = true end
  end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f,"wrapped":%s}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, tostring(wrapped)))
end
