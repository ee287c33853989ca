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
