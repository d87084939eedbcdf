-- SPDX-License-Identifier: LGPL-2.1-or-later
-- wrk script: POST /v1/calls (place a call) as fast as possible.
--
--   wrk -s post-calls.lua URL -- TOKENS_FILE
--
-- Every thread places calls from the caller of line n of TOKENS_FILE
-- ("callee_user caller_token callee_token") to its callee, who never
-- answers: the calls end by the invite timeout.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("pair", counter)
  counter = counter + 1
end

function init(args)
  local lines = {}
  for line in io.lines(args[1]) do
    table.insert(lines, line)
  end
  local callee, ta = lines[(pair % #lines) + 1]:match("^(%S+) (%S+) %S+$")
  local sdp = "v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n" ..
    "a=ice-ufrag:Uf8d\\r\\na=ice-pwd:pwdpwdpwdpwdpwdpwdpwdpwd\\r\\n" ..
    "m=audio 9 RTP/SAVP 111\\r\\nc=IN IP4 0.0.0.0\\r\\na=rtcp-mux\\r\\n" ..
    "a=rtpmap:111 opus/48000/2\\r\\n" ..
    "a=crypto:1 AEAD_AES_128_GCM inline:QkVOQ0hLRVlCRU5DSEtFWUJFTkNIS0VZQkVOQw==\\r\\n" ..
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:QkVOQ0hLRVlCRU5DSEtFWUJFTkNIS0VZQkVOQw==\\r\\n"
  wrk.method = "POST"
  wrk.path = "/v1/calls"
  wrk.body = '{"to":{"user":"' .. callee .. '"},"offer":{"sdp":"' .. sdp .. '"}}'
  wrk.headers["Authorization"] = "Bearer " .. ta
  wrk.headers["Content-Type"] = "application/json"
end
