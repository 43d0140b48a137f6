#!/usr/bin/env python3
"""Uploads a local directory tree to a container of a local Azurite, with optional blob index tags.

Used by the quickstart and the benchmark; Python standard library only. Authenticates with an account
SAS it signs itself from the account key (Azurite's well-known development key by default).

  seed.py --endpoint http://127.0.0.1:10000/devstoreaccount1 --container media --dir ./sample \
          [--tags 'path/glob=k1=v1&k2=v2' ...] [--delete NAME ...] [--workers 8]
"""
import argparse, base64, concurrent.futures, datetime, fnmatch, hashlib, hmac, http.client, os, sys
import urllib.parse

DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
VERSION = "2021-12-02"


def account_sas(account, key):
    sv, ss, srt, sp = VERSION, "b", "sco", "rwdlacupt"
    se = (datetime.datetime.utcnow() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # For sv >= 2020-12-06 the string to sign ends with the (empty) encryption scope.
    sts = "\n".join([account, sp, ss, srt, "", se, "", "", sv, "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(key), sts.encode(), hashlib.sha256).digest()).decode()
    return urllib.parse.urlencode({"sv": sv, "ss": ss, "srt": srt, "sp": sp, "se": se, "sig": sig})


class Client:
    def __init__(self, endpoint, key):
        u = urllib.parse.urlparse(endpoint.rstrip("/"))
        self.host, self.port, self.base = u.hostname, u.port or 80, u.path
        self.account = u.path.strip("/").split("/")[0]
        self.sas = account_sas(self.account, key)

    def request(self, method, path, query="", body=b"", headers=None):
        h = {"x-ms-version": VERSION, "Content-Length": str(len(body))}
        h.update(headers or {})
        url = self.base + "/" + urllib.parse.quote(path, safe="/") + "?" + (query + "&" if query else "") + self.sas
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request(method, url, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, data
        finally:
            conn.close()

    def create_container(self, container):
        status, data = self.request("PUT", container, "restype=container")
        if status not in (201, 409):
            sys.exit(f"create container {container}: HTTP {status} {data[:200]!r}")

    def put_blob(self, container, name, content, tags):
        headers = {"x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream",
                   "Content-MD5": base64.b64encode(hashlib.md5(content).digest()).decode()}
        if tags:
            headers["x-ms-tags"] = tags
        status, data = self.request("PUT", f"{container}/{name}", body=content, headers=headers)
        if status != 201:
            raise RuntimeError(f"put {name}: HTTP {status} {data[:200]!r}")

    def delete_blob(self, container, name):
        status, data = self.request("DELETE", f"{container}/{name}")
        if status not in (202, 404):
            raise RuntimeError(f"delete {name}: HTTP {status} {data[:200]!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", default=f"http://127.0.0.1:10000/{DEV_ACCOUNT}")
    ap.add_argument("--key", default=DEV_KEY)
    ap.add_argument("--container", required=True)
    ap.add_argument("--dir", help="upload every file under this directory, named by its relative path")
    ap.add_argument("--tags", action="append", default=[], help="GLOB=TAGQUERY, e.g. 'models/*=tier=hot&owner=ml'")
    ap.add_argument("--delete", action="append", default=[], help="blob names to delete")
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()
    c = Client(args.endpoint, args.key)
    c.create_container(args.container)
    rules = [t.split("=", 1) for t in args.tags]
    jobs = []
    if args.dir:
        for root, _, files in os.walk(args.dir):
            for f in files:
                full = os.path.join(root, f)
                name = os.path.relpath(full, args.dir).replace(os.sep, "/")
                tags = "&".join(q for g, q in rules if fnmatch.fnmatch(name, g))
                jobs.append((name, full, tags))
    def upload(job):
        name, full, tags = job
        with open(full, "rb") as fh:
            c.put_blob(args.container, name, fh.read(), tags)
    with concurrent.futures.ThreadPoolExecutor(args.workers) as ex:
        for _ in ex.map(upload, jobs):
            pass
        for _ in ex.map(lambda n: c.delete_blob(args.container, n), args.delete):
            pass
    print(f"uploaded {len(jobs)} blobs, deleted {len(args.delete)} from {args.container}")


if __name__ == "__main__":
    main()
