#!/usr/bin/env python3
"""The ga4mp package from PyPI sending to Stepwise's GA4 Measurement Protocol endpoints.

Usage: ga4_client.py PORT MEASUREMENT_ID API_SECRET
ga4mp has no host option, so only its two endpoint URLs are pointed at Stepwise; everything
else (the body it builds, session_id, engagement_time_msec) is the library's own.
"""
import sys

from ga4mp import GtagMP

port, measurement_id, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ga = GtagMP(api_secret=secret, measurement_id=measurement_id, client_id="555.123")
ga._base_domain = f"http://127.0.0.1:{port}/mp/collect"
ga._validation_domain = f"http://127.0.0.1:{port}/debug/mp/collect"

view = ga.create_new_event(name="page_view")
view.set_event_param(name="page_location", value="https://shop.example/pricing?utm_source=news")
purchase = ga.create_new_event(name="purchase")
purchase.set_event_param(name="value", value=49.5)
purchase.set_event_param(name="currency", value="eur")
purchase.set_event_param(name="transaction_id", value="T-1")
ga.send(events=[view, purchase])
print("ok")
