#!/usr/bin/env python3
"""Helpers for Benchmarks/http/run (Python standard library only).

  souk_http.py sign-in  BASE EMAIL PASSWORD           -> prints the bearer token
  souk_http.py get      BASE TOKEN PATH                -> prints the body (exit 1 unless 200)
  souk_http.py stock    BASE TOKEN SHOP SKU AVAILABLE  -> adjusts SKU so that 'available' == AVAILABLE
  souk_http.py shops    BASE TOKEN COUNT THREADS       -> creates shops b0001.. with a product + SKU + stock
  souk_http.py race     BASE TOKEN SHOP SKU UNITS CLIENTS -> oversell check; exit 2 on oversell
  souk_http.py sample   PID OUTFILE INTERVAL           -> samples VmRSS/VmHWM until PID exits or OUTFILE.stop exists
"""
import http.client, json, os, sys, threading, time
from urllib.parse import quote, urlsplit


def conn(base):
    u = urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def call(c, method, path, token=None, body=None):
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=headers)
    r = c.getresponse()
    raw = r.read()
    return r.status, raw


def sign_in(base, email, password):
    status, raw = call(conn(base), "POST", "/v1/auth/sign-in", body={"email": email, "password": password})
    if status != 200:
        sys.exit(f"sign-in failed: {status} {raw[:200]!r}")
    return json.loads(raw)["token"]


def available(c, token, shop, sku):
    # stock.list is paged: ask for this SKU only, so one page holds all its locations.
    status, raw = call(c, "GET", f"/v1/shops/{shop}/inventory/stock/list?sku={quote(sku)}&limit=500", token)
    if status != 200:
        sys.exit(f"stock list failed: {status} {raw[:200]!r}")
    rows = json.loads(raw)["items"]
    total = [r["available"] for r in rows if r["sku"] == sku]
    if not total:
        return None
    return sum(total)


def set_available(base, token, shop, sku, target):
    c = conn(base)
    now = available(c, token, shop, sku) or 0
    delta = target - now
    if delta:
        reason = "received" if delta > 0 else "correction"
        status, raw = call(c, "POST", f"/v1/shops/{shop}/inventory/adjust", token,
                           {"sku": sku, "quantity": delta, "reason": reason})
        if status != 200:
            sys.exit(f"adjust failed: {status} {raw[:200]!r}")
    after = available(c, token, shop, sku)
    if after != target:
        sys.exit(f"stock of {sku} is {after}, wanted {target}")
    return after


def create_shops(base, token, count, threads):
    """Platform shop.create over HTTP, then one listed product, one SKU and stock per shop."""
    errors = []
    lock = threading.Lock()
    next_index = [1]

    def worker():
        c = conn(base)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i > count:
                return
            code = f"b{i:04d}"
            steps = [
                ("POST", "/v1/shop/create", {"code": code, "name": f"Bench shop {i}", "currency": "EUR"}),
                ("POST", f"/v1/shops/{code}/catalog/product/create",
                 {"handle": "mug", "title": f"Mug {i}", "description": "Bench product", "listed": True}),
                ("POST", f"/v1/shops/{code}/catalog/sku/add", {"product": "mug", "code": "MUG-1", "price": 900 + i % 100}),
                ("POST", f"/v1/shops/{code}/inventory/adjust", {"sku": "MUG-1", "quantity": 1000000, "reason": "received"}),
            ]
            for method, path, body in steps:
                status, raw = call(c, method, path, token, body)
                if status != 200:
                    with lock:
                        errors.append(f"{path}: {status} {raw[:160]!r}")
                    break

    started = time.time()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    elapsed = time.time() - started
    if errors:
        print("\n".join(errors[:5]), file=sys.stderr)
        sys.exit(f"{len(errors)} shops failed")
    print(f"{count} shops in {elapsed:.1f} s ({count / elapsed:.0f} shops/s, 4 requests each)")


def race(base, token, shop, sku, units, clients):
    set_available(base, token, shop, sku, units)
    barrier = threading.Barrier(clients)
    lock = threading.Lock()
    counts = {"ok": 0, "insufficient": 0, "other": 0}
    others = []
    body = {"lines": [f"{sku}:1"]}

    def worker():
        c = conn(base)
        barrier.wait()
        attempts = 0
        while attempts < 10000:
            attempts += 1
            try:
                status, raw = call(c, "POST", f"/v1/shops/{shop}/orders/place", token, body)
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    counts["other"] += 1; others.append(repr(e))
                c = conn(base)
                continue
            if status == 200:
                with lock: counts["ok"] += 1
                continue
            code = ""
            try: code = json.loads(raw).get("code", "")
            except ValueError: pass
            if status == 409 and code == "insufficient_stock":
                with lock: counts["insufficient"] += 1
                return
            with lock:
                counts["other"] += 1; others.append(f"{status} {code}")
            if status < 500 and status != 429:
                return

    started = time.time()
    ts = [threading.Thread(target=worker) for _ in range(clients)]
    for t in ts: t.start()
    for t in ts: t.join()
    elapsed = time.time() - started
    left = available(conn(base), token, shop, sku)
    sold = counts["ok"]
    oversold = max(0, sold - units) + max(0, -(left or 0))
    ok = sold == units and left == 0 and oversold == 0
    print(f"race: {clients} clients, {units} units of {sku}: 200={sold} 409 insufficient_stock={counts['insufficient']} "
          f"other={counts['other']} available after={left} time={elapsed:.2f}s oversold={oversold} -> {'PASS' if ok else 'FAIL'}")
    if others:
        print("  other answers: " + ", ".join(sorted(set(others))[:5]))
    print(f"RACE {'PASS' if ok else 'FAIL'} {sold} {counts['insufficient']} {counts['other']} {left} {oversold}")
    sys.exit(2 if oversold else (0 if ok else 1))


def sample(pid, outfile, interval):
    peak_rss = hwm = 0
    stop = outfile + ".stop"
    while not os.path.exists(stop):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"): peak_rss = max(peak_rss, int(line.split()[1]))
                    elif line.startswith("VmHWM:"): hwm = max(hwm, int(line.split()[1]))
        except OSError:
            break
        with open(outfile + ".tmp", "w") as f:
            f.write(f"{peak_rss} {hwm}\n")
        os.replace(outfile + ".tmp", outfile)
        time.sleep(interval)


def main(argv):
    cmd = argv[1]
    if cmd == "sign-in": print(sign_in(argv[2], argv[3], argv[4]))
    elif cmd == "get":
        status, raw = call(conn(argv[2]), "GET", argv[4], argv[3])
        if status != 200: sys.exit(f"GET {argv[4]}: {status} {raw[:200]!r}")
        sys.stdout.buffer.write(raw)
    elif cmd == "stock": print(set_available(argv[2], argv[3], argv[4], argv[5], int(argv[6])))
    elif cmd == "shops": create_shops(argv[2], argv[3], int(argv[4]), int(argv[5]))
    elif cmd == "race": race(argv[2], argv[3], argv[4], argv[5], int(argv[6]), int(argv[7]))
    elif cmd == "sample": sample(int(argv[2]), argv[3], float(argv[4]))
    else: sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
