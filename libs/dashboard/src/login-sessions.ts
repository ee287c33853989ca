import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'mb_dashboard_session';
/** A login lasts a working day; then the page asks for the token again. */
export const SESSION_LIFETIME_MS = 12 * 3600 * 1000;
const SESSION_ID_BYTES = 32;

/**
 * The dashboard's own login: one token from config, and the sessions it opened, in this
 * server instance's memory (a restart logs everyone out, which is fine for a dashboard).
 * Ids are 32 random bytes; a session expires 12 h after login.
 */
export class LoginSessions {
  private readonly tokenDigest: Buffer;
  private readonly expiries = new Map<string, number>();

  constructor(
    token: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.tokenDigest = sha256(token);
  }

  /**
   * Whether `candidate` is the login token, in time independent of where they differ:
   * both are hashed first, so the lengths compared are always equal too.
   */
  accepts(candidate: string): boolean {
    return timingSafeEqual(sha256(candidate), this.tokenDigest);
  }

  /** A new session id, valid for SESSION_LIFETIME_MS. */
  open(): string {
    this.forgetExpired();
    const id = randomBytes(SESSION_ID_BYTES).toString('hex');
    this.expiries.set(id, this.clock() + SESSION_LIFETIME_MS);
    return id;
  }

  isOpen(id: string | undefined): boolean {
    if (id === undefined) return false;
    const expiry = this.expiries.get(id);
    if (expiry === undefined) return false;
    if (expiry > this.clock()) return true;
    this.expiries.delete(id);
    return false;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.expiries.delete(id);
  }

  private forgetExpired(): void {
    const now = this.clock();
    for (const [id, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(id);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Wrong tokens one address may send per window before it must wait. */
export const MAX_WRONG_LOGINS = 10;
export const WRONG_LOGIN_WINDOW_MS = 60_000;

/**
 * Slows guessing of the login token: after MAX_WRONG_LOGINS wrong tokens from one client
 * address within a minute, that address is refused until the minute since its first
 * miss is over. Only misses count, so a person who types the token right is never held up.
 */
export class LoginThrottle {
  private readonly misses = new Map<string, { readonly since: number; count: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Milliseconds `address` must wait before trying again; 0: it may try now. */
  waitMs(address: string): number {
    const entry = this.misses.get(address);
    if (entry === undefined) return 0;
    const left = entry.since + WRONG_LOGIN_WINDOW_MS - this.clock();
    if (left <= 0) {
      this.misses.delete(address);
      return 0;
    }
    return entry.count >= MAX_WRONG_LOGINS ? left : 0;
  }

  recordMiss(address: string): void {
    const now = this.clock();
    for (const [known, entry] of this.misses) {
      if (entry.since + WRONG_LOGIN_WINDOW_MS <= now) this.misses.delete(known);
    }
    const entry = this.misses.get(address);
    if (entry === undefined) this.misses.set(address, { since: now, count: 1 });
    else entry.count += 1;
  }
}
