"""The HTML report renders in headless Chromium: the summary table and a gap entry are visible."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from parity_support import PLANTED, SDK_VERSION
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tinker_harness.reports.parity import run_parity

CHROMEDRIVER = "/usr/bin/chromedriver"


def test_html_report_shows_summary_and_gaps_in_chromium(tmp_path: Path) -> None:
    assert shutil.which("chromium") and Path(CHROMEDRIVER).exists(), (
        "headless Chromium is needed: apt-get install -y chromium chromium-driver"
    )
    run = run_parity(SDK_VERSION, PLANTED, output=tmp_path)
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
        driver.get(run.html.resolve().as_uri())
        assert driver.title == "Parity report: Tinkex vs tinker 0.38.0 (Python)"
        summary = driver.find_element(By.ID, "summary")
        assert summary.is_displayed()
        rows = [r.text for r in summary.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert rows[1].startswith("Types 5 40.0 %")
        gap = driver.find_element(By.ID, "types/missing-field/LoraConfig#rank")
        driver.execute_script("arguments[0].scrollIntoView()", gap)
        assert gap.is_displayed() and gap.size["height"] > 40
        assert "tinker/types/lora_config.py:9" in gap.text and "lib/tinkex/types/lora_config.ex:1" in gap.text
        assert "HIGH" in gap.find_element(By.CSS_SELECTOR, ".sev").text.upper()
    finally:
        driver.quit()
