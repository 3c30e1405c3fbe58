"""Log in to a running Rapport and take screenshots of pages: python scripts/screenshots.py URL..."""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = "http://127.0.0.1:8000"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]


def main() -> None:
    user = "chenxm"
    paths = []
    for arg in sys.argv[1:]:
        if arg.startswith("--user="):
            user = arg.split("=", 1)[1]
        else:
            paths.append(arg)
    out = Path("/tmp/shots")
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(BASE + "/login/")
        page.fill("#id_username", user)
        page.fill("#id_password", "rapport-demo")
        page.click("button[type=submit]")
        for path in paths:
            page.goto(BASE + path)
            name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(out / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
