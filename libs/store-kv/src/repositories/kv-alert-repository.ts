import {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  NANOS_PER_MILLISECOND,
  type Alert,
  type AlertKind,
  type UnixNanos,
} from '@message-bus/domain';
import { StoreInvalidArgumentError, type AlertQuery, type AlertRepository } from '@message-bus/repository';
import { prefixEnd } from '../keys/key-segment';
import { toKeyTimeRange, type KeyTimeRange } from '../keys/key-time';
import { decodeUlidTime } from '../keys/ulid';
import type { KvEntry, KvRecord } from '../kv-backend';
import { decodeAlertValue, encodeAlertValue } from '../values/alert-value';
import { decodeEntries, getDecoded } from './decoded-records';
import type { KvStore } from './kv-store';
import { checkLimit } from './query-checks';
import { expiryAfterPut } from './record-expiry';

/** Alerts read per backend page when a limit is set: filters may skip many, so never fewer than this. */
const MIN_PAGE_SIZE = 64;

/**
 * Alerts under `/{prefix}/alerts/{ULID}`, the ULID's time the alert's start: keys in
 * reverse order are alerts newest start first. Each is kept `retentionSeconds` after its
 * last put, so an open alert that keeps being updated stays.
 */
export class KvAlertRepository implements AlertRepository {
  constructor(
    private readonly store: KvStore,
    private readonly retentionSeconds: number,
    private readonly clock: () => UnixNanos,
  ) {}

  /** All alerts in one backend write; the same id twice in a batch keeps the last. */
  async put(alerts: readonly Alert[]): Promise<void> {
    if (!Array.isArray(alerts)) throw new StoreInvalidArgumentError('alerts: must be an array');
    const now = this.clock();
    const records = new Map<string, KvRecord>();
    alerts.forEach((alert: Alert, index) => {
      const field = `alerts[${index}]`;
      const key = this.store.keyspace.alertKey(alert.id, `${field}.id`);
      const value = encodeAlertValue(alert, field);
      const startMs = Number(alert.start / NANOS_PER_MILLISECOND);
      if (decodeUlidTime(alert.id) !== startMs) {
        throw new StoreInvalidArgumentError(
          `${field}.id: its ULID's time ${decodeUlidTime(alert.id)} ms is not the start's millisecond ${startMs}`,
        );
      }
      records.delete(key);
      records.set(key, { key, value, expiry: expiryAfterPut(key, now, this.retentionSeconds) });
    });
    await this.store.write([...records.values()]);
  }

  async get(id: string): Promise<Alert | undefined> {
    const key = this.store.keyspace.alertKey(id);
    return getDecoded(this.store, key, 'alert', (bytes) => decodeAlertValue(bytes, id));
  }

  async list(query: AlertQuery = {}): Promise<Alert[]> {
    const limit = checkLimit(query.limit, 'limit');
    const kinds = checkKinds(query.kinds);
    const minSeverity = checkMinSeverity(query.minSeverity);
    const openOnly = query.openOnly ?? false;
    if (typeof openOnly !== 'boolean') throw new StoreInvalidArgumentError('openOnly: must be a boolean');
    const range = toKeyTimeRange(query.range);
    const alerts: Alert[] = [];
    if (range === undefined || limit === 0) return alerts;
    const { keyspace } = this.store;
    const root = keyspace.alertsRoot;
    // Alerts that start at or after `before` cannot be open in the range: their keys are skipped.
    const end =
      range.before === undefined
        ? prefixEnd(root)
        : keyspace.alertTimeBoundary(Number((range.before - 1n) / NANOS_PER_MILLISECOND) + 1);
    const pageSize = limit === undefined ? undefined : Math.max(limit, MIN_PAGE_SIZE);
    const scan = this.store.scan({ start: root, end, reverse: true }, pageSize);
    for await (const alert of this.decodeAll(scan)) {
      // Keys order alerts by start millisecond; within one, read on past the limit and sort by the nanosecond.
      const full = limit !== undefined && alerts.length >= limit;
      if (full && startMs(alert) !== startMs(alerts[alerts.length - 1]!)) break;
      const matches =
        isOpenIn(alert, range) &&
        (kinds === undefined || kinds.has(alert.kind)) &&
        ALERT_SEVERITIES.indexOf(alert.severity) >= minSeverity &&
        (!openOnly || alert.end === undefined);
      if (matches) alerts.push(alert);
    }
    alerts.sort((a, b) => (a.start > b.start ? -1 : a.start < b.start ? 1 : 0));
    return limit === undefined ? alerts : alerts.slice(0, limit);
  }

  follow(signal: AbortSignal): AsyncIterable<Alert> {
    return this.decodeAll(this.store.watch(this.store.keyspace.alertsRoot, signal));
  }

  private decodeAll(entries: AsyncIterable<KvEntry>): AsyncIterable<Alert> {
    const { keyspace, malformed } = this.store;
    return decodeEntries(entries, malformed, {
      keyName: 'alert key',
      valueName: 'alert',
      parseKey: (key) => keyspace.parseAlertKey(key),
      decodeValue: decodeAlertValue,
    });
  }
}

function startMs(alert: Alert): bigint {
  return alert.start / NANOS_PER_MILLISECOND;
}

/** Whether the alert, open from its start until its end (or still), is open at some time in `range`. */
function isOpenIn(alert: Alert, range: KeyTimeRange): boolean {
  const startsBeforeItEnds = range.before === undefined || alert.start < range.before;
  const endsAfterItStarts = alert.end === undefined || alert.end > range.after;
  return startsBeforeItEnds && endsAfterItStarts;
}

function checkKinds(kinds: unknown): ReadonlySet<AlertKind> | undefined {
  if (kinds === undefined) return undefined;
  if (!Array.isArray(kinds)) throw new StoreInvalidArgumentError('kinds: must be an array of alert kinds');
  if (kinds.length === 0) return undefined;
  kinds.forEach((kind, index) => {
    if (!(ALERT_KINDS as readonly unknown[]).includes(kind)) {
      throw new StoreInvalidArgumentError(
        `kinds[${index}]: ${JSON.stringify(kind)} is not one of ${ALERT_KINDS.join(', ')}`,
      );
    }
  });
  return new Set(kinds as AlertKind[]);
}

/** The index in `ALERT_SEVERITIES` of the least severity listed (0 when unset). */
function checkMinSeverity(severity: unknown): number {
  if (severity === undefined) return 0;
  const index = (ALERT_SEVERITIES as readonly unknown[]).indexOf(severity);
  if (index < 0) {
    throw new StoreInvalidArgumentError(
      `minSeverity: ${JSON.stringify(severity)} is not one of ${ALERT_SEVERITIES.join(', ')}`,
    );
  }
  return index;
}
