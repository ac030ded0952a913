#!/usr/bin/env python3
"""Drives the real tracker in headless Chromium against a running Stepwise server.

Usage: tracker_session.py API_PORT
Serves a small test site (shop.test) on a free port, maps shop.test and stats.test to
127.0.0.1 with --host-resolver-rules (traffic stays on loopback), then does what a visitor
does: lands from a search, scrolls, clicks a CTA, starts a form and leaves it, plays a
video to the end, downloads a file, clicks an outbound link, navigates an SPA route,
identifies, and leaves. A second visit uses cookieless mode. The Swift test that runs this
script asserts what the server stored. Exits non-zero when anything is missing (no skip).
"""
import http.server
import io
import struct
import sys
import threading
import time
import wave

from selenium import webdriver
from selenium.webdriver.common.by import By

API_PORT = int(sys.argv[1])
API = f"http://stats.test:{API_PORT}"


def page(title, body, extra=""):
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<script defer data-site="shop.test" data-key="tk-0123456789" {extra} src="{API}/js/stepwise.js"></script></head>
<body>{body}</body></html>""".encode()


INDEX = page("Shop", """
<h1>Shop</h1>
<button id="cta" data-stepwise="cta_click" data-stepwise-plan="pro" data-stepwise-button-color="green">Buy</button>
<form id="lead" name="lead" onsubmit="event.preventDefault()">
  <input name="full_name" id="full_name"><input name="email" id="email"><button type="submit">Send</button>
</form>
<video id="v" data-stepwise-video="intro" src="/tone.wav" muted playsinline></video>
<a id="dl" href="/files/report.pdf">Report</a>
<a id="out" href="https://partner.example/offer" onclick="event.preventDefault()">Partner</a>
<button id="spa" onclick="history.pushState({}, '', '/pricing')">Pricing</button>
<div style="height:6000px"></div><p>end</p>""")
THANKS = page("Thanks", "<h1>Thanks</h1>")
COOKIELESS = page("Cookieless", "<h1>No storage</h1>", "data-cookieless")
# Scroll capture switched off; a form that is submitted.
QUIET = page("Quiet", """<form id="signup" data-stepwise-form="signup" onsubmit="event.preventDefault()">
<input name="email" id="signup_email"><button id="send" type="submit">Send</button></form>
<div style="height:6000px"></div>""", 'data-disable="scroll"')
PRIVATE = page("Private", "<h1>Private</h1>", "data-respect-privacy")


def tone():
    """Two seconds of silence as a WAV file: a media element Chromium plays without codecs."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack("<h", 0) * 16000)
    return buffer.getvalue()


FILES = {
    "/index.html": ("text/html", INDEX, {}),
    "/thanks.html": ("text/html", THANKS, {}),
    "/cookieless.html": ("text/html", COOKIELESS, {}),
    "/quiet.html": ("text/html", QUIET, {}),
    "/private.html": ("text/html", PRIVATE, {}),
    "/tone.wav": ("audio/wav", tone(), {}),
    "/files/report.pdf": ("application/pdf", b"%PDF-1.4\n%%EOF\n", {"Content-Disposition": "attachment; filename=report.pdf"}),
}


class Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/pricing":
            path = "/index.html"
        kind, body, headers = FILES.get(path, ("text/plain", b"not found", {}))
        self.send_response(200 if path in FILES else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    site_port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://shop.test:{site_port}"

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # A desktop Chrome user agent, so only navigator.webdriver (which the tracker reports) marks the bot.
    for flag in ["--headless=new", "--no-sandbox",
                 "--user-agent=Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
                 "--host-resolver-rules=MAP shop.test 127.0.0.1, MAP stats.test 127.0.0.1, MAP partner.example 127.0.0.1"]:
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(20)
        driver.get(f"{site}/index.html?q=running+shoes&utm_source=newsletter&utm_medium=email")
        wait_for(driver, "return !!window.stepwise")
        driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
        time.sleep(0.3)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.find_element(By.ID, "cta").click()
        driver.find_element(By.ID, "full_name").click()
        driver.find_element(By.ID, "full_name").send_keys("Ada Secret")
        driver.find_element(By.ID, "email").click()
        driver.find_element(By.ID, "email").send_keys("ada@secret.example")
        driver.execute_script("document.getElementById('v').play()")
        wait_for(driver, "return document.getElementById('v').ended", seconds=15)
        driver.find_element(By.ID, "dl").click()
        driver.find_element(By.ID, "out").click()
        driver.find_element(By.ID, "spa").click()
        time.sleep(0.2)
        driver.execute_script("stepwise.identify('u-42')")
        variant = driver.execute_async_script("const done = arguments[0]; stepwise.variant('cta_color').then(done)")
        if variant not in ("control", "green"):
            raise SystemExit(f"variant: {variant!r}")
        time.sleep(1.5)
        driver.find_element(By.TAG_NAME, "h1").click()   # still active when leaving
        driver.get(f"{site}/thanks.html")
        wait_for(driver, "return !!window.stepwise")
        time.sleep(0.5)
        # Scroll capture off; a submitted form.
        driver.get(f"{site}/quiet.html")
        wait_for(driver, "return !!window.stepwise")
        driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
        driver.find_element(By.ID, "signup_email").click()
        driver.find_element(By.ID, "signup_email").send_keys("x")
        driver.find_element(By.ID, "send").click()
        time.sleep(0.3)
        # Global Privacy Control on a site that asks the tracker to respect it: nothing is sent.
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                               {"source": "Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})"})
        driver.get(f"{site}/private.html")
        wait_for(driver, "return !!window.stepwise")
        driver.execute_script("stepwise.track('should_not_arrive')")
        time.sleep(0.3)
        # A second visitor, in cookieless mode: nothing stored in the browser.
        driver.delete_all_cookies()
        driver.get(f"{site}/cookieless.html")
        wait_for(driver, "return !!window.stepwise")
        time.sleep(1.0)
    finally:
        driver.quit()
        server.shutdown()
    print("ok")


def wait_for(driver, condition, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if driver.execute_script(condition):
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for: {condition}")


if __name__ == "__main__":
    main()
