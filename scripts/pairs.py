#!/usr/bin/env python3
"""Times two commands in turn, A B A B ..., and prints each one's figures
and the ratio A/B pair by pair (minimum, median, maximum).

Pairs rather than two series because this kind of host drifts: a run of
A is compared with the run of B made right beside it, so a slow minute
slows both. Quote the median of the pairs' ratios.

Two kinds of figure:

- whole processes (the default): wall seconds (monotonic clock), user
  and system CPU seconds and peak resident memory, from the kernel's
  accounting of each finished child (``os.wait4``);
- ``--result``: the ``ns_per_lead=`` figure each command prints on a
  ``RESULT`` line on stderr (the peer harness's binaries, and the
  matching bench with ``ROUTE_BENCH_RESULT``), for measurements made
  inside the process (matching leads already in memory).

Usage::

    scripts/pairs.py [-n RUNS] [--warmup N] [--result] [--prepare 'CMD']
                     --a 'CMD A' --b 'CMD B' [--c 'CMD C' --d 'CMD D']

``--c`` and ``--d`` make a second pair, run in the same rounds (A B C D,
A B C D ...): a ratio the host sets is then measured in the same minutes
as the one it is judged against. A two-core run's speed-up (A = two
cores, B = one) beside two processes that share nothing run at once
against one (C, D) says how much of what the machine gives two cores at
that moment the two-core run gets: it prints C/D and, round by round,
(A/B)/(C/D).

``--prepare`` runs a command before every run of every command, untimed
(to remove the last run's output, say, so that neither run's time holds
the freeing of a file the other left).

Commands are split as a shell splits words (no shell runs them); their
output is thrown away. Standard library only, like the peer harness.
"""

import argparse
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time


def run(argv, want_result):
    """Runs one command; returns its figures as a dict."""
    start = time.monotonic()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    # Reaped here, not by subprocess: tell it, so it does not wait again.
    child.returncode = code
    child.stderr.close()
    if code != 0:
        sys.stderr.write(stderr.decode(errors="replace"))
        raise SystemExit(f"pairs: exit status {code}: {shlex.join(argv)}")
    if want_result:
        found = re.findall(rb"^RESULT .*ns_per_lead=([0-9.]+)", stderr, re.MULTILINE)
        if not found:
            raise SystemExit(f"pairs: no RESULT line with ns_per_lead: {shlex.join(argv)}")
        return {"ns a lead": float(found[-1])}
    return {
        "wall s": wall,
        "user s": usage.ru_utime,
        "sys s": usage.ru_stime,
        "cpu s": usage.ru_utime + usage.ru_stime,
        "peak MiB": usage.ru_maxrss / 1024,
    }


def spread(values):
    return f"{min(values):>12.4g} {statistics.median(values):>12.4g} {max(values):>12.4g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=5, help="counted pairs (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="pairs run first and not counted (default 1)")
    parser.add_argument("--result", action="store_true", help="compare the RESULT lines' ns_per_lead")
    parser.add_argument("--prepare", help="command run before every run of every command, untimed")
    parser.add_argument("--a", required=True, help="command A")
    parser.add_argument("--b", required=True, help="command B")
    parser.add_argument("--c", help="command C, of a second pair run in the same rounds")
    parser.add_argument("--d", help="command D, of a second pair run in the same rounds")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if (args.c is None) != (args.d is None):
        parser.error("--c and --d go together")
    commands = [shlex.split(c) for c in (args.a, args.b, args.c, args.d) if c is not None]
    prepare = shlex.split(args.prepare) if args.prepare else None

    def timed(argv):
        if prepare:
            subprocess.run(prepare, stdout=subprocess.DEVNULL, check=True)
        return run(argv, args.result)

    rounds = []
    for i in range(args.warmup + args.runs):
        figures = [timed(argv) for argv in commands]
        if i >= args.warmup:
            rounds.append(figures)
    load = os.getloadavg()
    counted = "pairs" if len(commands) == 2 else "rounds"
    print(f"{len(rounds)} {counted} after {args.warmup} warm-up, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'':14} {'min':>12} {'median':>12} {'max':>12}")
    names = list(rounds[0][0])
    letters = "ABCD"[: len(commands)]
    for name in names:
        for at, letter in enumerate(letters):
            print(f"{letter} {name:<12} {spread([r[at][name] for r in rounds])}")
    for name in names:
        if name == "peak MiB":
            continue
        for top, bottom in ((0, 1), (2, 3))[: len(commands) // 2]:
            ratios = [r[top][name] / r[bottom][name] for r in rounds if r[bottom][name] > 0]
            if ratios:
                print(f"{letters[top]}/{letters[bottom]} {name.split()[0]:<10} {spread(ratios)}")
        if len(commands) == 4:
            judged = [
                (r[0][name] / r[1][name]) / (r[2][name] / r[3][name])
                for r in rounds
                if min(r[1][name], r[2][name], r[3][name]) > 0
            ]
            if judged:
                print(f"(A/B)/(C/D) {name.split()[0]:<2} {spread(judged)}")
    if not args.result:
        # A child forked from this script starts with its memory, which the
        # kernel counts in the child's peak: no peak reads below this.
        floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory cannot read below this script's own, {floor:.1f} MiB")


if __name__ == "__main__":
    main()
