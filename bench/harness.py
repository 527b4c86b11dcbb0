"""Measures the benchmark suite; bench/run prepares binaries and inputs and calls this.

Every benchmark runs its engines alternately (A B C A B C ...) for --reps rounds, each run
under GNU time (`/usr/bin/time -f '%e %M'`) for peak memory, with the wall time taken here.
Reported: median seconds, median peak MB, and ratios against the benchmark's baseline engine.
Every engine must report the same counts (`name<TAB>n` or `name,n` lines on standard output);
a disagreement fails the run. Standard library only: it runs on the system python3.
"""

import argparse
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

COUNT_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)[\t,](-?\d+)$")


def measure(argv, timeout, log):
    """One run: (seconds, peak KB, counts dict, CPU seconds) or raises RuntimeError."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        try:
            p = subprocess.run(
                ["/usr/bin/time", "-f", "%e %M %U %S", "-o", tf.name, *argv],
                stdout=subprocess.PIPE, stderr=err, timeout=timeout, text=True,
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"timed out after {timeout:.0f} s")
        seconds = time.perf_counter() - start
        last = [ln for ln in tf.read().splitlines() if ln.strip()]
        err.seek(0)
        stderr = err.read()
    log.write(f"$ {' '.join(argv)}\n{stderr}")
    if p.returncode != 0:
        oom = "memory allocation of" in stderr or "MemoryError" in stderr or "Out of Memory" in stderr
        why = "out of memory" if oom else f"exit code {p.returncode}"
        raise RuntimeError(f"{why} (see {log.name})")
    fields = last[-1].split()
    peak_kb = int(fields[1])
    cpu = float(fields[2]) + float(fields[3])
    counts = {}
    for line in p.stdout.splitlines():
        m = COUNT_LINE.match(line.strip())
        if m:
            counts[m.group(1)] = int(m.group(2))
    return seconds, peak_kb, counts, cpu


def fmt_counts(counts):
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))


def run_benchmark(bench, reps, timeout, log, required):
    """Alternates the engines; returns {engine: {...}} and raises SystemExit on disagreement."""
    engines = bench["engines"]
    samples = {e: [] for e in engines}
    failed = {}
    for rep in range(reps):
        for engine, argv in engines.items():
            if engine in failed:
                continue
            try:
                s, kb, counts, cpu = measure(argv, timeout, log)
            except RuntimeError as err:
                failed[engine] = str(err)
                print(f"  {bench['name']:<14} {engine:<16} rep {rep + 1}: FAILED: {err}", flush=True)
                if engine in required:
                    sys.exit(f"bench: {engine} failed on {bench['name']}: {err}")
                continue
            samples[engine].append((s, kb, counts, cpu))
            print(f"  {bench['name']:<14} {engine:<16} rep {rep + 1}: {s:8.3f} s {kb / 1024:9.1f} MB  {fmt_counts(counts)}",
                  flush=True)
    # Every run of every engine must agree on every count.
    reference = None
    for engine, runs in samples.items():
        for _, _, counts, _ in runs:
            if reference is None:
                reference = (engine, counts)
            elif counts != reference[1]:
                sys.exit(f"bench: COUNTS DISAGREE on {bench['name']}: {reference[0]} says "
                         f"{fmt_counts(reference[1])}; {engine} says {fmt_counts(counts)}")
    if reference is not None and not reference[1] and not bench.get("counts_optional"):
        sys.exit(f"bench: {bench['name']}: no engine reported a count")
    result = {}
    for engine in engines:
        runs = samples[engine]
        if not runs:
            result[engine] = {"failed": failed.get(engine, "no run")}
            continue
        result[engine] = {
            "seconds": statistics.median(r[0] for r in runs),
            "min_seconds": min(r[0] for r in runs),
            "peak_mb": statistics.median(r[1] for r in runs) / 1024,
            "runs": len(runs),
            "counts": runs[0][2],
            # User + system CPU time: on a shared machine, less disturbed by other load.
            "cpu_seconds": statistics.median(r[3] for r in runs),
        }
        if engine in failed:
            result[engine]["note"] = f"failed on a later run: {failed[engine]}"
    return result


def table(bench, result):
    base = bench["baseline"]
    b = result.get(base, {})
    lines = [
        f"### {bench['name']}: {bench['title']}",
        "",
        f"Input: {bench['input']}. Counts: {fmt_counts(next((r['counts'] for r in result.values() if 'counts' in r), {}))}.",
        "",
        f"| engine | median s | min s | median peak MB | time vs {base} | memory vs {base} | runs |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, r in result.items():
        if "failed" in r:
            lines.append(f"| {engine} | failed: {r['failed']} | | | | | 0 |")
            continue
        tr = f"{r['seconds'] / b['seconds']:.2f}×" if "seconds" in b else "–"
        mr = f"{r['peak_mb'] / b['peak_mb']:.2f}×" if "peak_mb" in b else "–"
        note = f" ({r['note']})" if "note" in r else ""
        lines.append(f"| {engine}{note} | {r['seconds']:.3f} | {r['min_seconds']:.3f} | {r['peak_mb']:.1f} | {tr} | {mr} | {r['runs']} |")
    return "\n".join(lines) + "\n"


def generate(gen, inputs, name, *args):
    """Generates an input directory once per parameter set (the generator is deterministic)."""
    d = os.path.join(inputs, name)
    if not os.path.exists(os.path.join(d, ".done")):
        subprocess.run(["rm", "-rf", d], check=True)
        subprocess.run([gen, *map(str, args), "--out", d], check=True)
        open(os.path.join(d, ".done"), "w").close()
    return d


def split_literals(body):
    """A rule body's literals: commas at parenthesis depth 0 separate them."""
    out, depth, cur = [], 0, ""
    for ch in body:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return out


