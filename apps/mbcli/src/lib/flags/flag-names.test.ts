import { Flags } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { unknownFlagMessage, withKebabAliases } from './flag-names';

const flags = {
  detector_ids: Flags.string({ multiple: true }),
  event_limit: Flags.integer({ aliases: ['limit'] }),
  after: Flags.string(),
  follow: Flags.boolean(),
  internal_only: Flags.boolean({ hidden: true }),
};

describe('withKebabAliases', () => {
  it('adds the kebab-case name of every snake_case flag as an alias, keeping the others', () => {
    const aliased = withKebabAliases(flags);
    expect(aliased.detector_ids.aliases).toEqual(['detector-ids']);
    expect(aliased.event_limit.aliases).toEqual(['limit', 'event-limit']);
    expect(aliased.after).toBe(flags.after);
    expect(flags.detector_ids.aliases).toBeUndefined();
  });
});

describe('unknownFlagMessage', () => {
  const aliased = withKebabAliases(flags);

  it('names the closest flag, in the style it was typed', () => {
    expect(unknownFlagMessage(['--detector_id'], aliased, 'mbcli events')).toBe(
      'unknown flag --detector_id; did you mean --detector_ids?',
    );
    expect(unknownFlagMessage(['--detector-id=a1'], aliased, 'mbcli events')).toBe(
      'unknown flag --detector-id; did you mean --detector-ids?',
    );
    expect(unknownFlagMessage(['--folow'], aliased, 'mbcli events')).toBe(
      'unknown flag --folow; did you mean --follow?',
    );
  });

  it('points at the help when no flag is near, and never suggests a hidden one', () => {
    expect(unknownFlagMessage(['--frobnicate'], aliased, 'mbcli events')).toBe(
      'unknown flag --frobnicate; see `mbcli events --help`',
    );
    expect(unknownFlagMessage(['--internal_onyl'], aliased, 'mbcli events')).toBe(
      'unknown flag --internal_onyl; see `mbcli events --help`',
    );
    expect(unknownFlagMessage(['--folow', '--frobnicate'], aliased, 'mbcli events')).toBe(
      'unknown flags --folow, --frobnicate; did you mean --follow? see `mbcli events --help`',
    );
  });
});
