#!/usr/bin/env python3
"""bench/chart.py - draws the benchmark table as an SVG bar chart (standard library only).

usage: python3 bench/chart.py RESULTS.tsv OUT.svg

RESULTS.tsv is written by the harness (--tsv): section, section title, allocator, family,
median, min, max. One panel per section, one horizontal bar per allocator (the median) with a
min-max whisker. A bar far longer than the others of its panel (the debug build) is cut at the
panel's edge, marked with a break, and its value printed.
"""
import html
import math
import sys

COLOURS = {
    "floor": "#8c8c8c",
    "slab": "#1f6fb4",
    "slab-debug": "#a6c8e6",
    "slab-harden": "#5d9bd1",
    "slab-thr": "#0b3d6b",
    "glibc": "#e8822a",
    "jemalloc": "#3a9a3a",
    "mimalloc": "#8e5fbf",
    "empty": "#cccccc",
}

# Footprint targets of issue 6 (slab.h's rows), drawn on the E panels.
TARGETS = {"E-C": 1.25, "E-D": 1.15}

LABEL_W, BAR_W, VALUE_W, ROW_H, PAD = 270, 430, 110, 18, 14
WIDTH = LABEL_W + BAR_W + VALUE_W + 2 * PAD


def fmt(v):
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sections = []  # [(id, title, rows)]
    with open(sys.argv[1]) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 7:
                continue
            sec, title, label, family = parts[:4]
            med, lo, hi = (float(x) for x in parts[4:])
            if not sections or sections[-1][0] != sec:
                sections.append((sec, title, []))
            sections[-1][2].append((label, family, med, lo, hi))
    if not sections:
        sys.exit("chart.py: no rows in " + sys.argv[1])

    out = []
    y = PAD
    for sec, title, rows in sections:
        is_ratio = sec.startswith("E-")
        out.append('<text x="%d" y="%d" class="title">%s</text>' % (PAD, y + 12, html.escape(title)))
        y += 22
        # Scale: the longest bar that is not a debug build (those are cut), with room to spare.
        normal = [r for r in rows if r[1] != "slab-debug"] or rows
        top = max((r[4] if not math.isnan(r[4]) else r[2]) for r in normal) * 1.08
        if is_ratio:
            top = max(top, 1.3, (TARGETS.get(sec) or 0) * 1.12)
        x0 = PAD + LABEL_W
        for label, family, med, lo, hi in rows:
            colour = COLOURS.get(family, "#555555")
            w = med / top * BAR_W
            cut = w > BAR_W
            w = min(w, BAR_W)
            out.append('<text x="%d" y="%d" class="label">%s</text>'
                       % (x0 - 6, y + ROW_H - 5, html.escape(label)))
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                       % (x0, y + 2, max(w, 0.5), ROW_H - 4, colour))
            if cut:
                bx = x0 + BAR_W - 14
                out.append('<path d="M%d %d l6 %d M%d %d l6 %d" class="brk"/>'
                           % (bx, y + 1, ROW_H - 2, bx + 5, y + 1, ROW_H - 2))
            elif not math.isnan(lo) and not math.isnan(hi):
                a, b = x0 + lo / top * BAR_W, x0 + min(hi / top, 1.0) * BAR_W
                cy = y + ROW_H / 2
                out.append('<path d="M%.1f %.1f H%.1f M%.1f %.1f V%.1f M%.1f %.1f V%.1f" class="wh"/>'
                           % (a, cy, b, a, cy - 4, cy + 4, b, cy - 4, cy + 4))
            unit = "" if is_ratio else " Mops/s" if sec.startswith("T-") else " ns"
            out.append('<text x="%d" y="%d" class="value">%s</text>'
                       % (x0 + BAR_W + 6, y + ROW_H - 5, fmt(med) + unit))
            y += ROW_H
        if is_ratio:  # the 1.0 line (bytes equal to the live bytes) and issue 6's target
            y_top = y - ROW_H * len(rows)
            for value, cls, text in [(1.0, "ref", "1.0"), (TARGETS.get(sec), "tgt", "target")]:
                if value is None:
                    continue
                lx = x0 + value / top * BAR_W
                out.append('<path d="M%.1f %d V%d" class="%s"/>' % (lx, y_top, y, cls))
                out.append('<text x="%.1f" y="%d" class="note">%s %.2f</text>'
                           % (lx + 3, y + 9, text, value) if cls == "tgt" else
                           '<text x="%.1f" y="%d" class="note">%s</text>' % (lx + 3, y + 9, text))
            y += 10
        y += PAD

    legend = [("free list (floor)", "floor"), ("slab.h", "slab"), ("slab.h SLAB_HARDEN=1", "slab-harden"),
              ("slab.h SLAB_DEBUG=1", "slab-debug"), ("slab.h SLAB_THREADS=1", "slab-thr"),
              ("glibc", "glibc"), ("jemalloc", "jemalloc"), ("mimalloc", "mimalloc")]
    lx = PAD
    for name, fam in legend:
        if lx + 14 + 7 * len(name) > WIDTH - PAD:  # wrap onto a second line
            lx = PAD
            y += 16
        out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/>' % (lx, y, COLOURS[fam]))
        out.append('<text x="%d" y="%d" class="leg">%s</text>' % (lx + 14, y + 9, html.escape(name)))
        lx += 14 + 7 * len(name) + 16
    y += 14 + PAD
    out.append('<text x="%d" y="%d" class="leg">Bars: median of the runs; whiskers: min–max; '
               'shorter is better (T panels: Mops/s, longer is better). A cut bar is off the panel\'s '
               'scale.</text>' % (PAD, y))
    y += PAD

    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="sans-serif">' % (WIDTH, y, WIDTH, y),
           '<style>.title{font-size:13px;font-weight:bold}.label{font-size:11px;text-anchor:end}'
           '.value{font-size:11px}.leg{font-size:11px}.wh{stroke:#222;stroke-width:1;fill:none}'
           '.brk{stroke:#fff;stroke-width:2}.ref{stroke:#444;stroke-dasharray:3 2}'
           '.tgt{stroke:#c00;stroke-dasharray:5 3}.note{font-size:10px;fill:#444}</style>',
           '<rect width="100%" height="100%" fill="#ffffff"/>'] + out + ["</svg>"]
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
