// Helpers shared by the string validators. Internal: not exported from index.ts.

/** Number of characters (code points; a lone surrogate counts as one) without allocating. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    const isPairStart = unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length;
    if (isPairStart) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

/** `U+002F '/'` for a visible character; `U+000A` alone for anything that would not print. */
export function describeCodePoint(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const character = String.fromCodePoint(codePoint);
  const visible = character === ' ' || /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(character);
  return visible ? `${hex} '${character}'` : hex;
}

/** A value quoted for a message, cut to a readable length. Never use it on a raw device id. */
export function quoteForMessage(value: string, maxCharacters = 40): string {
  const characters = Array.from(value.slice(0, maxCharacters * 2)).slice(0, maxCharacters);
  const shown = characters.join('');
  return shown.length < value.length ? `${JSON.stringify(shown)}…` : JSON.stringify(value);
}

/** A surrogate code point met while iterating a string is always an unpaired (lone) one. */
export function isLoneSurrogate(codePoint: number): boolean {
  return codePoint >= 0xd800 && codePoint <= 0xdfff;
}
