import { execFileSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, release, tmpdir, totalmem, platform } from 'node:os';
import { dirname, join } from 'node:path';

/** Where a benchmark ran, so its numbers can be compared with another run's. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  /** e.g. `linux 6.8.0 x64`. */
  readonly os: string;
  readonly node: string;
  /** The file system type of the temp directory, where the stores under test keep their data; e.g. `ext4`. */
  readonly tempFilesystem: string;
  /** The workspace's git commit; e.g. `9cd9c5d1a2b3`, or `unknown`. */
  readonly commit: string;
  /** Versions of what was measured; e.g. `{ etcd: '3.4.23', lmdb: '3.5.6' }`. */
  readonly software: Readonly<Record<string, string>>;
}

export function machineInfo(software: Readonly<Record<string, string>>): MachineInfo {
  const processors = cpus();
  return {
    cpus: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    tempFilesystem: filesystemType(tmpdir()),
    commit: gitCommit(),
    software,
  };
}

/** The version in the package.json of an installed npm package, found from its entry point. */
export function installedVersion(packageName: string): string {
  let directory = dirname(require.resolve(packageName));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === packageName && manifest.version) return manifest.version;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(directory);
    if (parent === directory) return 'unknown';
    directory = parent;
  }
}

/** Magic numbers of `statfs(2)` for the file systems a benchmark is likely to meet. */
const filesystemNames = new Map<number, string>([
  [0xef53, 'ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x01021994, 'tmpfs'],
  [0x794c7630, 'overlayfs'],
  [0x6969, 'nfs'],
  [0x65735546, 'fuse'],
  [0x2fc12fc1, 'zfs'],
]);

function filesystemType(path: string): string {
  try {
    const type = statfsSync(path).type;
    return filesystemNames.get(type) ?? `0x${type.toString(16)}`;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}