def order_programs(program, out_dir):
    """The program with its rule marked `// order:` written in every order of its atoms
    (comparisons after them): [(order name, path)], the order as the atoms' positions."""
    lines = open(f"bench/programs/{program}.dl", encoding="utf-8").read().splitlines()
    at = next(i for i, line in enumerate(lines) if line.rstrip().endswith("// order:"))
    head, body = lines[at].split("//")[0].strip().rstrip(".").split(":-")
    literals = split_literals(body)
    atoms = [x for x in literals if re.match(r"^\w+\(", x)]
    rest = [x for x in literals if x not in atoms]
    os.makedirs(out_dir, exist_ok=True)
    result = []
    for perm in itertools.permutations(range(len(atoms))):
        name = "".join(str(i + 1) for i in perm)
        text = lines[:at] + [f"{head.strip()} :- {', '.join([atoms[i] for i in perm] + rest)}."] + lines[at + 1:]
        path = os.path.join(out_dir, f"{program}_{name}.dl")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(text) + "\n")
        result.append((name, path))
    return result


def build_plan(a):
    quick = a.quick == "1"
    py = a.python
    stance = a.stance

    def peers(program, d):
        e = {}
        if a.duckdb == "1":
            e["duckdb"] = [py, "bench/peers/duckdb_run.py", f"bench/programs/{program}.sql", d]
        if a.nemo == "1":
            e["nemo"] = [py, "bench/peers/nemo_run.py", f"bench/programs/{program}.rls", d]
        return e

    def stance_run(program, d, *relations):
        argv = [stance, "infer", "--rules", f"bench/programs/{program}.dl", "--facts", d, "--format", "csv"]
        for r in relations:
            argv += ["--relation", r]
        return argv

    def tc_engines(d, only=None):
        e = {"datafrog_tc": [a.datafrog, d], "stance": stance_run("tc", d, "edge"), "ascent_tc": [a.ascent, d]}
        # The same run recording provenance (round and rule of every tuple); only the input
        # relation's proofs are printed, so this measures the recording, not the printing.
        e["stance_provenance"] = stance_run("tc", d, "edge") + ["--provenance"]
        e.update(peers("tc", d))
        return {k: v for k, v in e.items() if only is None or k in only}

    if quick:
        tc_n, tc_e, ch_c, ch_l, sg_n, sg_e, sb_n, sb_e = 300, 450, 5, 50, 200, 300, 100, 600
    else:
        tc_n, tc_e, ch_c, ch_l, sg_n, sg_e, sb_n, sb_e = 8000, 12000, 100, 300, 2000, 3000, 1000, 20000
    wants = set(a.only.split(",")) if a.only else None
    plan = []

    def add(name, **b):
        if wants is None or name in wants:
            plan.append({"name": name, **b})

    if wants is None or "tc" in wants:
        d = generate(a.gen, a.inputs, f"graph-{tc_n}-{tc_e}-42", "graph", "--nodes", tc_n, "--edges", tc_e, "--seed", 42)
        add("tc", title="transitive closure, random directed graph", baseline="datafrog_tc",
            input=f"`bench_gen graph --nodes {tc_n} --edges {tc_e} --seed 42`", engines=tc_engines(d))
    if wants is None or "tc_write" in wants:
        # The closure written out (issue 16): `stance infer --output-dir` against the
        # hand-written datafrog program writing the same file (byte-identical; checked below).
        d = generate(a.gen, a.inputs, f"graph-{tc_n}-{tc_e}-42", "graph", "--nodes", tc_n, "--edges", tc_e, "--seed", 42)
        outs = os.path.join(os.path.dirname(a.out), "tc_write")
        add("tc_write", title="transitive closure written to path.csv", baseline="datafrog_tc",
            input=f"`bench_gen graph --nodes {tc_n} --edges {tc_e} --seed 42`",
            same_files=[os.path.join(outs, e, "path.csv") for e in ("datafrog_tc", "stance")],
            engines={"datafrog_tc": [a.datafrog, d, os.path.join(outs, "datafrog_tc")],
                     "stance": [stance, "infer", "--rules", "bench/programs/tc_write.dl", "--facts", d,
                                "--output-dir", os.path.join(outs, "stance")]})
    if wants is None or "chains" in wants:
        d = generate(a.gen, a.inputs, f"chains-{ch_c}-{ch_l}", "chains", "--chains", ch_c, "--length", ch_l)
        add("chains", title="transitive closure, disjoint chains (many rounds)", baseline="datafrog_tc",
            input=f"`bench_gen chains --chains {ch_c} --length {ch_l}`", engines=tc_engines(d))
    if wants is None or "sg" in wants:
        d = generate(a.gen, a.inputs, f"graph-{sg_n}-{sg_e}-42", "graph", "--nodes", sg_n, "--edges", sg_e, "--seed", 42)
        e = {"stance": stance_run("sg", d, "edge")}
        e.update(peers("sg", d))
        add("sg", title="same generation, random directed graph", baseline="stance",
            input=f"`bench_gen graph --nodes {sg_n} --edges {sg_e} --seed 42`", engines=e)
    if wants is None or "balance" in wants:
        d = generate(a.gen, a.inputs, f"signed-{sb_n}-{sb_e}-30-42", "signed", "--nodes", sb_n, "--edges", sb_e,
                     "--negative", 30, "--seed", 42)
        e = {"stance": stance_run("balance", d, "blocs", "balanced", "unbalanced")}
        e.update(peers("balance", d))
        add("balance", title="structural balance, random signed network", baseline="stance",
            input=f"`bench_gen signed --nodes {sb_n} --edges {sb_e} --negative 30 --seed 42`", engines=e)
    add("kb", title="the example knowledge base (rules/ over facts/)", baseline="stance",
        input="`rules/libya.dl`, `facts/statements.csv`", counts_optional=True,
        engines={"stance": [stance, "infer", "--format", "csv"]})
    if wants is None or "load" in wants:
        for rows in a.load_rows.split():
            rows = int(rows)
            d = generate(a.gen, a.inputs, f"statements-{rows}-7", "statements", "--rows", rows, "--seed", 7)
            e = {"stance": stance_run("load", d, "backs_pairs")}
            e.update(peers("load", d))
            add("load", title=f"CSV loading, {rows:,} statement rows", baseline="stance", per_fact_rows=rows,
                input=f"`bench_gen statements --rows {rows} --seed 7`", engines=e)
    # R-MAT (Graph500 parameters), each rule in every order of its atoms (issue 16): the
    # slowest order against the fastest is the planner's measure.
    rmat_scale, rmat_edges = (10, 3000) if quick else (a.rmat_scale, a.rmat_edges)
    for program, title in [("cycles", "directed 3-cycles, R-MAT, every atom order"),
                            ("triads", "transitive triads by sign, R-MAT, every atom order")]:
        if wants is not None and program not in wants:
            continue
        d = generate(a.gen, a.inputs, f"rmat-{rmat_scale}-{rmat_edges}-15-42", "rmat", "--scale", rmat_scale,
                     "--edges", rmat_edges, "--negative", 15, "--seed", 42)
        orders = order_programs(program, os.path.join(a.inputs, "programs"))
        e = {f"order {name}": [stance, "infer", "--rules", path, "--facts", d, "--format", "csv"] for name, path in orders}
        # DuckDB on all threads against stance on its default `--jobs` (all cores): issue 16's
        # peer goal. Its counts must match every order's (checked by run_benchmark).
        if a.duckdb == "1":
            e["duckdb"] = [py, "bench/peers/duckdb_run.py", f"bench/programs/{program}.sql", d, str(os.cpu_count())]
        # Beyond the counts: every row of every relation, sorted, byte-identical (once, untimed).
        same_rows = [py, "bench/peers/same_rows.py", stance, program, d,
                     os.path.join(os.path.dirname(a.out), "same_rows", program)] if a.duckdb == "1" else None
        add(program, title=title, baseline=f"order {orders[0][0]}", orders=True, same_rows=same_rows,
            input=f"`bench_gen rmat --scale {rmat_scale} --edges {rmat_edges} --negative 15 --seed 42`", engines=e)
    if wants is None or "jobs" in wants:
        # `--jobs 2` against `--jobs 1` (issue 16): the same binary, alternating, on the
        # evaluation benchmarks and the 3-cycles (one atom order: the plan is the same for all).
        inputs = {
            "tc": generate(a.gen, a.inputs, f"graph-{tc_n}-{tc_e}-42", "graph", "--nodes", tc_n, "--edges", tc_e,
                           "--seed", 42),
            "chains": generate(a.gen, a.inputs, f"chains-{ch_c}-{ch_l}", "chains", "--chains", ch_c, "--length", ch_l),
            "sg": generate(a.gen, a.inputs, f"graph-{sg_n}-{sg_e}-42", "graph", "--nodes", sg_n, "--edges", sg_e,
                           "--seed", 42),
            "balance": generate(a.gen, a.inputs, f"signed-{sb_n}-{sb_e}-30-42", "signed", "--nodes", sb_n,
                                "--edges", sb_e, "--negative", 30, "--seed", 42),
            "cycles": generate(a.gen, a.inputs, f"rmat-{rmat_scale}-{rmat_edges}-15-42", "rmat", "--scale",
                               rmat_scale, "--edges", rmat_edges, "--negative", 15, "--seed", 42),
        }
        shown = {"tc": ["edge"], "chains": ["edge"], "sg": ["edge"], "balance": ["blocs", "balanced", "unbalanced"],
                 "cycles": []}
        for name, d in inputs.items():
            program = "tc" if name == "chains" else name
            argv = stance_run(program, d, *shown[name])
            add("jobs", title=f"{name}: --jobs 2 against --jobs 1", baseline="jobs 1", input=f"as `{name}`",
                engines={f"jobs {j}": argv + ["--jobs", str(j)] for j in (1, 2)})
    if (wants is None or "growth" in wants) and a.growth.strip():
        for k in a.growth.split():
            k = int(k)
            n, m = tc_n * k, tc_e * k
            d = generate(a.gen, a.inputs, f"graph-{n}-{m}-42", "graph", "--nodes", n, "--edges", m, "--seed", 42)
            add("growth", title=f"transitive closure at {k}× the graph", baseline="datafrog_tc", scale=k, reps=1,
                input=f"`bench_gen graph --nodes {n} --edges {m} --seed 42`",
                engines={k: ["prlimit", f"--as={int(a.growth_cap_gb * 2**30)}", *v]
                         for k, v in tc_engines(d, only={"datafrog_tc", "stance"}).items()})
    return plan


