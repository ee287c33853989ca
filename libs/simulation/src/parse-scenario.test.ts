import { ValidationError } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { corridorScenario } from './corridor';
import { parseScenario, scenarioToJson, type ScenarioJson } from './parse-scenario';

/** A small valid scenario file, using every default it can. */
function minimalJson(): ScenarioJson {
  return {
    name: 'two-detectors',
    detectors: [
      { id: 'A', latitude: 52.0894, longitude: 5.1776 },
      { id: 'B', latitude: 52.08, longitude: 5.21, clockSkewSeconds: -0.5 },
    ],
    segments: [
      {
        from: 'A',
        to: 'B',
        freeFlowKmh: 100,
        congestion: [{ start: '07:15', rampSeconds: 600, holdSeconds: 1800, peakFactor: 2 }],
      },
    ],
    links: [{ source: 'A', destination: 'B', maxSeconds: 900 }],
    flows: [{ path: ['A', 'B'], vehiclesPerHour: 400 }],
    detection: { share: 0.05 },
  };
}

/** The ValidationError `run` throws, for asserting on code, field and message together. */
function rejection(run: () => unknown): Pick<ValidationError, 'code' | 'field' | 'message'> {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError)
      return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected a ValidationError, but nothing was thrown');
}

/** The minimal file after `change`, which may break it in ways its type does not allow (via `loose`). */
function withChange(change: (json: ScenarioJson) => void): unknown {
  const json = minimalJson();
  change(json);
  return json;
}

/** A part of the file, open to values its type forbids. */
function loose(part: object | undefined): Record<string, unknown> {
  return part as Record<string, unknown>;
}

