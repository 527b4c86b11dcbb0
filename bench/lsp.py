#!/usr/bin/env python3
"""Latency of `stance lsp` (issue 19), measured, never asserted.

Drives the release binary over stdio like an editor: opens a rule file, then types
keystrokes that alternately break and repair a relation name, and measures for each the
time from sending `didChange` to receiving that file's `publishDiagnostics`; then the time
of `hover` requests once evaluation has finished. Two workspaces: a copy of the example
(rules/, facts/), and a generated rule file of 5,000 lines over the example's facts.

Usage: bench/lsp.py [--keystrokes N] [--binary PATH]
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Server:
    def __init__(self, binary, root):
        self.p = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=root)
        self.next = 0

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def recv(self):
        length = None
        while True:
            line = self.p.stdout.readline()
            if not line:
                sys.exit("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.p.stdout.read(length))

    def request(self, method, params):
        self.next += 1
        self.send({"jsonrpc": "2.0", "id": self.next, "method": method, "params": params})
        while True:
            m = self.recv()
            if m.get("id") == self.next and "method" not in m:
                return m

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, pred):
        while True:
            m = self.recv()
            if pred(m):
                return m


def measure(binary, root, path, line, good, bad, keystrokes, options=None):
    uri = "file://" + path
    text = open(path).read()
    s = Server(binary, root)
    s.request("initialize", {"processId": None, "rootUri": "file://" + root, "capabilities": {},
                             "initializationOptions": dict({"debounceMs": 0}, **(options or {}))})
    s.notify("initialized", {})
    s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "stance", "version": 1, "text": text}})
    s.wait(lambda m: m.get("method") == "$/stance/analysed")
    lines = text.split("\n")
    col = lines[line].index(good)
    latencies = []
    for k in range(keystrokes):
        new = bad if k % 2 == 0 else good
        rng = {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + len(good)}}
        t = time.perf_counter()
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": k + 2},
                                             "contentChanges": [{"range": rng, "text": new}]})
        s.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)
        latencies.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    if keystrokes % 2 == 1:
        # End on the repaired text, so that the last evaluation is of a program without errors.
        rng = {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + len(good)}}
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": keystrokes + 2},
                                             "contentChanges": [{"range": rng, "text": good}]})
        keystrokes += 1
    s.wait(lambda m: m.get("method") == "$/stance/analysed" and m["params"]["generation"] >= keystrokes + 2)
    measure.evaluation = (time.perf_counter() - t) * 1000
    hovers = []
    for _ in range(20):
        t = time.perf_counter()
        s.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": line, "character": col + 1}})
        hovers.append((time.perf_counter() - t) * 1000)
    s.request("shutdown", None)
    s.notify("exit", None)
    s.p.wait()
    return latencies, hovers


def summary(xs):
    xs = sorted(xs)
    return "median %.1f ms, p90 %.1f ms, max %.1f ms" % (statistics.median(xs), xs[int(len(xs) * 0.9) - 1], xs[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keystrokes", type=int, default=40)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/stance"))
    ap.add_argument("--kb-rows", type=int, default=1000000)
    ap.add_argument("--skip-kb", action="store_true")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    if not os.path.exists(args.binary):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        example = os.path.join(tmp, "example")
        shutil.copytree(os.path.join(ROOT, "rules"), os.path.join(example, "rules"))
        shutil.copytree(os.path.join(ROOT, "facts"), os.path.join(example, "facts"))
        path = os.path.join(example, "rules", "libya.dl")
        line = open(path).read().split("\n").index("aligned(x, y) :- backs(x, y).")
        d, h = measure(args.binary, example, path, line, "backs", "backz", args.keystrokes)
        print("example (rules/libya.dl): diagnostics after a keystroke: %s; hover: %s" % (summary(d), summary(h)))

        big = os.path.join(tmp, "big")
        os.makedirs(os.path.join(big, "rules"))
        shutil.copytree(os.path.join(ROOT, "facts"), os.path.join(big, "facts"))
        out = []
        for i in range(1250):
            out.append(".decl r%d(x: symbol, y: symbol)" % i)
            out.append("r%d(x, y) :- backs(x, y)." % i if i == 0 else "r%d(x, y) :- r%d(x, y)." % (i, i - 1))
            out.append("r%d(x, z) :- r%d(x, y), relies_on(y, z)." % (i, i))
            out.append("")
        out.append(".output r1249")
        path = os.path.join(big, "rules", "big.dl")
        open(path, "w").write("\n".join(out) + "\n")
        d, h = measure(args.binary, big, path, 1, "backs", "backz", args.keystrokes)
        print("generated (%d lines): diagnostics after a keystroke: %s; hover: %s" % (len(out), summary(d), summary(h)))

        if not args.skip_kb:
            kb = os.path.join(tmp, "kb")
            os.makedirs(os.path.join(kb, "rules"))
            os.makedirs(os.path.join(kb, "facts"))
            actors = max(args.kb_rows // 10, 10)
            rng = random.Random(1)
            with open(os.path.join(kb, "facts", "statements.csv"), "w") as f:
                f.write("subject,relation,object,source,date,quote\n")
                for i in range(args.kb_rows):
                    rel = "backs" if i % 2 == 0 else "relies_on"
                    f.write("a%d,%s,a%d,src%d,2016-11-%02d,row %d\n"
                            % (rng.randrange(actors), rel, rng.randrange(actors), i % 100, 1 + i % 28, i))
            rules = ("// %d statement rows\n.decl aligned(x: symbol, y: symbol)\n.output aligned\n"
                     "aligned(x, y) :- backs(x, y).\naligned(x, z) :- backs(x, y), relies_on(y, z).\n" % args.kb_rows)
            path = os.path.join(kb, "rules", "kb.dl")
            open(path, "w").write(rules)
            d, h = measure(args.binary, kb, path, 3, "backs", "backz", args.keystrokes,
                           {"maxTuples": 100000000, "timeoutMs": 600000})
            print("knowledge base (%d statement rows): diagnostics after a keystroke: %s; "
                  "evaluation after the last keystroke: %.0f ms; hover: %s"
                  % (args.kb_rows, summary(d), measure.evaluation, summary(h)))


if __name__ == "__main__":
    main()