def with_baseline(plan, stance, baseline):
    """Adds, beside every engine that runs `stance`, the same run on the `baseline` binary
    (`bench/run --baseline-bin`), right after it so that the two alternate; an output
    directory in the arguments gets a `_baseline` twin, and its files must be identical."""
    for bench in plan:
        engines = {}
        for name, argv in bench["engines"].items():
            engines[name] = argv
            if stance not in argv:
                continue
            twin = [baseline if x == stance else x for x in argv]
            for i, x in enumerate(twin):
                if i > 0 and twin[i - 1] == "--output-dir":
                    twin[i] = x + "_baseline"
                    bench.setdefault("same_files", [])
                    bench["same_files"].append(os.path.join(twin[i], "path.csv"))
            engines[f"{name} (baseline)"] = twin
        bench["engines"] = engines
    return plan


def baseline_notes(result):
    """Each engine against its run on the baseline binary: the ratios `--baseline-bin` is for."""
    notes = ""
    for engine, r in result.items():
        b = result.get(f"{engine} (baseline)", {})
        if "seconds" not in r or "seconds" not in b:
            continue
        cpu = f"{r['cpu_seconds'] / b['cpu_seconds']:.2f}×" if b.get("cpu_seconds", 0) > 0 else "–"
        notes += (f"- {engine} / baseline: wall {r['seconds'] / b['seconds']:.2f}×, CPU {cpu}, "
                  f"peak memory {r['peak_mb'] / b['peak_mb']:.2f}×\n")
    return notes


