import { describe, expect, it } from 'vitest';
import { goStyleMember, jsonMemberSources } from './json-object';

describe('jsonMemberSources', () => {
  it('keeps the exact source text of every member, numbers beyond 2^53 included', () => {
    const members = jsonMemberSources(
      ' { "big" : 12345678901234567890 , "s":"a\\"}b", "o":{"x":[1,"]"]}, "a":[], "t":true, "n":null } ',
    );
    expect(members.ok && Object.fromEntries(members.value)).toEqual({
      big: '12345678901234567890',
      s: '"a\\"}b"',
      o: '{"x":[1,"]"]}',
      a: '[]',
      t: 'true',
      n: 'null',
    });
  });

  it('keeps the last of repeated names, and reads an empty object', () => {
    const members = jsonMemberSources('{"a":1,"a":2}');
    expect(members.ok && members.value.get('a')).toBe('2');
    expect(jsonMemberSources('{}')).toEqual({ ok: true, value: new Map() });
  });

  it('says why text is not a JSON object', () => {
    expect(jsonMemberSources('{"a":')).toEqual({ ok: false, reason: 'is not JSON' });
    expect(jsonMemberSources('"a"')).toEqual({ ok: false, reason: 'is JSON but not an object' });
  });
});

describe('goStyleMember', () => {
  it('prefers the exact name, then matches case-insensitively like encoding/json', () => {
    expect(
      goStyleMember(
        new Map([
          ['timestamp', 1],
          ['Timestamp', 2],
        ]),
        'Timestamp',
      ),
    ).toBe(2);
    expect(goStyleMember(new Map([['TIMESTAMP', 3]]), 'Timestamp')).toBe(3);
    expect(goStyleMember(new Map([['Time', 4]]), 'Timestamp')).toBeUndefined();
  });
});