describe('parseScenario', () => {
  it('reads a file, filling in the defaults', () => {
    const scenario = parseScenario(minimalJson());
    expect(scenario.detectors[0]).toEqual({
      id: 'A',
      coordinates: { latitude: 5_208_940, longitude: 517_760 },
      clockSkewSeconds: 0,
    });
    expect(scenario.detectors[1]?.clockSkewSeconds).toBe(-0.5);
    expect(scenario.segments[0]?.congestion).toEqual([
      { startSecondOfDay: 7 * 3600 + 15 * 60, rampSeconds: 600, holdSeconds: 1800, peakFactor: 2 },
    ]);
    expect(scenario.segments[0]?.lengthMeters).toBeUndefined();
    expect(scenario.dailyProfile).toEqual(new Array(24).fill(1));
    expect(scenario.detection.kindShares).toEqual({ wifi: 0.4, bluetooth: 0.45, mobile: 0.15 });
    expect(scenario.sightingsPerPass).toEqual({ min: 1, max: 3, dwellSeconds: 4 });
    expect(scenario.stops).toEqual({ share: 0, minDelaySeconds: 120, maxDelaySeconds: 1200 });
    expect(scenario.travelTimeSpread).toBe(0.06);
  });

  it('reads back what scenarioToJson wrote, through JSON text', () => {
    const corridor = corridorScenario();
    expect(parseScenario(JSON.parse(JSON.stringify(scenarioToJson(corridor))))).toEqual(corridor);
    const json = scenarioToJson(corridor);
    expect(json.segments[4]?.congestion).toEqual([
      { start: '06:45:00', rampSeconds: 900, holdSeconds: 3600, peakFactor: 2 },
    ]);
    expect(json.detectors[0]).toMatchObject({ id: 'D01', latitude: 52.0894, longitude: 5.1776 });
  });

  it.each([
    [
      'a non-object',
      () => 'corridor',
      { code: 'unknown_value', field: 'scenario', message: 'scenario: is a string; expected an object' },
    ],
    [
      'a missing field',
      () => withChange((json) => Reflect.deleteProperty(json, 'flows')),
      { code: 'empty', field: 'flows', message: 'flows: is missing; expected an array' },
    ],
    [
      'a field of the wrong type',
      () => withChange((json) => (loose(json.detectors[1]).latitude = '52.08')),
      {
        code: 'unknown_value',
        field: 'detectors[1].latitude',
        message: 'detectors[1].latitude: is a string; expected a number',
      },
    ],
    [
      'an unknown (misspelt) field',
      () => withChange((json) => (loose(json.detection).shares = 0.05)),
      {
        code: 'unknown_value',
        field: 'detection.shares',
        message: 'detection.shares: is not a field here; expected share, kindShares',
      },
    ],
    [
      'a latitude off the globe',
      () => withChange((json) => (json.detectors[0]!.latitude = 95)),
      {
        code: 'out_of_range',
        field: 'detectors[0].latitude',
        message: 'detectors[0].latitude: is 95°; latitude must be within ±90°',
      },
    ],
    [
      'a bad detector id',
      () => withChange((json) => (json.detectors[1]!.id = 'B/1')),
      {
        code: 'bad_character',
        field: 'detectors[1].id',
        message:
          "detectors[1].id: has U+002F '/' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'",
      },
    ],
    [
      'a duplicate detector',
      () => withChange((json) => (json.detectors[1]!.id = 'A')),
      {
        code: 'duplicate',
        field: 'detectors[1].id',
        message: 'detectors[1].id: is "A", which an earlier detector already has',
      },
    ],
    [
      'a segment to an unknown detector',
      () => withChange((json) => (json.segments[0]!.to = 'C')),
      {
        code: 'unknown_value',
        field: 'segments[0].to',
        message: 'segments[0].to: is "C", which is not a detector of the scenario',
      },
    ],
    [
      'a segment of unknown length between detectors at one place',
      () => withChange((json) => (json.detectors[1] = { id: 'B', latitude: 52.0894, longitude: 5.1776 })),
      {
        code: 'empty',
        field: 'segments[0].lengthMeters',
        message:
          'segments[0].lengthMeters: is missing, and "A" and "B" stand at the same place; give the road\'s length',
      },
    ],
    [
      'a time of day that is not one',
      () => withChange((json) => (json.segments[0]!.congestion![0]!.start = '7:15')),
      {
        code: 'unknown_value',
        field: 'segments[0].congestion[0].start',
        message:
          'segments[0].congestion[0].start: is "7:15"; expected a UTC time of day "HH:MM" or "HH:MM:SS", e.g. "06:45"',
      },
    ],
    [
      'a jam that shortens travel times',
      () => withChange((json) => (json.segments[0]!.congestion![0]!.peakFactor = 0.5)),
      {
        code: 'out_of_range',
        field: 'segments[0].congestion[0].peakFactor',
        message:
          'segments[0].congestion[0].peakFactor: is 0.5; a peak factor is 1 (no congestion) to 20 times the free-flow travel time',
      },
    ],
    [
      'a link no road leads along',
      () => withChange((json) => (json.links[0] = { source: 'B', destination: 'A', maxSeconds: 900 })),
      {
        code: 'unknown_value',
        field: 'links[0]',
        message: 'links[0]: runs from "B" to "A", but no chain of segments leads there',
      },
    ],
    [
      'a link with a maximum beyond a day',
      () => withChange((json) => (json.links[0]!.maxSeconds = 90_000)),
      {
        code: 'out_of_range',
        field: 'links[0].maxSeconds',
        message: "links[0].maxSeconds: is 90000; a link's maximum travel time is 1 to 86400 seconds",
      },
    ],
    [
      'a flow off the road',
      () => withChange((json) => (json.flows[0]!.path = ['B', 'A'])),
      {
        code: 'unknown_value',
        field: 'flows[0].path[1]',
        message: 'flows[0].path[1]: is "A", but no segment leads from "B" to it',
      },
    ],
    [
      'a detection share above 1',
      () => withChange((json) => (json.detection.share = 5)),
      {
        code: 'out_of_range',
        field: 'detection.share',
        message: 'detection.share: is 5; the detected share of vehicles is a fraction above 0 and at most 1',
      },
    ],
    [
      'a daily profile without 24 hours',
      () => withChange((json) => (json.dailyProfile = [1, 1, 1])),
      {
        code: 'out_of_range',
        field: 'dailyProfile',
        message: 'dailyProfile: has 3 values; it has one per hour, 24',
      },
    ],
    [
      'fewer sightings per pass at most than at least',
      () => withChange((json) => (json.sightingsPerPass = { min: 3, max: 2, dwellSeconds: 4 })),
      {
        code: 'out_of_range',
        field: 'sightingsPerPass.max',
        message: 'sightingsPerPass.max: is 2; a pass has at most 1000 sightings and no fewer than min (3)',
      },
    ],
    [
      'a fractional number of sightings',
      () => withChange((json) => (json.sightingsPerPass = { min: 1.5, max: 2, dwellSeconds: 4 })),
      {
        code: 'not_integer',
        field: 'sightingsPerPass.min',
        message: 'sightingsPerPass.min: is 1.5, not a whole number; a pass has 1 to 1000 sightings',
      },
    ],
    [
      'a stop delay range upside down',
      () => withChange((json) => (json.stops = { share: 0.1, minDelaySeconds: 600, maxDelaySeconds: 60 })),
      {
        code: 'out_of_range',
        field: 'stops.maxDelaySeconds',
        message:
          'stops.maxDelaySeconds: is 60; a delay is at most 86400 seconds and no less than minDelaySeconds (600)',
      },
    ],
    [
      'no device kind at all',
      () => withChange((json) => (json.detection.kindShares = { wifi: 0 })),
      {
        code: 'out_of_range',
        field: 'detection.kindShares',
        message: 'detection.kindShares: are all 0; at least one device kind must have a weight',
      },
    ],
  ])('rejects %s, naming the field', (_case, input, expected) => {
    expect(rejection(() => parseScenario(input()))).toEqual(expected);
  });
});
