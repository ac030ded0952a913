#!/usr/bin/env python3
"""Real third-party SDKs from PyPI, sending to Stepwise unchanged but for the host.

Usage: sdk_clients.py PORT SEGMENT_WRITE_KEY
segment-analytics-python sends to /v1/batch (plain JSON, basic auth); rudder-sdk-python sends
to /v1/batch gzip-compressed. The Swift test that runs this asserts what was stored.
"""
import sys

from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient

port, key = int(sys.argv[1]), sys.argv[2]
host = f"http://127.0.0.1:{port}"
failures = []


def on_error(error, items):
    failures.append(str(error))


segment = SegmentClient(write_key=key, host=host, sync_mode=True, on_error=on_error)
segment.page(anonymous_id="anon-1", name="Pricing",
             properties={"url": "https://shop.example/pricing?utm_source=news", "referrer": "https://www.google.com/"},
             context={"userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1",
                      "timezone": "Europe/Berlin"})
segment.track(user_id="u-1", anonymous_id="anon-1", event="Signed Up", message_id="seg-1",
              properties={"plan": "pro", "seats": 3, "meta": {"source": "ads"}, "tags": ["a", "b"]})
segment.track(user_id="u-1", anonymous_id="anon-1", event="Signed Up", message_id="seg-1", properties={"plan": "pro"})  # a retry
segment.identify(user_id="u-1", anonymous_id="anon-1", traits={"plan": "pro"})
segment.flush()

rudder = RudderClient(write_key=key, host=host, sync_mode=True, on_error=on_error)   # gzip by default
rudder.track(anonymous_id="anon-2", event="Added To Cart", message_id="rud-1", properties={"revenue": 49.5, "currency": "eur", "sku": "X-1"})
rudder.flush()

if failures:
    raise SystemExit("delivery failed: " + "; ".join(failures))
print("ok")