def orders_notes(result):
    """The planner's measure (slowest atom order against the fastest) and, when DuckDB ran,
    stance's orders against DuckDB (issue 16: ≤ 0.5× its time, less peak memory)."""
    notes = ""
    orders = {e: r for e, r in result.items() if e.startswith("order ")}
    duck = result.get("duckdb", {})
    for what, key in [("wall time", "seconds"), ("CPU time", "cpu_seconds")]:
        timed = {e: r[key] for e, r in orders.items() if key in r}
        # GNU time counts CPU in hundredths: tiny runs may show 0.
        if not timed or min(timed.values()) <= 0:
            continue
        fast, slow = min(timed, key=timed.get), max(timed, key=timed.get)
        notes += (f"- slowest order / fastest order by median {what}: {timed[slow] / timed[fast]:.2f}× "
                  f"({slow} {timed[slow]:.3f} s, {fast} {timed[fast]:.3f} s; target ≤ 1.20×)\n")
        if duck.get(key, 0) > 0:
            notes += (f"- stance / DuckDB by median {what}: fastest order {timed[fast] / duck[key]:.2f}×, "
                      f"slowest order {timed[slow] / duck[key]:.2f}× (DuckDB {duck[key]:.3f} s; goal ≤ 0.50×)\n")
    peaks = [r["peak_mb"] for r in orders.values() if "peak_mb" in r]
    if peaks and "peak_mb" in duck:
        notes += (f"- stance / DuckDB by median peak memory: {min(peaks) / duck['peak_mb']:.2f}×–"
                  f"{max(peaks) / duck['peak_mb']:.2f}× over the orders (DuckDB {duck['peak_mb']:.1f} MB; goal < 1×)\n")
    return notes


