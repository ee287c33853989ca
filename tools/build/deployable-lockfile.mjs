// The package-lock.json of a deployable (apps/<app>/dist), derived offline from the
// workspace's package-lock.json: the same packages at the same versions, resolved,
// integrity and all, so `npm ci` in the image installs exactly what the workspace tested,
// and no registry is asked to resolve anything at build time.
//
// The workspace tree cannot be copied as it is: a package the bundle needs may sit under a
// workspace folder (libs/server-kit/node_modules/@grpc/proto-loader, because the root holds
// another version), and the deployable has only one root. So the packages are placed anew,
// as npm would: each one at the root if the name is free there, else nested under the
// package that needs it; every dependency resolves to the version it resolves to in the
// workspace. The dev/optional/peer flags are then worked out again for this smaller tree.

/** `libs/a/node_modules/x/node_modules/@s/y` -> `libs/a/node_modules/x`; a top-level path -> ''. */
function parentPath(path) {
  const index = path.lastIndexOf('/node_modules/');
  return index === -1 ? '' : path.slice(0, index);
}

function childPath(path, name) {
  return path === '' ? `node_modules/${name}` : `${path}/node_modules/${name}`;
}

/**
 * Where Node finds package `name` from the package at `path`: the nearest node_modules up
 * the tree, in a tree that `holds` some paths.
 */
function resolveIn(holds, path, name) {
  for (let base = path; ; base = parentPath(base)) {
    const candidate = childPath(base, name);
    if (holds(candidate)) return candidate;
    if (base === '') return undefined;
  }
}

/** A package's dependencies as npm installs them; optional peers only come if something else brings them. */
function dependencyEdges(entry) {
  const optionalPeers = Object.entries(entry.peerDependenciesMeta ?? {})
    .filter(([, meta]) => meta.optional)
    .map(([name]) => name);
  return [
    ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false, peer: false })),
    ...Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, optional: true, peer: false })),
    ...Object.keys(entry.peerDependencies ?? {})
      .filter((name) => !optionalPeers.includes(name))
      .map((name) => ({ name, optional: false, peer: true })),
  ];
}

const WORKSPACE_FLAGS = ['dev', 'devOptional', 'optional', 'peer', 'extraneous'];

function samePackage(a, b) {
  return a.version === b.version && a.resolved === b.resolved && a.integrity === b.integrity;
}

/**
 * @param workspaceLock the workspace's parsed package-lock.json (lockfileVersion 2 or 3)
 * @param rootEntry the lock's `packages['']` for the deployable (name, version, dependencies, ...)
 * @param sources for each dependency of the deployable, the workspace lock path of the
 *   package its code resolves (e.g. `node_modules/pino`)
 */
export function deployableLockfile(workspaceLock, rootEntry, sources) {
  const workspace = workspaceLock.packages;
  /** Deployable path -> workspace path of the package placed there. */
  const placed = new Map();
  /** Deployable path -> [{ to: deployable path, optional, peer }] */
  const edges = new Map([['', []]]);
  const queue = [];

  function place(path, source) {
    const entry = workspace[source];
    if (entry.link || entry.inBundle) {
      throw new Error(
        `${source}: a workspace link or bundled package cannot go into a deployable's lockfile`,
      );
    }
    placed.set(path, source);
    edges.set(path, []);
    queue.push(path);
  }

  for (const [name, source] of [...sources].sort(([a], [b]) => a.localeCompare(b, 'en'))) {
    const path = childPath('', name);
    if (workspace[source] === undefined) {
      throw new Error(`${source} is not in package-lock.json: run npm install`);
    }
    place(path, source);
    edges.get('').push({ to: path, optional: false, peer: false });
  }

  while (queue.length > 0) {
    const path = queue.shift();
    const source = placed.get(path);
    for (const { name, optional, peer } of dependencyEdges(workspace[source])) {
      const wanted = resolveIn((at) => workspace[at] !== undefined, source, name);
      if (wanted === undefined) {
        // Optional packages of other platforms may be left out of a lock; anything else is a broken lock.
        if (optional) continue;
        throw new Error(`${source} needs ${name}, which package-lock.json does not hold: run npm install`);
      }
      const found = resolveIn((at) => placed.has(at), path, name);
      let to = found;
      if (found === undefined) {
        to = childPath('', name);
        place(to, wanted);
      } else if (!samePackage(workspace[placed.get(found)], workspace[wanted])) {
        to = childPath(path, name);
        if (placed.has(to)) throw new Error(`${source} needs two versions of ${name}`);
        if (peer)
          throw new Error(`${source}'s peer ${name} conflicts with another version in the deployable`);
        place(to, wanted);
      }
      edges.get(path).push({ to, optional, peer });
    }
  }

  // As npm's calc-dep-flags: every package starts optional and peer; an edge that is neither,
  // from a package that is neither, clears the flag on its target, until nothing changes.
  const flags = new Map([...placed.keys()].map((path) => [path, { optional: true, peer: true }]));
  flags.set('', { optional: false, peer: false });
  const pending = [''];
  while (pending.length > 0) {
    const from = pending.pop();
    for (const { to, optional, peer } of edges.get(from)) {
      const target = flags.get(to);
      let changed = false;
      if (target.optional && !flags.get(from).optional && !optional) {
        target.optional = false;
        changed = true;
      }
      if (target.peer && !flags.get(from).peer && !peer) {
        target.peer = false;
        changed = true;
      }
      if (changed) pending.push(to);
    }
  }

  const packages = { '': rootEntry };
  for (const path of [...placed.keys()].sort((a, b) => a.localeCompare(b, 'en'))) {
    // The workspace's flags do not hold here.
    const entry = Object.entries(workspace[placed.get(path)]).filter(
      ([key]) => !WORKSPACE_FLAGS.includes(key),
    );
    packages[path] = {
      ...Object.fromEntries(entry),
      ...(flags.get(path).optional ? { optional: true } : {}),
      ...(flags.get(path).peer ? { peer: true } : {}),
    };
  }
  return { name: rootEntry.name, version: rootEntry.version, lockfileVersion: 3, requires: true, packages };
}
