#!/usr/bin/env bash
# Summarises a JFR recording's CPU samples: the hottest frames (self) and the hottest of our own
# frames (the first io.pgtrickle frame of each sample), per thread group, plus allocation and lock
# totals. Usage: hack/jfr-summary.sh target/profile/changelog.jfr [top=25]
set -euo pipefail
file=${1:?usage: $0 <recording.jfr> [top]}
top=${2:-25}
jfr summary "$file" | grep -E 'Start|Duration|jdk.ExecutionSample |jdk.ObjectAllocationSample |jdk.JavaMonitorEnter |jdk.ThreadPark ' || true
jfr print --events jdk.ExecutionSample --stack-depth 64 "$file" | python3 -c '
import sys, re, collections
top = int(sys.argv[1])
self_frames, ours, threads = collections.Counter(), collections.Counter(), collections.Counter()
samples = 0
frames, thread = [], None
def flush():
    global samples
    if not frames:
        return
    samples += 1
    self_frames[frames[0]] += 1
    threads[re.sub(r"[-#]?\d+$", "", thread or "?")] += 1
    mine = next((f for f in frames if f.startswith("io.pgtrickle")), None)
    if mine:
        ours[mine] += 1
for line in sys.stdin:
    line = line.rstrip()
    if line.startswith("jdk.ExecutionSample"):
        flush(); frames, thread = [], None
    m = re.match(r"\s+sampledThread = \"(.*)\"", line)
    if m:
        thread = m.group(1)
    m = re.match(r"\s+([\w$.<>]+\(.*\))\s+line:", line)
    if m:
        frames.append(re.sub(r"\(.*\)", "", m.group(1)))
flush()
def show(title, counter):
    print(f"\n{title} ({samples} samples)")
    for name, n in counter.most_common(top):
        print(f"  {100.0 * n / max(samples, 1):5.1f}%  {n:6d}  {name}")
show("threads", threads)
show("hottest frames (self)", self_frames)
show("hottest io.pgtrickle frames (first in the stack)", ours)
' "$top"
