"""The load benchmark's simulated readers and journalists (locust; ``benchmarks/load/run.py``).

Residents open pages, as a browser does (the page, then Dash's layout and dependencies
with the page as ``Referer``), and change filters (the Overview's callback with the
bodies ``run.py`` prepared from the served catalogs). Journalists read the API's
summaries and chart CSVs and download rows. Any answer but 200 is a failure, and so is
a page that drew its error message; a download is read to its end.

Reads ``CRISIS_LOAD_PLAN`` (a JSON file written by ``run.py``): page addresses, callback
bodies, API and download addresses.
"""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, task

with open(os.environ["CRISIS_LOAD_PLAN"], encoding="utf-8") as fh:
    PLAN = json.load(fh)


class Resident(HttpUser):
    """Opens a page, then changes a filter or two, reading between clicks."""

    weight = 5
    wait_time = between(1, 4)

    @task(3)
    def open_page(self) -> None:
        address = random.choice(PLAN["pages"])  # noqa: S311 (a simulated reader)
        with self.client.get(address, name="page", catch_response=True) as response:
            if response.status_code == 200 and "alert-danger" in response.text:
                response.failure("the page drew its error message")  # a 200 that failed
        referer = {"Referer": self.client.base_url + address}
        self.client.get("/_dash-layout", headers=referer, name="dash layout")
        self.client.get("/_dash-dependencies", headers=referer, name="dash dependencies")

    @task(4)
    def change_filter(self) -> None:
        body = random.choice(PLAN["callbacks"])  # noqa: S311
        self.client.post("/_dash-update-component", json=body, name="filter change (callback)",
                         headers={"Referer": self.client.base_url + "/"})


class Journalist(HttpUser):
    """Reads summaries and chart data, and downloads rows."""

    weight = 1
    wait_time = between(2, 6)

    @task(3)
    def summary(self) -> None:
        self.client.get(random.choice(PLAN["api"]), name="api")  # noqa: S311

    @task(1)
    def download(self) -> None:
        with self.client.get(random.choice(PLAN["downloads"]), name="rows download (csv)",  # noqa: S311
                             stream=True, catch_response=True) as response:
            size = sum(len(chunk) for chunk in response.iter_content(1 << 16))
            if response.status_code == 200 and size > 0:
                response.success()
            else:
                response.failure(f"status {response.status_code}, {size} bytes")
