import type { Hook } from '@oclif/core';
import { versionLine } from '../lib/version';

/**
 * oclif prints `config.userAgent` for `--version` and in the root help's VERSION
 * section; make it the line every message-bus app prints: `mbcli <version> (<commit>)`.
 */
const init: Hook.Init = async function ({ config }) {
  (config as { userAgent: string }).userAgent = versionLine(config.bin);
};

export default init;
