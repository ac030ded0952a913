"""Drives the dashboard of a running `stepwise demo` in headless Chromium, as a site owner would.

usage: dashboard_pages.py BASE_URL ADMIN_TOKEN SCREENSHOT_DIR

Signs in through the login form, opens every page of every demo site, holds each number marked
with `data-api` to the JSON API answering the same query (the section's `data-api-url`),
applies a segment filter and a funnel breakdown, and saves a PNG of each page at desktop and
phone widths. Exits non-zero with the failures listed.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, TOKEN, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
SITES = ["shop.example", "saas.example"]
TABS = ["", "/funnels", "/predictors", "/leads", "/experiments", "/attribution", "/health", "/plan"]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
failures = []


def fail(message):
    failures.append(message)
    print("FAIL", message, flush=True)


options = webdriver.ChromeOptions()
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
    options.add_argument(flag)
options.set_capability("goog:loggingOptions", {"browser": "ALL"})
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
if os.path.exists("/usr/bin/chromium"):
    options.binary_location = "/usr/bin/chromium"
# The Debian driver, so Selenium never tries to download one.
service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") if os.path.exists("/usr/bin/chromedriver") else None
driver = webdriver.Chrome(options=options, service=service)
driver.set_window_size(*WIDTHS["desktop"])
wait = WebDriverWait(driver, 30)


def formatted(value, kind):
    if value is None:
        return None
    if kind == "int":
        return str(int(value))
    if kind == "pct1":
        return f"{value * 100:.1f}%"
    if kind == "num2":
        return f"{value:.2f}"
    raise ValueError(kind)


def resolve(document, path):
    node = document
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def fetch_json(url):
    """The API read with the browser's own session cookie (HttpOnly: only the browser sends it)."""
    text = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text().then(t => done(r.status + ' ' + t)))"
        ".catch(e => done('0 ' + e));", url)
    status, _, body = text.partition(" ")
    if status != "200":
        raise RuntimeError(f"{url}: HTTP {status}: {body[:200]}")
    return json.loads(body)


def check_numbers(label):
    """Every marked figure equals the API's value for the same filters; returns how many were checked."""
    checked = 0
    for section in driver.find_elements(By.CSS_SELECTOR, "section[data-api-url]"):
        url = section.get_attribute("data-api-url")
        document = fetch_json(url)
        for element in section.find_elements(By.CSS_SELECTOR, "[data-api]"):
            path, kind = element.get_attribute("data-api"), element.get_attribute("data-format")
            try:
                expected = formatted(resolve(document, path), kind)
            except (KeyError, IndexError, TypeError) as error:
                fail(f"{label}: {path} not in {url}: {error!r}")
                continue
            shown = element.get_attribute("textContent").strip()
            if shown != expected:
                fail(f"{label}: {path} shows {shown!r}, the API says {expected!r} ({url})")
            checked += 1
    return checked


def screenshot(name):
    for width_name, (width, height) in WIDTHS.items():
        driver.set_window_size(width, height)
        time.sleep(0.2)
        full = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        driver.set_window_size(width, min(full + 120, 12000))
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 2:
            fail(f"{name}: the page is {overflow}px wider than a {width}px window")
        driver.save_screenshot(os.path.join(SHOTS, f"{name}-{width_name}.png"))
    driver.set_window_size(*WIDTHS["desktop"])


def console_errors(label):
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            fail(f"{label}: console error {entry['message']}")


os.makedirs(SHOTS, exist_ok=True)
try:
    # Signed out, a page sends you to the login form and back after it.
    driver.get(f"{BASE}/sites/shop.example/funnels")
    wait.until(lambda d: "/login" in d.current_url)
    screenshot("login")
    field = driver.find_element(By.NAME, "token")
    field.send_keys("not-the-token")
    field.submit()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role=alert]"))
    if "not the admin token" not in driver.find_element(By.CSS_SELECTOR, "[role=alert]").text:
        fail("a wrong token is not explained")
    field = driver.find_element(By.NAME, "token")
    field.send_keys(TOKEN)
    field.submit()
    wait.until(lambda d: d.current_url.endswith("/sites/shop.example/funnels"))
    session = [c for c in driver.get_cookies() if c["name"] == "stepwise_session"]
    if not session or not session[0].get("httpOnly") or not session[0].get("secure") or session[0].get("sameSite") != "Strict":
        fail(f"session cookie flags: {session}")
    if driver.execute_script("return document.cookie").find("stepwise_session") >= 0:
        fail("the session cookie is readable from script")

    driver.get_log("browser")  # the wrong token's 401 is expected; start clean
    total = 0
    for site in SITES:
        for tab in TABS:
            label = f"{site}{tab or '/overview'}"
            driver.get(f"{BASE}/sites/{site}{tab}")
            if driver.find_elements(By.CSS_SELECTOR, "[role=alert]"):
                fail(f"{label}: {driver.find_element(By.CSS_SELECTOR, '[role=alert]').text}")
            if not driver.find_elements(By.CSS_SELECTOR, "main h1"):
                fail(f"{label}: no heading")
            unlabeled = driver.execute_script(
                "return [...document.querySelectorAll('input:not([type=hidden]),select')]"
                ".filter(e => !e.closest('label') && !e.getAttribute('aria-label')).length")
            if unlabeled:
                fail(f"{label}: {unlabeled} form fields without a label")
            n = check_numbers(label)
            if tab in ("", "/funnels", "/predictors", "/leads", "/attribution") and n == 0:
                fail(f"{label}: no figures were checked against the API")
            total += n
            console_errors(label)
            screenshot(f"{site}{tab.replace('/', '-') or '-overview'}")

    # A filter: the segment narrows the overview, and the numbers still equal the API's.
    driver.get(f"{BASE}/sites/shop.example")
    everyone = driver.find_element(By.CSS_SELECTOR, "[data-api=persons]").text
    segment = driver.find_element(By.NAME, "segment")
    segment.send_keys("device=mobile")
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait.until(lambda d: "segment=device%3Dmobile" in d.current_url)
    mobile = driver.find_element(By.CSS_SELECTOR, "[data-api=persons]").text
    if not (0 < int(mobile) < int(everyone)):
        fail(f"segment device=mobile shows {mobile} persons of {everyone}")
    total += check_numbers("overview device=mobile")
    # The filter is in the URL: another page keeps it.
    funnels = driver.find_element(By.LINK_TEXT, "Funnels").get_attribute("href")
    if "segment=device%3Dmobile" not in funnels:
        fail(f"the Funnels link drops the filter: {funnels}")

    # A breakdown: the picker applies itself and the table matches the API.
    driver.get(funnels)
    Select(driver.find_element(By.NAME, "breakdown")).select_by_value("device")
    wait.until(lambda d: "breakdown=device" in d.current_url)
    rows = driver.find_elements(By.CSS_SELECTOR, "[data-api^='breakdown.']")
    if not rows:
        fail("the breakdown shows no rows")
    total += check_numbers("funnel breakdown=device")
    screenshot("shop.example-funnels-breakdown")

    # A funnel built from definitions (no API GET for it: the steps are checked to render).
    driver.get(f"{BASE}/sites/shop.example/funnels?funnel=&steps=product_view&steps=add_to_cart")
    if len(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect")) != 2:
        fail("a funnel built from two steps does not draw two bars")
    print(f"checked {total} figures against the API", flush=True)
finally:
    driver.quit()

if failures:
    print(f"{len(failures)} failures", file=sys.stderr)
    sys.exit(1)
