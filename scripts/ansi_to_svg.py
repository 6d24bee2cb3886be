"""A terminal screen, as `tmux capture-pane -e` prints it (text with SGR
colour codes), drawn as an SVG: one <text> per run of cells that share a
style, on a dark background. Only what the lab's UI uses is read: the 16
colours, 256-colour and RGB foregrounds and backgrounds, bold, dim and
reverse.

    python3 scripts/ansi_to_svg.py SCREEN.ansi OUT.svg [TITLE]
"""

import html
import re
import sys

CELL_W, CELL_H, PAD = 8.4, 17, 10
BACKGROUND, FOREGROUND = "#1e1e2e", "#cdd6f4"
PALETTE = [
    "#45475a", "#f38ba8", "#a6e3a1", "#f9e2af", "#89b4fa", "#f5c2e7", "#94e2d5", "#bac2de",
    "#585b70", "#f38ba8", "#a6e3a1", "#f9e2af", "#89b4fa", "#f5c2e7", "#94e2d5", "#a6adc8",
]
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colour_256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (levels[n // 36], levels[n // 6 % 6], levels[n % 6])
    grey = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (grey, grey, grey)


def apply(style, codes):
    """The style after one SGR sequence's codes."""
    codes = [int(c) if c else 0 for c in codes.split(";")] if codes else [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            style = {}
        elif c == 1:
            style["bold"] = True
        elif c == 2:
            style["dim"] = True
        elif c == 7:
            style["reverse"] = True
        elif c in (22,):
            style.pop("bold", None)
            style.pop("dim", None)
        elif c == 27:
            style.pop("reverse", None)
        elif 30 <= c <= 37:
            style["fg"] = PALETTE[c - 30]
        elif 90 <= c <= 97:
            style["fg"] = PALETTE[c - 90 + 8]
        elif 40 <= c <= 47:
            style["bg"] = PALETTE[c - 40]
        elif 100 <= c <= 107:
            style["bg"] = PALETTE[c - 100 + 8]
        elif c == 39:
            style.pop("fg", None)
        elif c == 49:
            style.pop("bg", None)
        elif c in (38, 48) and i + 1 < len(codes):
            key = "fg" if c == 38 else "bg"
            if codes[i + 1] == 5 and i + 2 < len(codes):
                style[key] = colour_256(codes[i + 2])
                i += 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                style[key] = "#%02x%02x%02x" % tuple(codes[i + 2 : i + 5])
                i += 4
        i += 1
    return dict(style)


def runs(line):
    """(column, text, style) runs of one screen line."""
    style, col, out = {}, 0, []
    pos = 0
    for m in SGR.finditer(line + "\x1b[0m"):
        text = line[pos : m.start()]
        if text:
            out.append((col, text, style))
            col += len(text)
        style = apply(style, m.group(1))
        pos = m.end()
    return out


def svg(lines, title):
    width = max((sum(len(t) for _, t, _ in runs(l)) for l in lines), default=80)
    w, h = width * CELL_W + 2 * PAD, len(lines) * CELL_H + 2 * PAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.0f} {h:.0f}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
        f'font-size="14">',
        f"<title>{html.escape(title)}</title>",
        f'<rect width="100%" height="100%" rx="6" fill="{BACKGROUND}"/>',
    ]
    for row, line in enumerate(lines):
        y = PAD + row * CELL_H
        for col, text, style in runs(line):
            fg, bg = style.get("fg", FOREGROUND), style.get("bg")
            if style.get("reverse"):
                fg, bg = bg or BACKGROUND, fg
            x = PAD + col * CELL_W
            if bg:
                out.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{len(text) * CELL_W:.1f}" '
                    f'height="{CELL_H}" fill="{bg}"/>'
                )
            if text.strip():
                weight = ' font-weight="bold"' if style.get("bold") else ""
                opacity = ' opacity="0.6"' if style.get("dim") else ""
                out.append(
                    f'<text x="{x:.1f}" y="{y + CELL_H - 4}" fill="{fg}"{weight}{opacity} '
                    f'xml:space="preserve" textLength="{len(text) * CELL_W:.1f}" '
                    f'lengthAdjust="spacingAndGlyphs">{html.escape(text)}</text>'
                )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    screen, target = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else "pyo3-lab"
    with open(screen, encoding="utf-8") as f:
        lines = f.read().rstrip("\n").split("\n")
    with open(target, "w", encoding="utf-8") as f:
        f.write(svg(lines, title))


if __name__ == "__main__":
    main()
