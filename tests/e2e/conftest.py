"""Screenshots of the page when an end-to-end test fails (tests/e2e/.cache/failures/<test>.png)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        page = getattr(item.module, "CURRENT_PAGE", None)
        if page is not None:
            from tests.e2e.harness import FAILURES, log

            FAILURES.mkdir(parents=True, exist_ok=True)
            path = FAILURES / f"{item.name}.png"
            try:
                page.screenshot(path=str(path))
                log(f"screenshot of the failure: {path}")
                report.sections.append(("e2e screenshot", str(path)))
            except Exception as error:  # noqa: BLE001 - the page may be gone; the failure itself matters more
                log(f"no screenshot of the failure: {error}")
    return report
