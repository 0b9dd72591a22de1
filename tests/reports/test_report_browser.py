"""The HTML report in headless Chromium: top fixes first, collapsible groups, filters that hide gaps."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from parity_support import PLANTED, SDK_VERSION
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tinker_harness.reports.parity import run_parity

CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    assert shutil.which("chromium") and Path(CHROMEDRIVER).exists(), (
        "headless Chromium is needed: apt-get install -y chromium chromium-driver"
    )
    options = Options()
    profile = tempfile.mkdtemp(dir=tmp_path)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1200,900",
    ):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "chromium"
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _visible_gaps(driver: WebDriver) -> list[str]:
    return [
        a.get_attribute("id") or "" for a in driver.find_elements(By.CSS_SELECTOR, "article.gap") if a.is_displayed()
    ]


def _open_all(driver: WebDriver) -> None:
    driver.find_element(By.ID, "expand").click()


def test_html_report_leads_with_fixes_and_filters_in_chromium(tmp_path: Path, browser: WebDriver) -> None:
    run = run_parity(SDK_VERSION, PLANTED, output=tmp_path)
    browser.get(run.html.resolve().as_uri())
    assert browser.title == "Parity report: Tinkex vs tinker 0.38.0 (Python)"

    top = browser.find_element(By.ID, "top-fixes")
    headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
    assert headings[0] == "Fix these first" and top.is_displayed()
    first = top.find_elements(By.TAG_NAME, "li")[0]
    assert first.text.upper().startswith("CRITICAL") and "Fix:" in first.text

    summary = browser.find_element(By.ID, "summary")
    rows = [" ".join(r.text.split()) for r in summary.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert any(r.startswith("Types 5 100.0 % 40.0 %") for r in rows), rows

    # Groups are collapsible: the top ones open, the rest closed until expanded.
    groups = browser.find_elements(By.CSS_SELECTOR, "details.group")
    opened = [g for g in groups if g.get_attribute("open") is not None]
    assert opened and len(opened) < len(groups)
    rank = browser.find_element(By.ID, "wire/missing-field/LoraConfig#rank")
    browser.execute_script("arguments[0].scrollIntoView()", rank)
    assert rank.is_displayed() and "tinker/types/lora_config.py:9" in rank.text
    _open_all(browser)
    everything = _visible_gaps(browser)
    assert len(everything) == len(run.report.findings)

    # Severity filter: only critical gaps stay, and groups left empty disappear.
    for severity in ("high", "medium", "low"):
        browser.find_element(By.CSS_SELECTOR, f'input[name="severity"][value="{severity}"]').click()
    critical = _visible_gaps(browser)
    assert critical and set(critical) == {f.id for f in run.report.findings if f.severity.value == "critical"}
    assert all(g.is_displayed() == bool(g.find_elements(By.CSS_SELECTOR, "article.gap:not([hidden])")) for g in groups)
    assert browser.find_element(By.ID, "shown").text == str(len(critical))

    # Domain filter on top of it: no wire domain left, only the critical endpoint gaps.
    browser.find_element(By.CSS_SELECTOR, 'input[name="domain"][value="wire"]').click()
    assert set(_visible_gaps(browser)) == {
        f.id for f in run.report.findings if f.severity.value == "critical" and f.domain.value != "wire"
    }

    # Status filter: deprecated SDK items only (all severities back on).
    for box in browser.find_elements(By.CSS_SELECTOR, 'input[type="checkbox"]'):
        if not box.is_selected():
            box.click()
    for status in ("stable", "server-gated", "experimental"):
        browser.find_element(By.CSS_SELECTOR, f'input[name="status"][value="{status}"]').click()
    deprecated = {g.key for g in run.report.groups if g.status == "deprecated"}
    expected = {i for g in run.report.groups if g.key in deprecated for i in g.findings}
    assert expected and set(_visible_gaps(browser)) == expected
