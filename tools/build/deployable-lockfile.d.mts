/** A package-lock.json entry: version, integrity, dependencies, flags and the rest npm writes. */
export type LockEntry = Record<string, unknown>;

export interface Lockfile {
  readonly name?: string;
  readonly version?: string;
  readonly lockfileVersion: number;
  readonly requires?: boolean;
  readonly packages: Record<string, LockEntry>;
}

export function deployableLockfile(
  workspaceLock: Lockfile,
  rootEntry: LockEntry & { name: string; version: string },
  sources: ReadonlyMap<string, string>,
): Lockfile;
