import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../test/expect-rejection';
import { parseDetectorId } from './detector-id';

const ALLOWED = "allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'";

describe('parseDetectorId', () => {
  it('accepts every allowed character and the longest allowed id', () => {
    expect(parseDetectorId('Az09._:-')).toBe('Az09._:-');
    const longest = 'd'.repeat(64);
    expect(parseDetectorId(longest)).toBe(longest);
    expect(parseDetectorId('x')).toBe('x');
  });

  it('rejects an empty id', () => {
    expectRejection(
      () => parseDetectorId(''),
      'empty',
      'detector_id',
      'is empty; an id has 1 to 64 characters',
    );
  });

  it('rejects "." and "..", which a path-style reader of store keys would collapse', () => {
    for (const id of ['.', '..']) {
      expectRejection(
        () => parseDetectorId(id),
        'bad_character',
        'detector_id',
        `is "${id}", which a path-style reader collapses`,
      );
    }
    expect(parseDetectorId('...')).toBe('...');
  });

  it('rejects an id over 64 characters, saying its length and the limit', () => {
    expectRejection(
      () => parseDetectorId('d'.repeat(65)),
      'too_long',
      'detector_id',
      'is 65 characters long; the limit is 64',
    );
  });

  it('counts characters, not UTF-16 units, in the length', () => {
    expectRejection(
      () => parseDetectorId('😀'.repeat(65)),
      'too_long',
      'detector_id',
      'is 65 characters long; the limit is 64',
    );
  });

  it('names a slash, its code point and its position', () => {
    expectRejection(
      () => parseDetectorId('a/b'),
      'bad_character',
      'detector_id',
      `has U+002F '/' at character 2; ${ALLOWED}`,
    );
  });

  it('shows a control character by its code point only', () => {
    expectRejection(
      () => parseDetectorId('ab\n'),
      'bad_character',
      'detector_id',
      `has U+000A at character 3; ${ALLOWED}`,
    );
    expectRejection(
      () => parseDetectorId('\u0000'),
      'bad_character',
      'detector_id',
      `has U+0000 at character 1; ${ALLOWED}`,
    );
  });

  it('rejects spaces, non-ASCII letters, invisible format characters and lone surrogates', () => {
    expectRejection(
      () => parseDetectorId('a b'),
      'bad_character',
      'detector_id',
      `has U+0020 ' ' at character 2; ${ALLOWED}`,
    );
    expectRejection(
      () => parseDetectorId('café'),
      'bad_character',
      'detector_id',
      `has U+00E9 'é' at character 4; ${ALLOWED}`,
    );
    expectRejection(
      () => parseDetectorId('😀x'),
      'bad_character',
      'detector_id',
      `has U+1F600 '😀' at character 1; ${ALLOWED}`,
    );
    expectRejection(
      () => parseDetectorId('ab\u202e'),
      'bad_character',
      'detector_id',
      `has U+202E at character 3; ${ALLOWED}`,
    );
    expectRejection(
      () => parseDetectorId('a\ud800'),
      'bad_character',
      'detector_id',
      `has U+D800 at character 2; ${ALLOWED}`,
    );
  });

  it('names the field the caller gives', () => {
    expectRejection(
      () => parseDetectorId('', 'src_detectors[2].detector_id'),
      'empty',
      'src_detectors[2].detector_id',
      'is empty; an id has 1 to 64 characters',
    );
  });
});