def growth_table(plan, results):
    rows = [(b, r) for b, r in zip(plan, results) if b["name"] == "growth"]
    if not rows:
        return ""
    base = rows[0][1]
    lines = [
        "### growth: transitive closure from 1× to larger graphs (nodes and edges both scaled)",
        "",
        "One run per engine and scale; each run is capped at the address space given by `--growth-cap-gb`.",
        "",
        "| scale | path tuples | datafrog_tc s | datafrog_tc MB | stance s | stance MB | stance/datafrog time | stance/datafrog memory | stance time vs 1× | stance memory vs 1× |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    s1 = base.get("stance", {})
    for b, r in rows:
        d, s = r.get("datafrog_tc", {}), r.get("stance", {})
        tuples = next((x["counts"].get("path", 0) for x in (d, s) if "counts" in x), None)
        cells = [f"{b['scale']}×", f"{tuples:,}" if tuples is not None else "–"]
        for x in (d, s):
            cells += [f"{x['seconds']:.2f}", f"{x['peak_mb']:.0f}"] if "seconds" in x else [f"failed: {x.get('failed')}", "–"]
        both = "seconds" in d and "seconds" in s
        cells += [f"{s['seconds'] / d['seconds']:.2f}×", f"{s['peak_mb'] / d['peak_mb']:.2f}×"] if both else ["–", "–"]
        grow = "seconds" in s and "seconds" in s1
        cells += [f"{s['seconds'] / s1['seconds']:.2f}×", f"{s['peak_mb'] / s1['peak_mb']:.2f}×"] if grow else ["–", "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    for flag in ["stance", "gen", "datafrog", "ascent", "python", "duckdb", "nemo", "peer-note", "quick", "only",
                 "growth", "load-rows", "inputs", "machine", "command"]:
        ap.add_argument(f"--{flag}", default="")
    ap.add_argument("--baseline", default="", help="a second stance binary run beside every stance run")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--growth-cap-gb", type=float, default=12, help="address-space cap for the growth runs")
    ap.add_argument("--rmat-scale", type=int, default=20, help="R-MAT graphs have 2^K nodes")
    ap.add_argument("--rmat-edges", type=int, default=1_000_000, help="R-MAT graphs' distinct edges")
    ap.add_argument("--out", required=True, help="Markdown file for the tables")
    ap.add_argument("--log", required=True, help="file for the engines' standard error")
    args = ap.parse_args()
    plan = build_plan(args)
    header = [f"Command: `{args.command.strip()}`", "", f"Machine: {args.machine}", ""]
    if args.baseline:
        plan = with_baseline(plan, args.stance, args.baseline)
        header += [f"Baseline binary: `{args.baseline}` (the `(baseline)` rows).", ""]
    if args.duckdb != "1" or args.nemo != "1":
        header += [f"Peers missing: duckdb={'yes' if args.duckdb == '1' else 'MISSING'}, "
                   f"nemo={'yes' if args.nemo == '1' else 'MISSING'}. {args.peer_note}", ""]
    print("\n".join(header), flush=True)
    sections, results = [], []
    with open(args.log, "a", encoding="utf-8") as log:
        for bench in plan:
            reps = bench.get("reps", args.reps)
            print(f"== {bench['name']}: {bench['title']} ({reps} reps; alternating {' '.join(bench['engines'])})",
                  flush=True)
            # A growth run may hit its memory cap: that is a result to report, not a broken suite.
            required = set() if bench["name"] == "growth" else {"stance"}
            result = run_benchmark(bench, reps, args.timeout, log, required)
            results.append(result)
            section = table(bench, result)
            if args.baseline:
                notes = baseline_notes(result)
                section += "\n" + notes if notes else ""
            if bench.get("orders"):
                section += "\n"
                section += orders_notes(result)
            if bench.get("same_rows"):
                check = subprocess.run(bench["same_rows"], stdout=subprocess.PIPE, text=True)
                print(check.stdout, end="", flush=True)
                if check.returncode != 0:
                    sys.exit(f"bench: {bench['name']}: DuckDB's rows differ from stance's")
                section += "".join(f"- {line} (sorted, `bench/peers/same_rows.py`)\n"
                                   for line in check.stdout.splitlines())
            if bench.get("same_files"):
                first, *rest = bench["same_files"]
                for other in rest:
                    if subprocess.run(["cmp", "-s", first, other]).returncode != 0:
                        sys.exit(f"bench: {bench['name']}: {other} differs from {first}")
                section += f"\n- the written files are byte-identical ({', '.join(bench['same_files'])})\n"
            if "per_fact_rows" in bench:
                section += "\n" + "\n".join(
                    f"- {engine}: {r['peak_mb'] * 1048576 / bench['per_fact_rows']:.0f} bytes of peak memory per statement row"
                    for engine, r in result.items() if "peak_mb" in r) + "\n"
            sections.append(section)
            print(section, flush=True)
    g = growth_table(plan, results)
    if g:
        print(g, flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(header + sections + [g]))
    with open(os.path.splitext(args.out)[0] + ".json", "w", encoding="utf-8") as f:
        json.dump({"command": args.command, "machine": args.machine,
                   "benchmarks": [{**b, "result": r} for b, r in zip(plan, results)]}, f, indent=1)


if __name__ == "__main__":
    main()
