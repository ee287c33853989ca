import { describe, expect, it } from 'vitest';
import { ProgressDisplay, progressBar } from './progress-display';

function stderrOf(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('progress display', () => {
  it('fills the bar to the share done', () => {
    expect(progressBar({ fraction: 0.5, text: 'half' })).toBe('[###############---------------] half');
    expect(progressBar({ fraction: 1.5, text: 'all' })).toBe(`[${'#'.repeat(30)}] all`);
  });

  it('at a terminal draws the first report at once, then at most every 200 ms, and clears the line', () => {
    const { stream, written } = stderrOf(true);
    let now = 1_000;
    const display = new ProgressDisplay('recompute', stream, () => now);
    display.show({ fraction: 0, text: 'first' });
    now += 100;
    display.show({ fraction: 0.1, text: 'too soon' });
    now += 100;
    display.show({ fraction: 0.2, text: 'second' });
    display.clear();
    expect(written).toEqual([
      `\r\x1b[2K[${'-'.repeat(30)}] first`,
      `\r\x1b[2K[######${'-'.repeat(24)}] second`,
      '\r\x1b[2K',
    ]);
  });

  it('elsewhere writes a plain line named by its label every ten seconds', () => {
    const { stream, written } = stderrOf(false);
    let now = 1_000;
    const display = new ProgressDisplay('recompute', stream, () => now);
    display.show({ fraction: 0, text: 'first' });
    now += 10_000;
    display.show({ fraction: 0.5, text: 'later' });
    display.clear();
    expect(written).toEqual(['recompute: later\n']);
  });
});
