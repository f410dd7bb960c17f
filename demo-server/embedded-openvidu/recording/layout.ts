export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * OpenVidu's BEST_FIT grid: 1 → full, 2 → side by side, 3-4 → 2x2, 5-6 → 3x2, 7-9 → 3x3 … (cols = ⌈√n⌉), the
 * last row centred. `tiles` hold the publishers; `fill` are the black patches beside a short last row (xstack
 * leaves uncovered pixels undefined). All sizes are even (yuv420p). The union covers `box`, placed in the
 * width x height canvas at (box.x, box.y).
 */
export function bestFitLayout(n: number, width: number, height: number): { tiles: Rect[]; fill: Rect[]; box: Rect } {
  const even = (v: number) => 2 * Math.floor(v / 2);
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  const rows = Math.max(1, Math.ceil(n / cols));
  const tw = even(width / cols);
  const th = even(height / rows);
  const tiles: Rect[] = [];
  const fill: Rect[] = [];
  for (let r = 0; r < rows; r++) {
    const inRow = Math.min(cols, n - r * cols);
    const free = (cols - inRow) * tw;
    const left = even(free / 2);
    if (left > 0) fill.push({ x: 0, y: r * th, w: left, h: th });
    for (let c = 0; c < inRow; c++) tiles.push({ x: left + c * tw, y: r * th, w: tw, h: th });
    if (free - left > 0) fill.push({ x: left + inRow * tw, y: r * th, w: free - left, h: th });
  }
  const box = { x: even((width - cols * tw) / 2), y: even((height - rows * th) / 2), w: cols * tw, h: rows * th };
  return { tiles, fill, box };
}
