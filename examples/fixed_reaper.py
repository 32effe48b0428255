#!/usr/bin/env python3
"""A reaper that drops idle conference legs the way the API works.

- Only {"state": "disconnected"} drops a leg, sent on the generic participant endpoint
  (PATCH /api/v2/conversations/{cid}/participants/{pid}); any other field is ignored.
- 202 means "accepted", not "done": each drop is verified on a later poll (the leg's state is
  disconnected or terminated) and sent again, a bounded number of times, if the leg stayed up.
- A leg heard within the idle timeout is never dropped: its silence is read again right before
  each drop, after any wait.
- 429 is honoured (Retry-After), the token is renewed before it expires and once on a 401.

Silence comes from gcsim's media view (GCSIM_CONTROL_URL); against a real org it would come
from whatever signal the team has. Connection from the environment, as `gcsim run` gives it:
GENESYS_API_URL, GENESYS_LOGIN_URL, GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET, GCSIM_CONTROL_URL.
Settings: REAPER_IDLE_SECONDS (600), REAPER_POLL_SECONDS (15), REAPER_VERIFY_SECONDS (30),
REAPER_MAX_ATTEMPTS (3). Stops on SIGTERM and prints a summary. Python standard library only.
"""
import base64
import json
import os
import signal
import sys
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
VERIFY_SECONDS = float(os.environ.get("REAPER_VERIFY_SECONDS", "30"))
MAX_ATTEMPTS = int(os.environ.get("REAPER_MAX_ATTEMPTS", "3"))
DROPPABLE = {"agent", "user", "customer", "external"}  # never the queue's or the IVR's leg
GONE = {"disconnected", "terminated"}


def log(message):
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} {message}", flush=True)


class Api:
    def __init__(self):
        self.token = None
        self.expires_at = 0.0

    def _send(self, method, url, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, response.headers, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, error.headers, json.loads(raw) if raw else None
            except ValueError:
                return error.code, error.headers, None

    def _renew(self):
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        request = urllib.request.Request(
            LOGIN + "/oauth/token", method="POST",
            data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
            headers={"Authorization": "Basic " + basic,
                     "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=30) as response:
            grant = json.loads(response.read())
        self.token = grant["access_token"]
        self.expires_at = time.monotonic() + float(grant["expires_in"])

    def genesys(self, method, path, body=None):
        """A Genesys API call: (status, body). Renews the token before it expires and once on a
        401; after a 429 waits Retry-After and returns it: the caller decides again later, on
        fresh evidence, instead of sending what it decided before the wait."""
        for first in (True, False):
            if self.token is None or time.monotonic() > self.expires_at - 60:
                self._renew()
            headers = {"Authorization": "Bearer " + self.token}
            if body is not None:
                headers["Content-Type"] = "application/json"
            status, response_headers, payload = self._send(method, API + path, body, headers)
            if status == 401 and first:
                self.token = None
                continue
            if status == 429:
                wait = float(response_headers.get("Retry-After", "1"))
                log(f"429 on {method} {path}: waiting {wait:g}s")
                time.sleep(wait)
            return status, payload
        return status, payload

    def control(self, path):
        status, _, payload = self._send("GET", CONTROL + path)
        return payload if status == 200 else None


class Reaper:
    def __init__(self, api):
        self.api = api
        self.pending = {}  # participant id -> {"conversation", "attempts", "sent"}
        self.totals = {"dropped": 0, "verified": 0, "stuck": 0, "errors": 0}
        self.done = set()  # verified or reported stuck

    def silent_legs(self):
        legs, page = [], 1
        while True:
            view = self.api.control(f"/media?silentFor={IDLE_SECONDS:g}s&pageSize=500&pageNumber={page}")
            if view is None:
                return legs
            legs += view["entities"]
            if page >= view["pageCount"]:
                return legs
            page += 1

    def still_idle(self, conversation, participant):
        """Fresh evidence, read right before a drop: connected and silent for the whole timeout."""
        media = self.api.control(f"/conversations/{conversation}/participants/{participant}/media")
        return (media is not None and media["state"] == "connected" and media["flowing"]
                and media["silentForMs"] >= IDLE_SECONDS * 1000)

    def drop(self, conversation, participant):
        if not self.still_idle(conversation, participant):
            log(f"skip {participant}: heard again, or gone")
            return
        status, body = self.api.genesys(
            "PATCH", f"/api/v2/conversations/{conversation}/participants/{participant}",
            {"state": "disconnected"})
        entry = self.pending.setdefault(participant, {"conversation": conversation, "attempts": 0})
        if status == 202:
            entry["attempts"] += 1
            entry["sent"] = time.monotonic()
            self.totals["dropped"] += entry["attempts"] == 1
            log(f"drop accepted for {participant} (attempt {entry['attempts']})")
        elif status == 400 and body and body.get("code") == "conversation.error.call.disconnected":
            self.pending.pop(participant, None)
            self.done.add(participant)
        else:
            entry["attempts"] += 1
            entry["sent"] = time.monotonic()
            self.totals["errors"] += 1
            log(f"drop of {participant} failed: HTTP {status}")

    def verify(self):
        for participant, entry in list(self.pending.items()):
            if "sent" not in entry or time.monotonic() - entry["sent"] < 1:
                continue
            # The call view: each participant with its state (the generic view nests it in calls).
            status, conversation = self.api.genesys("GET", f"/api/v2/conversations/calls/{entry['conversation']}")
            if status != 200:
                continue
            leg = next((p for p in conversation["participants"] if p["id"] == participant), None)
            if leg is None or leg["state"] in GONE:
                self.pending.pop(participant)
                self.done.add(participant)
                self.totals["verified"] += 1
                log(f"verified: {participant} is gone")
            elif time.monotonic() - entry["sent"] >= VERIFY_SECONDS:
                if entry["attempts"] >= MAX_ATTEMPTS:
                    self.pending.pop(participant)
                    self.done.add(participant)
                    self.totals["stuck"] += 1
                    log(f"stuck: {participant} still {leg['state']} after {entry['attempts']} drops")
                else:
                    self.drop(entry["conversation"], participant)

    def tick(self):
        self.verify()
        for leg in self.silent_legs():
            participant = leg["participantId"]
            if leg["purpose"] in DROPPABLE and participant not in self.pending and participant not in self.done:
                self.drop(leg["conversationId"], participant)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    reaper = Reaper(Api())
    log(f"reaping legs silent for {IDLE_SECONDS:g}s, polling every {POLL_SECONDS:g}s")
    try:
        while True:
            try:
                reaper.tick()
            except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
                reaper.totals["errors"] += 1
                log(f"tick failed: {error}")
            time.sleep(POLL_SECONDS)
    finally:
        log("summary " + json.dumps(reaper.totals))


if __name__ == "__main__":
    main()
