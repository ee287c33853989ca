import { setLogger } from '@grpc/grpc-js';
import { format } from 'node:util';
import type { Logger } from './logger';

/**
 * grpc-js logs through a process-global logger that, by default, prints raw text to
 * stderr, outside the JSON lines. Some of that text quotes request headers: a header
 * value with a tab or a non-ASCII byte is dropped with "Failed to add metadata entry
 * authorization: Bearer <token>...", and the `server_call` tracer prints every header.
 * These route it through the JSON logger with credentials cut out.
 */

/** The first mention of a credential: an authorization header (name or JSON key) or a bearer token. */
const CREDENTIAL = /(?:proxy-)?authorization|bearer/i;

/**
 * `text` with everything from the first credential on replaced by `[redacted]`: after
 * a header name `authorization` the value follows, after `Bearer` the token. Cutting
 * the rest, rather than the token alone, is deliberate: a value that needs logging is
 * one with bytes no pattern can be trusted to bound (tabs, spaces, non-ASCII, quotes).
 */
export function redactCredentials(text: string): string {
  const match = CREDENTIAL.exec(text);
  if (match === null) return text;
  const keep = /^bearer$/i.test(match[0]) ? match.index : match.index + match[0].length;
  return `${text.slice(0, keep)}${keep === match.index ? '' : ' '}[redacted]`;
}

/** A logger in the shape grpc-js's `setLogger` takes, writing to `logger` as `source: grpc-js`. */
export function grpcJsLogger(logger: Logger): Pick<Console, 'error' | 'info' | 'debug'> {
  const write =
    (level: 'error' | 'info' | 'debug') =>
    (message?: unknown, ...params: unknown[]): void => {
      logger[level]({ source: 'grpc-js' }, redactCredentials(format(message, ...params)));
    };
  return { error: write('error'), info: write('info'), debug: write('debug') };
}

/**
 * Installs `grpcJsLogger(logger)` as grpc-js's logger. grpc-js keeps one logger per
 * process, so call this once, from the composition root that owns the process's logger.
 * The verbosity stays grpc-js's own (ERROR unless GRPC_VERBOSITY / GRPC_NODE_VERBOSITY
 * says otherwise); `logger`'s level filters what passes.
 */
export function routeGrpcLogging(logger: Logger): void {
  setLogger(grpcJsLogger(logger));
}
