#!/usr/bin/env python3
"""Turns a terminal screen captured with `tmux capture-pane -e -p` into an SVG: a cell grid
with the screen's colours and attributes (bold, dim, italic, underline, reverse). Standard
library only.  Usage: ansi2svg.py SCREEN.ansi OUT.svg "title" COLUMNS ROWS"""
import html
import re
import sys
import unicodedata

PALETTE = [
    "#1e1e1e", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#dcdfe4",
    "#5c6370", "#ef7d86", "#a9d08e", "#f0d08a", "#7cc0f5", "#d59be6", "#6fcfda", "#ffffff",
]
FG, BG = "#dcdfe4", "#1e1e1e"


def xterm256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        r, g, b = n // 36, (n // 6) % 6, n % 6
        c = lambda v: 0 if v == 0 else 55 + v * 40
        return "#%02x%02x%02x" % (c(r), c(g), c(b))
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def width(ch):
    if unicodedata.east_asian_width(ch) in "WF":
        return 2
    return 0 if unicodedata.combining(ch) else 1


def parse(text, cols, rows):
    st = dict(fg=None, bg=None, bold=False, dim=False, italic=False, under=False, rev=False)
    grid = []
    for line in text.split("\n")[:rows]:
        cells = []
        i = 0
        while i < len(line):
            m = re.match(r"\x1b\[([0-9;]*)m", line[i:])
            if m:
                codes = [int(c) if c else 0 for c in m.group(1).split(";")]
                k = 0
                while k < len(codes):
                    c = codes[k]
                    if c == 0:
                        st = dict(fg=None, bg=None, bold=False, dim=False, italic=False, under=False, rev=False)
                    elif c == 1: st["bold"] = True
                    elif c == 2: st["dim"] = True
                    elif c == 3: st["italic"] = True
                    elif c == 4: st["under"] = True
                    elif c == 7: st["rev"] = True
                    elif c == 22: st["bold"] = st["dim"] = False
                    elif c == 23: st["italic"] = False
                    elif c == 24: st["under"] = False
                    elif c == 27: st["rev"] = False
                    elif 30 <= c <= 37: st["fg"] = PALETTE[c - 30]
                    elif 90 <= c <= 97: st["fg"] = PALETTE[c - 90 + 8]
                    elif 40 <= c <= 47: st["bg"] = PALETTE[c - 40]
                    elif 100 <= c <= 107: st["bg"] = PALETTE[c - 100 + 8]
                    elif c == 39: st["fg"] = None
                    elif c == 49: st["bg"] = None
                    elif c in (38, 48) and k + 1 < len(codes):
                        key = "fg" if c == 38 else "bg"
                        if codes[k + 1] == 5 and k + 2 < len(codes):
                            st[key] = xterm256(codes[k + 2]); k += 2
                        elif codes[k + 1] == 2 and k + 4 < len(codes):
                            st[key] = "#%02x%02x%02x" % tuple(codes[k + 2:k + 5]); k += 4
                    k += 1
                i += m.end()
                continue
            m = re.match(r"\x1b[^a-zA-Z]*[a-zA-Z]", line[i:])
            if m:  # other escapes: ignored
                i += m.end()
                continue
            ch = line[i]
            cells.append((ch, dict(st)))
            if width(ch) == 2:
                cells.append(("", dict(st)))
            i += 1
        grid.append(cells[:cols])
    return grid


def render(grid, cols, rows, title):
    cw, ch, pad, top = 8.4, 17.0, 12, 34
    w, h = cols * cw + 2 * pad, rows * ch + top + pad
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}">',
        '<style>text{font-family:"DejaVu Sans Mono","Menlo","Consolas",monospace;font-size:14px;white-space:pre}</style>',
        f'<rect width="100%" height="100%" rx="8" fill="{BG}"/>',
        '<circle cx="18" cy="17" r="6" fill="#ff5f57"/><circle cx="38" cy="17" r="6" fill="#febc2e"/><circle cx="58" cy="17" r="6" fill="#28c840"/>',
        f'<text x="{w/2:.0f}" y="22" fill="#9da5b4" text-anchor="middle">{html.escape(title)}</text>',
    ]
    for y, cells in enumerate(grid):
        x = 0
        runs = []
        for c, s in cells:
            fg, bg = s["fg"] or FG, s["bg"]
            if s["rev"]:
                fg, bg = (s["bg"] or BG), (s["fg"] or FG)
            key = (fg, bg, s["bold"], s["dim"], s["italic"], s["under"])
            if runs and runs[-1][0] == key:
                runs[-1][2].append(c)
            else:
                runs.append([key, x, [c]])
            x += 1
        for (fg, bg, bold, dim, italic, under), x0, chars in runs:
            n = len(chars)
            px, py = pad + x0 * cw, top + y * ch
            if bg:
                out.append(f'<rect x="{px:.1f}" y="{py:.1f}" width="{n*cw:.1f}" height="{ch:.1f}" fill="{bg}"/>')
            text = "".join(chars)
            if not text.strip():
                continue
            attrs = [f'fill="{fg}"']
            if bold: attrs.append('font-weight="bold"')
            if dim: attrs.append('opacity="0.6"')
            if italic: attrs.append('font-style="italic"')
            if under: attrs.append('text-decoration="underline"')
            # One text element per cell run, stretched to its cells: columns stay aligned
            # whatever the font's glyph widths.
            out.append(
                f'<text x="{px:.1f}" y="{py + ch - 4:.1f}" textLength="{n*cw:.1f}" lengthAdjust="spacingAndGlyphs" '
                f'xml:space="preserve" {" ".join(attrs)}>{html.escape(text)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out)


if __name__ == "__main__":
    src, dst, title, cols, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    grid = parse(open(src, encoding="utf-8").read(), cols, rows)
    open(dst, "w", encoding="utf-8").write(render(grid, cols, rows, title) + "\n")
