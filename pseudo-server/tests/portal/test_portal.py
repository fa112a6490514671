"""The portal in a real headless Chromium, against the real `pseudo serve` on 127.0.0.1.

Run with `make test-portal` (builds target/release/pseudo, installs selenium and pytest into .venv).
PSEUDO_BIN names another binary; CHROMEDRIVER another driver. Screenshots of every page land in
pseudo-server/tests/portal/artifacts/ (git-ignored).
"""

import http.client
import json
import os
import re
import subprocess
import tempfile
import threading
import urllib.parse
import uuid
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PSEUDO = os.environ.get("PSEUDO_BIN", str(ROOT / "target" / "release" / "pseudo"))
ARTIFACTS = HERE / "artifacts"


def pseudo(data, *args):
    out = subprocess.run([PSEUDO, "--data", str(data), *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


class Server:
    """`pseudo serve --listen 127.0.0.1:0` on a fresh data folder, with three people in it."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = Path(self.tmp.name) / "data"
        self.admin_token = pseudo(self.data, "init")
        settings = (self.data / "pseudo.json").read_text()
        self.admin_org = re.search(r'"organisation"\s*:\s*"([0-9a-f-]+)"', settings).group(1)
        self.bob_org = str(uuid.uuid4())
        self.carol_org = str(uuid.uuid4())
        self.bob_token = pseudo(self.data, "access-token", "create", "--name", "bob", "--user", "bob",
                                "--org", self.bob_org, "--expires", "1d")
        self.carol_token = pseudo(self.data, "access-token", "create", "--name", "carol", "--user", "carol",
                                  "--org", self.carol_org, "--expires", "1d")
        self.proc = subprocess.Popen(
            [PSEUDO, "--data", str(self.data), "serve", "--listen", "127.0.0.1:0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "PSEUDO_LOG": "info"})
        self.log = []
        ready = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.log.append(line)
                m = re.search(r"listening on (http://\S+)", line)
                if m:
                    self.base = m.group(1)
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(20):
            self.stop()
            raise RuntimeError("pseudo serve did not start: " + "".join(self.log))
        self.host = urllib.parse.urlparse(self.base).netloc

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.tmp.cleanup()


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()
    # Nothing secret in the server's log: no access token, no operation token.
    log = "".join(s.log)
    for secret in (s.admin_token, s.bob_token, s.carol_token, *TOKENS_SEEN):
        assert secret not in log


TOKENS_SEEN = []


def chrome():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1200,1000", "--no-first-run"):
        options.add_argument(a)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


@pytest.fixture(scope="module")
def browsers():
    made = {}

    def get(name):
        if name not in made:
            made[name] = chrome()
        return made[name]

    yield get
    for d in made.values():
        d.quit()


def shot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def sign_in(driver, server, token, name):
    driver.get(server.base + "/signin")
    driver.find_element(By.ID, "token").send_keys(token)
    go(driver, driver.find_element(By.ID, "signin"))
    assert driver.current_url == server.base + "/projects", driver.page_source
    assert f"Signed in as {name}" in driver.find_element(By.TAG_NAME, "header").text


def _detached(error):
    """Chromium 156's driver reports an element of a document that was replaced as an inspector
    error ("Node with given id does not belong to the document"), not always as a stale element."""
    return isinstance(error, StaleElementReferenceException) or (
        isinstance(error, WebDriverException) and "does not belong to the document" in str(error))


def _replaced(page):
    """A wait condition: `page` (the old <html> element) is no longer in the window's document."""
    def check(_driver):
        try:
            page.is_enabled()
            return False
        except WebDriverException as e:
            if _detached(e):
                return True
            raise
    return check


def go(driver, element):
    """Clicks something that loads a page, and waits until the new page replaced the old one."""
    page = driver.find_element(By.TAG_NAME, "html")
    try:
        element.click()
    except WebDriverException as e:
        # A click whose navigation replaced the document before the command returned can be
        # reported this way; the click happened only if the old page goes, which the wait demands.
        if not _detached(e):
            raise
    WebDriverWait(driver, 10).until(_replaced(page))


def text(driver, css):
    try:
        return driver.find_element(By.CSS_SELECTOR, css).text
    except NoSuchElementException:
        main = driver.find_element(By.TAG_NAME, "main").text
        raise AssertionError(f"no {css} on {driver.current_url}: {main}") from None


def absent(driver, css):
    try:
        driver.find_element(By.CSS_SELECTOR, css)
    except NoSuchElementException:
        return True
    return False


def post(server, path, fields, cookie):
    """A hand-made form post (what a forged page or a script would send) with the session cookie."""
    conn = http.client.HTTPConnection(server.host, timeout=10)
    conn.request("POST", path, urllib.parse.urlencode(fields),
                 {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    r = conn.getresponse()
    body = r.read().decode()
    conn.close()
    return r.status, body


def session_cookie(driver):
    c = driver.get_cookie("pseudo_session")
    return f"pseudo_session={c['value']}"


def csrf_of(driver):
    return driver.find_element(By.NAME, "csrf").get_attribute("value")


def curl(command):
    """Runs a curl command line as shown on a page; returns (HTTP status, body)."""
    out = subprocess.run(command + " -s -w '\\n%{http_code}'", shell=True, capture_output=True, text=True,
                         check=True).stdout
    body, _, code = out.rpartition("\n")
    return int(code), body


def create_project(driver, server, pid, reversible=True):
    driver.get(server.base + "/projects")
    driver.find_element(By.ID, "id").send_keys(pid)
    driver.find_element(By.ID, "method-reversible" if reversible else "method-not-reversible").click()
    driver.find_element(By.ID, "years").send_keys("5")
    go(driver, driver.find_element(By.ID, "create"))
    assert driver.current_url == f"{server.base}/projects/{pid}", driver.page_source


def test_the_whole_story(server, browsers):
    admin, bob = browsers("admin"), browsers("bob")

    # The administrator signs in and creates a project, checking the retention end first.
    admin.get(server.base + "/")
    assert admin.current_url == server.base + "/signin"
    shot(admin, "01-signin")
    sign_in(admin, server, server.admin_token, "admin")
    shot(admin, "02-projects-empty")
    admin.find_element(By.ID, "id").send_keys("cohort")
    admin.find_element(By.ID, "name").send_keys("Cohort study")
    admin.find_element(By.ID, "method-reversible").click()
    admin.find_element(By.ID, "years").send_keys("5")
    admin.find_element(By.ID, "months").send_keys("2")
    admin.find_element(By.ID, "treatment-same").click()
    assert "can never be extended" in text(admin, "#retention-warning")
    go(admin, admin.find_element(By.ID, "preview"))
    end = text(admin, "#retention-end")
    preview = re.search(r"Retention would end on (\d{4}-\d{2}-\d{2}) \d{2}:\d{2} UTC", end)
    assert preview, end
    assert admin.find_element(By.ID, "id").get_attribute("value") == "cohort"
    shot(admin, "03-project-preview")
    go(admin, admin.find_element(By.ID, "create"))
    assert admin.current_url == server.base + "/projects/cohort"
    config = text(admin, "#config")
    assert "reversible" in config and "same" in config and "base64url" in config
    assert preview.group(1) + " " in config

    # ... and adds Bob's organisation as a collaborator (without the reverse right).
    admin.find_element(By.ID, "organisation").send_keys(server.bob_org)
    go(admin, admin.find_element(By.ID, "add"))
    assert server.bob_org in text(admin, "#collaborators")
    shot(admin, "04-project")

    # Bob, of another organisation, signs in and requests a token.
    sign_in(bob, server, server.bob_token, "bob")
    assert "cohort" in text(bob, "#projects")
    go(bob, bob.find_element(By.LINK_TEXT, "cohort"))
    assert absent(bob, "#add-collaborator")
    bob.find_element(By.ID, "dataset").send_keys("admissions 2026")
    Select(bob.find_element(By.ID, "token_type")).select_by_value("rev")
    go(bob, bob.find_element(By.ID, "request"))
    request_url = bob.current_url
    assert "/requests/req_" in request_url
    assert text(bob, "#status") == "pending"
    assert text(bob, "#wanted") == "reverse (rev)"
    assert absent(bob, "#decide") and absent(bob, "#generate")
    shot(bob, "05-request-pending")

    # The administrator approves it with a comment, seeing which token type Bob wants.
    admin.get(request_url)
    assert text(admin, "#wanted") == "reverse (rev)"
    admin.find_element(By.ID, "comment").send_keys("approved for the 2026 intake")
    shot(admin, "06-request-decide")
    go(admin, admin.find_element(By.ID, "approve"))
    assert text(admin, "#status") == "approved"
    assert "approved for the 2026 intake" in text(admin, "#history")

    # Bob generates the token: reverse is not offered, with the registry's reason.
    bob.get(request_url)
    assert not bob.find_element(By.ID, "type-rev").is_enabled()
    assert "may not reverse" in text(bob, "#no-reverse")
    # The wanted reverse type cannot be issued, so the form starts on pseudonymisation.
    assert bob.find_element(By.ID, "type-psn").is_selected()
    shot(bob, "07-generate")
    bob.find_element(By.ID, "token-name").send_keys("admissions")
    bob.find_element(By.ID, "type-psn").click()
    # The form carries a one-time value. What the browser would send (a refused attempt first:
    # it does not use the value up, so the corrected form still goes through).
    sent = {"csrf": csrf_of(bob), "name": "admissions", "type": "psn", "expires": "30d",
            "once": bob.find_element(By.CSS_SELECTOR, "#generate input[name='once']").get_attribute("value")}
    assert len(sent["once"]) == 64
    generate_path = urllib.parse.urlparse(request_url).path + "/tokens"
    status, body = post(server, generate_path, {**sent, "expires": "soon"}, session_cookie(bob))
    assert status == 400 and ".ey" not in body, (status, body)
    go(bob, bob.find_element(By.ID, "generate-token"))
    token = text(bob, "#token")
    TOKENS_SEEN.append(token)
    # Sending the same form again (a reload of this page, or Back and resend) makes no second token.
    status, body = post(server, generate_path, sent, session_cookie(bob))
    assert status == 409 and "already sent" in body and token not in body and ".ey" not in body, (status, body)
    status, body = post(server, generate_path, {k: v for k, v in sent.items() if k != "once"}, session_cookie(bob))
    assert status == 400 and "no one-time value" in body, (status, body)
    assert token.count(".") == 2
    command = text(bob, "#curl")
    assert "/api/request-psn " in command and token in command
    # The copy button puts the token on the clipboard.
    bob.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": server.base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    bob.find_element(By.ID, "copy-token").click()
    assert bob.find_element(By.ID, "copy-token").text == "Copied"
    copied = bob.execute_async_script("navigator.clipboard.readText().then(arguments[0], () => arguments[0](''))")
    assert copied == token
    shot(bob, "08-token-once")

    # The token works with the curl command the page shows.
    status, body = curl(command)
    assert status == 200, body
    assert len(json.loads(body)["data"]) == 1

    # The token page lists it (never the token itself), used.
    bob.get(server.base + "/tokens")
    assert token not in bob.page_source
    assert len(bob.find_elements(By.CSS_SELECTOR, "#tokens tbody tr")) == 1, "one token for one form"
    row = bob.find_element(By.CSS_SELECTOR, "#tokens tbody tr")
    assert row.find_element(By.CSS_SELECTOR, ".name").text == "admissions"
    assert row.find_element(By.CSS_SELECTOR, ".status").text == "active"
    assert row.find_element(By.CSS_SELECTOR, ".last-used").text != "Not used"
    shot(bob, "09-tokens")

    # Revoke: the same curl is refused. Filters follow the status.
    go(bob, row.find_element(By.XPATH, ".//button[text()='Revoke']"))
    assert text(bob, "#tokens .status") == "revoked"
    status, body = curl(command)
    assert status == 401 and "revoked" in body, (status, body)
    bob.get(server.base + "/tokens?status=active")
    assert not absent(bob, "#no-tokens")
    bob.find_element(By.ID, "status").send_keys("Revoked")
    go(bob, bob.find_element(By.XPATH, "//form[@id='filter']//button"))
    assert "status=revoked" in bob.current_url and text(bob, "#tokens .status") == "revoked"
    shot(bob, "10-tokens-revoked")

    # Restore: it works again.
    go(bob, bob.find_element(By.XPATH, "//button[text()='Restore']"))
    assert text(bob, "#tokens .status") == "active"
    assert curl(command)[0] == 200

    # Delete (only a revoked one, after a confirmation): gone, and refused for ever.
    assert absent(bob, "#tokens a[href$='/delete']")
    go(bob, bob.find_element(By.XPATH, "//button[text()='Revoke']"))
    go(bob, bob.find_element(By.LINK_TEXT, "Delete…"))
    shot(bob, "11-confirm-delete")
    go(bob, bob.find_element(By.ID, "confirm"))
    assert bob.current_url == server.base + "/tokens"
    assert not absent(bob, "#no-tokens")
    assert curl(command)[0] == 401

    # The administrator's audit log shows the calls, with no value and no token.
    admin.get(server.base + "/audit")
    audit = text(admin, "#audit")
    assert "pseudonymise" in audit and "revoked" in audit
    assert token not in admin.page_source and "Example PID" not in admin.page_source
    shot(admin, "12-audit")


def test_a_forged_post_without_the_csrf_token_is_refused(server, browsers):
    bob = browsers("bob")
    if not bob.get_cookie("pseudo_session"):
        sign_in(bob, server, server.bob_token, "bob")
    cookie = session_cookie(bob)
    status, body = post(server, "/access-tokens", {"kind": "personal", "name": "forged"}, cookie)
    assert status == 403 and "CSRF" in body
    status, body = post(server, "/access-tokens", {"kind": "personal", "name": "forged", "csrf": "0" * 64}, cookie)
    assert status == 403
    bob.get(server.base + "/access-tokens")
    assert "forged" not in text(bob, "main")
    # Sign-in is protected too: its form token is bound to a cookie of its own.
    status, _ = post(server, "/signin", {"token": server.bob_token, "csrf": "x" * 64}, "")
    assert status == 403


def test_a_user_cannot_see_another_organisations_projects_nor_approve(server, browsers):
    admin, bob, carol = browsers("admin"), browsers("bob"), browsers("carol")
    if not admin.get_cookie("pseudo_session"):
        sign_in(admin, server, server.admin_token, "admin")
    create_project(admin, server, "registry-b")
    admin.find_element(By.ID, "organisation").send_keys(server.bob_org)
    go(admin, admin.find_element(By.ID, "add"))

    sign_in(carol, server, server.carol_token, "carol")
    assert "registry-b" not in text(carol, "main")
    carol.get(server.base + "/projects/registry-b")
    assert "no such record" in text(carol, "#error")
    shot(carol, "13-other-organisation")

    if not bob.get_cookie("pseudo_session"):
        sign_in(bob, server, server.bob_token, "bob")
    bob.get(server.base + "/projects/registry-b")
    bob.find_element(By.ID, "dataset").send_keys("labs")
    go(bob, bob.find_element(By.ID, "request"))
    request_path = urllib.parse.urlparse(bob.current_url).path
    assert absent(bob, "#decide")
    # Even with a valid CSRF token, the registry refuses Bob's approval, in plain words.
    status, body = post(server, request_path + "/decision", {"decision": "approve", "csrf": csrf_of(bob)},
                        session_cookie(bob))
    assert status == 403 and "only an administrator can approve" in body
    bob.refresh()
    assert text(bob, "#status") == "pending"
    # Carol (not of Bob's organisation) cannot even see the request.
    carol.get(server.base + request_path)
    assert "no such record" in text(carol, "#error")
    bob.get(server.base + "/audit")
    assert "only an administrator" in text(bob, "#error")


def test_service_tokens_are_for_administrators_only(server, browsers):
    admin, bob = browsers("admin"), browsers("bob")
    if not bob.get_cookie("pseudo_session"):
        sign_in(bob, server, server.bob_token, "bob")
    bob.get(server.base + "/access-tokens")
    assert absent(bob, "#new-service")
    status, body = post(server, "/access-tokens",
                        {"kind": "service", "name": "etl", "account": "etl", "csrf": csrf_of(bob),
                         "once": bob.find_element(By.CSS_SELECTOR, "#new-personal input[name='once']")
                         .get_attribute("value")},
                        session_cookie(bob))
    assert status == 403 and "only an administrator can make service tokens" in body

    # A personal token for Bob: shown once, then only its record.
    bob.find_element(By.ID, "personal-name").send_keys("laptop")
    sent = {"csrf": csrf_of(bob), "kind": "personal", "name": "laptop", "expires": "30d",
            "once": bob.find_element(By.CSS_SELECTOR, "#new-personal input[name='once']").get_attribute("value")}
    go(bob, bob.find_element(By.ID, "make-personal"))
    secret = text(bob, "#token")
    TOKENS_SEEN.append(secret)
    status, body = post(server, "/access-tokens", sent, session_cookie(bob))
    assert status == 409 and "already sent" in body and secret not in body, (status, body)
    assert secret.startswith("pseudo_pat_") or len(secret) > 20
    shot(bob, "14-access-token-once")
    bob.get(server.base + "/access-tokens")
    assert secret not in bob.page_source and text(bob, "#access-tokens").count("laptop") == 1
    assert "Not used" in text(bob, "#access-tokens")

    if not admin.get_cookie("pseudo_session"):
        sign_in(admin, server, server.admin_token, "admin")
    admin.get(server.base + "/access-tokens")
    admin.find_element(By.ID, "service-name").send_keys("nightly")
    admin.find_element(By.ID, "service-account").send_keys("etl-bot")
    go(admin, admin.find_element(By.ID, "make-service"))
    service_secret = text(admin, "#token")
    TOKENS_SEEN.append(service_secret)
    status, body = curl(text(admin, "#curl"))
    assert status == 200 and '"role":"service"' in body.replace(" ", ""), body
    shot(admin, "15-service-token-once")


def test_revoking_the_access_token_ends_the_session_and_sign_out_works(server, browsers):
    dave_token = pseudo(server.data, "access-token", "create", "--name", "dave", "--user", "dave",
                        "--org", server.bob_org, "--expires", "1d")
    TOKENS_SEEN.append(dave_token)
    dave = browsers("dave")
    sign_in(dave, server, dave_token, "dave")
    # A narrow screen: nothing wider than the window.
    dave.set_window_size(390, 844)
    dave.get(server.base + "/access-tokens")
    assert dave.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    shot(dave, "16-narrow")
    row = dave.find_element(By.CSS_SELECTOR, "#access-tokens tbody tr")
    go(dave, row.find_element(By.XPATH, ".//button[text()='Revoke']"))
    assert dave.current_url == server.base + "/signin"
    dave.get(server.base + "/projects")
    assert dave.current_url == server.base + "/signin"
    # A bad token is refused with the registry's reason.
    dave.find_element(By.ID, "token").send_keys(dave_token)
    go(dave, dave.find_element(By.ID, "signin"))
    assert "revoked" in text(dave, "#error")

    bob = browsers("bob")
    if not bob.get_cookie("pseudo_session"):
        sign_in(bob, server, server.bob_token, "bob")
    go(bob, bob.find_element(By.ID, "signout"))
    assert bob.current_url == server.base + "/signin"
    assert bob.get_cookie("pseudo_session") is None
    bob.get(server.base + "/tokens")
    assert bob.current_url == server.base + "/signin"
