-- SPDX-License-Identifier: LGPL-2.1-or-later
-- wrk script: full one-to-one signaling flows against acs-controller.
--
--   [FLOW_THINK_MS=MS] wrk -t N -c N -s flow.lua URL -- TOKENS_FILE [batch]
--
-- Run with as many threads as connections: wrk does not tell a script
-- which connection a response came from, so each thread drives one
-- keep-alive connection through one flow after the other (run.sh spreads
-- many connections over several wrk processes: OpenSSL 3 serialises
-- wrk's threads on a lock), 12 requests a flow: place the call as the caller (A), ringing and answer as the callee
-- (B) with the call id of the 201, 3 candidates and end-of-candidates
-- from each side, hang-up by A. With "batch", each side sends its 3
-- candidates and end-of-candidates in one request ({"candidates": [...],
-- "end_of_candidates": true}, protocol.md 3.2): 6 requests a flow, the
-- same events. With FLOW_THINK_MS, each connection waits that long after
-- a flow before the next, drawn uniformly between half and one and a half
-- times it so that the connections do not move in step (a paced, not
-- saturating, load: 200 connections and 1000 ms offer about 200 flows/s).
-- The first flow of each connection (TCP and TLS handshakes, all
-- connections at once) is not counted in the durations, nor any flow
-- that starts within FLOW_WARMUP_MS (default 2000) of the thread's
-- start: with 200 connections, the flows of the first second waited
-- behind the 200 handshakes (32 of the 39 flows started in the first
-- second of a paced run took 20-134 ms, none of the 1,479 after it).
-- FLOW_DURATIONS=FILE: done() writes the flow durations there (us, one a
-- line), to merge the figures of several wrk processes. No event streams:
-- the controller keeps the events in its bounded per-user and per-call
-- logs.
--
-- TOKENS_FILE: one line per pair, "callee_user caller_token callee_token";
-- thread n uses line n (modulo the count). Flow durations (first request
-- sent to last response read) come from clock_gettime through LuaJIT's
-- FFI. done() prints one JSON line starting with "FLOWJSON ".

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } acs_timespec;
int clock_gettime (int clk_id, acs_timespec *tp);
]]
local ts = ffi.new("acs_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("pair", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local SDP = "v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\n" ..
  "t=0 0\\r\\na=ice-ufrag:Uf8d\\r\\na=ice-pwd:pwdpwdpwdpwdpwdpwdpwdpwd\\r\\n" ..
  "m=audio 9 RTP/SAVP 111\\r\\nc=IN IP4 0.0.0.0\\r\\na=rtcp-mux\\r\\n" ..
  "a=rtpmap:111 opus/48000/2\\r\\n" ..
  "a=crypto:1 AEAD_AES_128_GCM inline:QkVOQ0hLRVlCRU5DSEtFWUJFTkNIS0VZQkVOQw==\\r\\n" ..
  "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:QkVOQ0hLRVlCRU5DSEtFWUJFTkNIS0VZQkVOQw==\\r\\n"

local hdr_a, hdr_b, place_body, answer_body
local steps
local step = 1
local call_id = nil
local t0 = 0
-- read when the script loads: wrk decides then whether delay() exists,
-- and a delay() returning 0 would still cost a timer per request
local think = tonumber(os.getenv("FLOW_THINK_MS") or "0")
local warmup_us = tonumber(os.getenv("FLOW_WARMUP_MS") or "2000") * 1000
local started = 0
flows = 0
errors = 0
durations = {}

local function cand(i)
  return '{"candidate":"candidate:' .. i .. ' 1 UDP 2015363327 10.0.1.' .. i ..
    ' 468' .. i .. ' typ host","mline_index":0}'
end

function init(args)
  local path = args[1]
  started = now_us()
  math.randomseed(pair * 7919 + os.time())
  local lines = {}
  for line in io.lines(path) do
    table.insert(lines, line)
  end
  local callee, ta, tb = lines[(pair % #lines) + 1]:match("^(%S+) (%S+) (%S+)$")
  hdr_a = { ["Authorization"] = "Bearer " .. ta,
            ["Content-Type"] = "application/json" }
  hdr_b = { ["Authorization"] = "Bearer " .. tb,
            ["Content-Type"] = "application/json" }
  place_body = '{"to":{"user":"' .. callee .. '"},"offer":{"sdp":"' .. SDP .. '"}}'
  answer_body = '{"answer":{"sdp":"' .. SDP .. '"}}'
  -- { headers, action (nil: place), body, expected status }
  if args[2] == "batch" then
    local function batch(a, b, c)
      return '{"candidates":[' .. cand(a) .. ',' .. cand(b) .. ',' ..
        cand(c) .. '],"end_of_candidates":true}'
    end
    steps = {
      { hdr_a, nil, place_body, 201 },
      { hdr_b, "ringing", "{}", 200 },
      { hdr_b, "answer", answer_body, 200 },
      { hdr_a, "candidates", batch(1, 2, 3), 202 },
      { hdr_b, "candidates", batch(11, 12, 13), 202 },
      { hdr_a, "hangup", "{}", 200 },
    }
    return
  end
  steps = {
    { hdr_a, nil, place_body, 201 },
    { hdr_b, "ringing", "{}", 200 },
    { hdr_b, "answer", answer_body, 200 },
    { hdr_a, "candidates", cand(1), 202 },
    { hdr_a, "candidates", cand(2), 202 },
    { hdr_a, "candidates", cand(3), 202 },
    { hdr_a, "candidates", '{"end_of_candidates":true}', 202 },
    { hdr_b, "candidates", cand(11), 202 },
    { hdr_b, "candidates", cand(12), 202 },
    { hdr_b, "candidates", cand(13), 202 },
    { hdr_b, "candidates", '{"end_of_candidates":true}', 202 },
    { hdr_a, "hangup", "{}", 200 },
  }
end

if think > 0 then
  function delay()
    if step == 1 then
      return math.floor(think / 2 + math.random() * think)
    end
    return 0
  end
end

function request()
  local s = steps[step]
  local path = "/v1/calls"
  if s[2] ~= nil then
    path = "/v1/calls/" .. call_id .. "/" .. s[2]
  else
    t0 = now_us()
  end
  return wrk.format("POST", path, s[1], s[3])
end

function response(status, headers, body)
  local s = steps[step]
  if status ~= s[4] then
    errors = errors + 1
    if errors <= 3 then
      io.stderr:write("flow step " .. step .. ": status " .. status .. " " ..
                      tostring(body) .. "\n")
    end
    step = 1
    return
  end
  if step == 1 then
    call_id = body:match('"id":"([^"]+)"')
  end
  if step == #steps then
    flows = flows + 1
    if flows > 1 and t0 - started >= warmup_us then
      table.insert(durations, now_us() - t0)
    end
    step = 1
  else
    step = step + 1
  end
end

function done(summary, latency, requests)
  local all = {}
  local nflows, nerrors = 0, 0
  for _, t in ipairs(threads) do
    nflows = nflows + t:get("flows")
    nerrors = nerrors + t:get("errors")
    for _, d in ipairs(t:get("durations")) do
      table.insert(all, d)
    end
  end
  table.sort(all)
  local function pct(p)
    if #all == 0 then return 0 end
    local i = math.floor(#all * p / 100) + 1
    if i > #all then i = #all end
    return all[i] / 1000
  end
  local secs = summary.duration / 1000000
  -- Several wrk processes share a load (run.sh): their durations are
  -- merged from these files
  local out = os.getenv("FLOW_DURATIONS")
  if out ~= nil then
    local f = io.open(out, "w")
    for _, d in ipairs(all) do
      f:write(string.format("%.0f\n", d))
    end
    f:close()
  end
  io.write(string.format(
    'FLOWJSON {"flows":%d,"flow_errors":%d,"seconds":%.3f,' ..
    '"setups_per_s":%.1f,"requests":%d,"requests_per_s":%.1f,' ..
    '"flow_p50_ms":%.3f,"flow_p99_ms":%.3f,"flow_max_ms":%.3f,' ..
    '"req_p50_ms":%.3f,"req_p99_ms":%.3f,"socket_errors":%d,"non_2xx":%d}\n',
    nflows, nerrors, secs, nflows / secs, summary.requests,
    summary.requests / secs, pct(50), pct(99), pct(100),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
end
