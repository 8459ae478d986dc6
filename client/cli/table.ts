// LINSTOR-style tables for the CLI.

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `┊ ${cells.map((c, i) => c.padEnd(widths[i])).join(' ┊ ')} ┊`;
  const inner = widths.reduce((a, w) => a + w + 3, 0) + 1 - 2;
  return [
    `╭${'─'.repeat(inner)}╮`,
    line(headers),
    `╞${'═'.repeat(inner)}╡`,
    ...rows.map(line),
    `╰${'─'.repeat(inner)}╯`,
  ].join('\n');
}
