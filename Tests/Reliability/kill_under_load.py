"""No acknowledged event is lost: concurrent senders, SIGKILL at random moments, SIGTERM at the end.

usage: kill_under_load.py STEPWISE_BINARY DATABASE ROUNDS SEED

Each round starts `stepwise serve` on the database, runs 4 sender threads posting batches of 50
events with unique ids, and kills the server with SIGKILL after a random delay (seeded). Batches
that got no 2xx are retried with the same ids on the next server, together with some that did
(a client that never saw the answer retries too). Last, a server is stopped with SIGTERM while
senders are running: it must exit 0. The database must then hold every acknowledged id exactly
once. Prints one JSON line of counts; exits 1 on any loss or duplicate.
"""
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

BINARY, DATABASE, ROUNDS, SEED = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
random.seed(SEED)
lock = threading.Lock()
acked, pending = set(), []          # ids with a 2xx; batches (lists of ids) without one
stats = {"rounds": ROUNDS, "batches_sent": 0, "batches_acked": 0, "batches_failed": 0, "retried": 0, "duplicate_sends": 0}


def start():
    process = subprocess.Popen([BINARY, "serve", "--open-sites", "--db", DATABASE, "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    port = int(line.split("127.0.0.1:")[1].split("/")[0])
    return process, port


def body(ids):
    return json.dumps({"batch": [{"id": i, "site": "load.example", "event": "pageview", "visitor": i.split("-")[1],
                                   "url": "https://load.example/p"} for i in ids]})


def send(port, ids):
    """True when the server acknowledged the batch with a 2xx."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/api/v1/events", body(ids), {"Content-Type": "application/json"})
        status = connection.getresponse().status
        connection.close()
        return 200 <= status < 300
    except (OSError, http.client.HTTPException):
        return False


def sender(port, name, stop):
    seq = 0
    while not stop.is_set():
        ids = [f"{name}-{seq}-{k}" for k in range(50)]
        seq += 1
        ok = send(port, ids)
        with lock:
            stats["batches_sent"] += 1
            if ok:
                stats["batches_acked"] += 1
                acked.update(ids)
            else:
                stats["batches_failed"] += 1
                pending.append(ids)
        if not ok:
            return  # the server is gone


def load(port, prefix, seconds, kill=None):
    stop = threading.Event()
    threads = [threading.Thread(target=sender, args=(port, f"{prefix}t{t}", stop)) for t in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    if kill:
        kill()
    stop.set()
    for thread in threads:
        thread.join()


for round_ in range(ROUNDS):
    process, port = start()
    # Retries first: the same ids, on the new server; and some acknowledged batches again.
    with lock:
        retry, pending[:] = list(pending), []
    for ids in retry:
        if send(port, ids):
            acked.update(ids)
            stats["retried"] += 1
        else:
            pending.append(ids)
    sample = random.sample(sorted(acked), min(len(acked), 100))
    if sample and send(port, sample):
        stats["duplicate_sends"] += len(sample)
    load(port, f"r{round_}", random.uniform(0.2, 1.5), kill=lambda: process.send_signal(signal.SIGKILL))
    process.wait()

# Last: the leftovers retried, then SIGTERM under load must finish what it acknowledged and exit 0.
process, port = start()
for ids in list(pending):
    if send(port, ids):
        acked.update(ids)
        stats["retried"] += 1
        pending.remove(ids)
load(port, "term", 0.8, kill=lambda: process.send_signal(signal.SIGTERM))
stats["sigterm_exit"] = process.wait(timeout=30)

database = sqlite3.connect(DATABASE)
stored = {}
for (event_id,) in database.execute("SELECT event_id FROM events WHERE event_id IS NOT NULL"):
    stored[event_id] = stored.get(event_id, 0) + 1
stats["acknowledged"] = len(acked)
stats["lost"] = len([i for i in acked if i not in stored])
stats["stored_twice"] = len([i for i, n in stored.items() if n > 1])
stats["stored"] = len(stored)
print(json.dumps(stats), flush=True)
sys.exit(0 if stats["lost"] == 0 and stats["stored_twice"] == 0 and stats["sigterm_exit"] == 0 else 1)
