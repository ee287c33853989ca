/**
 * The candidate nearest to a mistyped name (`evnts` → `events`, `--colector_port` →
 * `--collector_port`), or undefined when none is close enough to be a plausible typo.
 * What "did you mean" suggestions of the servers' options and mbcli's commands share.
 *
 * It lives here, beside the config loader that suggests option names, rather than in
 * domain: it is a command-line helper, not part of the model other teams import.
 * mbcli imports it from here too instead of keeping a copy; server-kit is marked
 * `sideEffects: false`, so mbcli's bundle takes this function alone, not the server code.
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  // A typo changes a few characters; allow about one edit per four, at least two.
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
