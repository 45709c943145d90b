#!/usr/bin/python3
"""Drives wzp-web's page in a running headless Chromium over the DevTools
protocol and writes what it saw as JSON for web_test.cpp to judge (this
script asserts nothing). The bridge's limits are probe_bridge.py's.

  drive_page.py DEVTOOLS_PORT PAGE_URL SECONDS SCREENSHOT OUT_JSON CALL_SECONDS TOKEN_ORIGIN

Page: opens PAGE_URL, waits until the page is in the call and says so,
then until it has received SECONDS of the room's audio since the bridge
first heard another member (deadlines 60 s), and says so; keeps wzp.heard
(RMS every 20 ms) and a screenshot. Call: once the room's other member has
left, that tab waits for calls as @dora (/answer/dora) and a second tab
calls @dora (/call/@dora); both until each has heard CALL_SECONDS of the
other since the bridge first played its frames. Token: first of all a tab
on TOKEN_ORIGIN (a bridge whose daemon wants sign-in tokens) opens
/answer/erin#token=stolen-token and is refused; last, its user types
good-token into the page's form.
"""
import base64
import json
import sys
import time
import urllib.parse
import urllib.request

import websocket

class DevTools:
    def __init__(self, port, url=None):
        if url is None:
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
            page = next(t for t in targets if t["type"] == "page")
        else:  # a new tab
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/json/new?" + urllib.parse.quote(url, safe=":/@?=&"),
                method="PUT")
            page = json.load(urllib.request.urlopen(request, timeout=10))
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:  # events come in between; only our reply matters
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


def drive_page(devtools, url, seconds, screenshot):
    devtools.call("Page.enable")
    devtools.call("Page.navigate", url=url)
    state = "?"
    deadline = time.monotonic() + 60
    while state != "in the call" and time.monotonic() < deadline:
        time.sleep(0.2)
        state = devtools.evaluate("window.wzp ? wzp.state : '?'")
    print(f"drive_page: {state}", flush=True)  # the test starts the member now
    # From when the bridge first hears a member, `seconds` of the room's
    # audio as the page received it.
    heard_from = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen = devtools.evaluate(
            "({heard: wzp.heard.length, members: wzp.status ? wzp.status.members : []})")
        if heard_from is None and any(m.get("heard") for m in seen["members"]):
            heard_from = seen["heard"]
        if heard_from is not None and seen["heard"] >= heard_from + 50 * seconds:
            break
        time.sleep(0.2)
    page = devtools.evaluate(
        "({state: wzp.state, heard: wzp.heard, errors: wzp.errors, status: wzp.status,"
        " fingerprint: wzp.fingerprint || null, members_shown: document.getElementById('members').innerText,"
        " quality_shown: document.getElementById('quality').innerText})")
    page["heard_from"] = heard_from
    save_screenshot(devtools, screenshot)
    print("drive_page: heard", flush=True)  # the test lets the member leave now
    return page


def save_screenshot(devtools, path):
    shot = devtools.call("Page.captureScreenshot", format="png")
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def wait_for(devtools, expression, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = devtools.evaluate(expression)
        except RuntimeError:  # the page is navigating
            value = None
        if value:
            return value
        time.sleep(0.2)
    return None


def drive_call(port, answering, origin, seconds, screenshot):
    """`answering` (the room's tab) waits for calls as @dora; a new tab calls it."""
    wait_for(answering, "wzp.status && wzp.status.members.length === 0")  # the member left
    answering.call("Page.navigate", url=origin + "/answer/dora?processing=off")
    wait_for(answering, "window.wzp && wzp.state === 'waiting for a call'")
    calling = DevTools(port, origin + "/call/@dora?processing=off")
    # Each until it has heard `seconds` since the bridge first played the other's frames.
    tabs = {"answering": answering, "calling": calling}
    heard_from = {}
    deadline = time.monotonic() + 60
    while len(heard_from) < 2 or any(
            tab.evaluate("wzp.heard.length") < heard_from[name] + 50 * seconds
            for name, tab in tabs.items()):
        if time.monotonic() > deadline:
            break
        for name, tab in tabs.items():
            seen = tab.evaluate("window.wzp ? ({heard: wzp.heard.length, played: wzp.status &&"
                                " wzp.status.members.length ? wzp.status.members[0].played : 0}) : null")
            if name not in heard_from and seen and seen["played"]:
                heard_from[name] = seen["heard"]
        time.sleep(0.2)
    out = {}
    for name, tab in tabs.items():
        out[name] = tab.evaluate(
            "({state: wzp.state, heard: wzp.heard, errors: wzp.errors, status: wzp.status,"
            " peer: wzp.peer || null, identity: localStorage.getItem(identityKey)})")
        out[name]["heard_from"] = heard_from.get(name)
    save_screenshot(calling, screenshot)
    return out


def open_token_tab(port, origin):
    """A tab whose address brings a token the relay refuses; it waits for its
    user meanwhile (the room and the call go on in the other tabs)."""
    return DevTools(port, origin + "/answer/erin#token=stolen-token")


def fill_token_form(tab):
    """The page's sign-in form, as a user fills it in once the relay refused
    the token the tab was opened with: by now the bridge has closed the
    waiting session (its setup timeout), so the form's submit reloads the
    page, which signs in with the typed token."""
    shown = "!document.getElementById('login').hidden"
    refused = "wzp.errors.some(e => e.code === 'token_refused')"
    out = {"refused": wait_for(tab, f"window.wzp && {refused} && {shown}"),
           "refusals": tab.evaluate("wzp.errors"), "address": tab.evaluate("location.href")}
    tab.evaluate("document.getElementById('token').focus()")
    tab.call("Input.insertText", text="good-token")  # typed, as a user would
    tab.call("Input.dispatchKeyEvent", type="keyDown", key="Enter", code="Enter",
             windowsVirtualKeyCode=13, text="\r")
    tab.call("Input.dispatchKeyEvent", type="keyUp", key="Enter", code="Enter",
             windowsVirtualKeyCode=13)
    out["signed_in"] = wait_for(tab, "wzp.state === 'waiting for a call'")
    out["page"] = tab.evaluate("({state: wzp.state, errors: wzp.errors, form_shown: " + shown +
                               ", me: document.getElementById('me').innerText})")
    return out


def main():
    port, url, seconds, screenshot, out_path, call_seconds, token_origin = sys.argv[1:8]
    devtools = DevTools(int(port))
    token_tab = open_token_tab(int(port), token_origin)
    result = {"page": drive_page(devtools, url, int(seconds), screenshot)}
    parts = urllib.parse.urlparse(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    result["call"] = drive_call(int(port), devtools, origin, int(call_seconds),
                                screenshot.replace(".png", "_call.png"))
    began = time.monotonic()
    result["token"] = fill_token_form(token_tab)
    print(f"drive_page: token form filled in {time.monotonic() - began:.2f} s", flush=True)
    with open(out_path, "w") as f:
        json.dump(result, f)
    print("drive_page: done", flush=True)


if __name__ == "__main__":
    main()
