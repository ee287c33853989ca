import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { decodeTime, isValid, MAX_ULID, ULIDError } from 'ulid';
import {
  decodeUlidTime,
  encodeUlid,
  encodeUlidTime,
  MAX_ULID_TIME_MS,
  ulidProblem,
  UlidWriter,
} from './ulid';

describe('ULID', () => {
  it('encodes the time part as the ULID spec example does', () => {
    // github.com/ulid/spec: ulid(1469918176385) starts with "01ARYZ6S41".
    expect(encodeUlidTime(1469918176385)).toBe('01ARYZ6S41');
    expect(encodeUlidTime(0)).toBe('0000000000');
    expect(encodeUlidTime(MAX_ULID_TIME_MS)).toBe('7ZZZZZZZZZ');
  });

  it('encodes 80 bits of entropy as 16 Crockford characters, most significant first', () => {
    expect(encodeUlid(0, new Uint8Array(10))).toBe('00000000000000000000000000');
    expect(encodeUlid(0, new Uint8Array(10).fill(0xff))).toBe('0000000000ZZZZZZZZZZZZZZZZ');
    const lowestBit = new Uint8Array(10);
    lowestBit[9] = 1;
    expect(encodeUlid(0, lowestBit)).toBe('00000000000000000000000001');
    const highestBit = new Uint8Array(10);
    highestBit[0] = 0x80;
    expect(encodeUlid(0, highestBit)).toBe('0000000000G000000000000000');
  });

  it('decodes the millisecond back', () => {
    for (const ms of [0, 1, 1469918176385, 1563691800139, MAX_ULID_TIME_MS]) {
      expect(decodeUlidTime(encodeUlid(ms, new Uint8Array(10).fill(7)))).toBe(ms);
    }
  });

  it('accepts and times exactly what the package does, upper case and within 48 bits', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyzILOUilou-/ é\u0000';
    const pick = (from: string) => from.charAt(Math.floor(Math.random() * from.length));
    const samples = [MAX_ULID, '8' + MAX_ULID.slice(1), '0'.repeat(26), '0'.repeat(25), '0'.repeat(27)];
    for (let sample = 0; sample < 20_000; sample += 1) {
      const valid = encodeUlid(Math.floor(Math.random() * MAX_ULID_TIME_MS), randomBytes(10));
      // Mostly valid ULIDs with one character swapped, so the rare rejections are all met.
      const swapAt = Math.floor(Math.random() * 26);
      samples.push(valid, valid.slice(0, swapAt) + pick(alphabet) + valid.slice(swapAt + 1));
    }
    for (const text of samples) {
      const packageAccepts = isValid(text) && text === text.toUpperCase() && text <= MAX_ULID;
      expect({ text, accepted: ulidProblem(text) === undefined }).toEqual({ text, accepted: packageAccepts });
      if (packageAccepts) expect({ text, ms: decodeUlidTime(text) }).toEqual({ text, ms: decodeTime(text) });
    }
  });

  it('sorts by time as text', () => {
    const times = [1563568100000, 1563568100001, 1563568199999, 1563568200000, 1700000000000];
    const ulids = times.map((ms) => encodeUlid(ms, new Uint8Array(10).fill(0xff - (ms % 200))));
    expect([...ulids].sort()).toEqual(ulids);
  });

  it('rejects times outside 48 bits and short entropy', () => {
    expect(() => encodeUlidTime(-1)).toThrow(ULIDError);
    expect(() => encodeUlidTime(MAX_ULID_TIME_MS + 1)).toThrow(ULIDError);
    expect(() => encodeUlidTime(1.5)).toThrow(ULIDError);
    expect(() => encodeUlid(0, new Uint8Array(9))).toThrow('ULID entropy needs 10 bytes, got 9');
    const writer = new UlidWriter();
    expect(() => writer.ulid(-1, new Uint8Array(10))).toThrow(RangeError);
    expect(() => writer.ulid(MAX_ULID_TIME_MS + 1, new Uint8Array(10))).toThrow(RangeError);
    expect(() => writer.ulid(1.5, new Uint8Array(10))).toThrow(RangeError);
    expect(() => writer.ulid(0, new Uint8Array(9))).toThrow('ULID entropy needs 10 bytes, got 9');
  });

  it('writes with UlidWriter exactly what the package makes, for many times and entropies', () => {
    const writer = new UlidWriter();
    const target = Buffer.alloc(40, '-');
    const times = [0, 1, 31, 32, 1469918176385, 1563691800139, MAX_ULID_TIME_MS - 1, MAX_ULID_TIME_MS];
    for (let sample = 0; sample < 5000; sample += 1) {
      const ms = times[sample] ?? Math.floor(Math.random() * (MAX_ULID_TIME_MS + 1));
      const entropy = sample < 256 ? new Uint8Array(10).fill(sample) : randomBytes(10);
      const expected = encodeUlid(ms, entropy);
      expect(writer.ulid(ms, entropy)).toBe(expected);
      writer.write(ms, entropy, target, 7);
      expect(target.toString('latin1', 7, 33)).toBe(expected);
    }
    expect(target.toString('latin1', 0, 7) + target.toString('latin1', 33)).toBe('-'.repeat(14));
  });

  it('says why text is not a ULID', () => {
    expect(ulidProblem('01ARYZ6S41TSV4RRFFQ69G5FAV')).toBeUndefined();
    expect(ulidProblem('01ARYZ6S41')).toBe('is 10 characters long, a ULID has 26');
    expect(ulidProblem('01ARYZ6S41TSV4RRFFQ69G5FAU')).toBe(
      'has "U" at character 26, outside upper-case Crockford base32',
    );
    expect(ulidProblem('01aryz6s41tsv4rrffq69g5fav')).toBe(
      'has "a" at character 3, outside upper-case Crockford base32',
    );
    expect(ulidProblem('81ARYZ6S41TSV4RRFFQ69G5FAV')).toBe('starts with "8": its time would exceed 48 bits');
    expect(ulidProblem('01ARYZ6S41TSV4RRFFQ69G5\u{1F600}V')).toBe(
      'has "\\ud83d" at character 24, outside upper-case Crockford base32',
    );
  });
});
