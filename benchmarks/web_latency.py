"""From a facilitator's command to the room board and 10 team pages updated, on loopback.

Starts the workshop server in this process, opens the room's and ten team pages' event streams
(as the browsers do: server-sent events over HTTP), then repeats: the facilitator POSTs a command;
the time until the last of the 11 streams has received the new state is one round. Prints every
round's figure, the median with its spread and the machine's load; the last line is one JSON
object.

    python benchmarks/web_latency.py [--rounds 15]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.scenario.load import load_scenario  # noqa: E402
from sim.web.serve import start  # noqa: E402
from sim.workshop.live import LiveSession  # noqa: E402
from sim.workshop.session import Session  # noqa: E402

TEAMS = [f"t{k}" for k in range(10)]


def listen(client: httpx.Client, path: str, seen: dict, key: str, stop: threading.Event) -> None:
    with client.stream("GET", path, timeout=None) as r:
        for line in r.iter_lines():
            if stop.is_set():
                return
            if line.startswith("data: "):
                seen[key] = (json.loads(line[6:])["version"], time.perf_counter())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with TemporaryDirectory() as tmp:
        sess = Session.start(load_scenario(ROOT / "scenarios" / "nato-response-2022.yaml"), seed=1,
                             teams=["blue", "red", "white", *TEAMS], log_path=Path(tmp) / "s.jsonl")
        live = LiveSession(sess)
        server = start(live, "127.0.0.1", 0, "1111")
        stop = threading.Event()
        seen: dict[str, tuple[int, float]] = {}
        threads = []
        fac = httpx.Client(base_url=server.base, timeout=30)
        fac.get(f"/facilitator?token={server.secrets.token}", follow_redirects=False)
        csrf = server.secrets.csrf
        for key in ["room", *TEAMS]:
            c = httpx.Client(base_url=server.base)
            if key != "room":
                c.get(f"/team/{key}?pin=1111", follow_redirects=False)
            path = "/api/events/room" if key == "room" else f"/api/events/team/{key}"
            t = threading.Thread(target=listen, args=(c, path, seen, key, stop), daemon=True)
            t.start()
            threads.append(t)
        deadline = time.monotonic() + 20
        while len(seen) < 11 and time.monotonic() < deadline:
            time.sleep(0.05)
        rounds = []
        for k in range(args.rounds):
            v = live.version
            t0 = time.perf_counter()
            line = "next" if k % 3 else f'inject "Round {k}" --title "Bench {k}"'
            r = fac.post("/api/facilitator/command", json={"line": line}, headers={"X-CSRF-Token": csrf})
            if r.status_code != 200:  # a decision pending: take its default
                p = sess.pending
                fac.post("/api/facilitator/command", json={"line": f"decide {p['decision']} {p['default']}"},
                         headers={"X-CSRF-Token": csrf})
            while time.perf_counter() - t0 < 5 and not all(seen[x][0] > v for x in seen):
                time.sleep(0.001)
            ms = (max(seen[x][1] for x in seen) - t0) * 1000
            rounds.append(ms)
            print(f"round {k + 1:>2}: {line:<28} all 11 pages updated in {ms:6.1f} ms", flush=True)
            time.sleep(0.1)
        stop.set()
        server.stop()
        sess.close()
    med = statistics.median(rounds)
    q = statistics.quantiles(rounds, n=4)
    load = os.getloadavg()[0]
    print(f"median {med:.1f} ms (IQR {q[0]:.1f}-{q[2]:.1f}, max {max(rounds):.1f}) over {len(rounds)} rounds; "
          f"load {load:.2f}; target <= 200 ms")
    print(json.dumps({"web_update_ms_median": round(med, 1), "web_update_ms_p75": round(q[2], 1),
                      "web_update_ms_max": round(max(rounds), 1), "pages": 11, "rounds": len(rounds),
                      "load": round(load, 2)}))


if __name__ == "__main__":
    main()
