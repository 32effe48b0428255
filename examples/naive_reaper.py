#!/usr/bin/env python3
"""The seed's reaper, as such scripts are written: every poll, find the legs silent for ten
minutes and PATCH each with a disposition code and a drop reason, taking the 2xx for success.

It does not work. The API ignores fields it does not know and answers 204: the leg stays, audio
flows, the dashboard counts it, and the next poll "drops" it again. Kept as the bad example that
scenarios/your-client/naive-reaper.json shows failing; fixed_reaper.py is the right one.

Connection from the environment, as `gcsim run` gives it: GENESYS_API_URL, GENESYS_LOGIN_URL,
GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET, GCSIM_CONTROL_URL. Python standard library only.
"""
import base64
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

API = os.environ["GENESYS_API_URL"]
LOGIN = os.environ.get("GENESYS_LOGIN_URL", API)
CONTROL = os.environ["GCSIM_CONTROL_URL"]
CLIENT_ID = os.environ["GENESYS_CLIENT_ID"]
CLIENT_SECRET = os.environ["GENESYS_CLIENT_SECRET"]
IDLE_SECONDS = float(os.environ.get("REAPER_IDLE_SECONDS", "600"))
POLL_SECONDS = float(os.environ.get("REAPER_POLL_SECONDS", "15"))


def call(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def token():
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    status, body = call("POST", LOGIN + "/oauth/token",
                        urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
                        {"Authorization": "Basic " + basic,
                         "Content-Type": "application/x-www-form-urlencoded"})
    return json.loads(body)["access_token"]


def main():
    bearer = {"Authorization": "Bearer " + token(), "Content-Type": "application/json"}
    while True:
        status, body = call("GET", f"{CONTROL}/media?silentFor={IDLE_SECONDS:g}s&pageSize=100")
        for leg in json.loads(body)["entities"] if status == 200 else []:
            path = (f"/api/v2/conversations/calls/{leg['conversationId']}"
                    f"/participants/{leg['participantId']}")
            payload = json.dumps({"dispositionCode": "no-answer", "dropReason": "timeout"})
            status, _ = call("PATCH", API + path, payload.encode(), bearer)
            # The trap: a 2xx is taken to mean the leg is gone.
            print(f"{time.strftime('%H:%M:%S', time.gmtime())} dropped {leg['participantId']}: HTTP {status}")
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    main()
