import type { Repository, WorkLeases } from '@message-bus/repository';
import type { Address } from './address';
import type { ConfigValues, OptionDeclaration } from './config';
import type { ServiceRegistration } from './grpc-server';
import type { Logger } from './logger';
import type { ServerMetrics } from './metrics';
import type { TlsFiles } from './tls';

/**
 * One thing a server process does besides health: serve the collector or the query
 * service on a port of its own, or run the travel-time worker. Each service lib exports
 * its part; an app runs the parts it deploys (`runServerApp` in @message-bus/runtime),
 * so the collector app carries no query code. A part declares its options and receives
 * them typed by those declarations.
 *
 * Its life, in order: `prepare` checks its config and reads its files before anything
 * is opened or bound; `start` builds it on the opened store; `begin` runs once every
 * port listens; on shutdown `stopBeforePorts`, then the ports drain, then `stopAfterPorts`.
 *
 * With several processes (`--workers`), a part that serves a gRPC port (`grpcService`)
 * runs in every worker process, which share its port; any other part (a background
 * worker, a port of its own such as the dashboard's) runs once, in the primary process.
 * `prepare` runs in every process, so each one knows every part's `lateAfterSeconds`.
 */
export interface ServerPart<Ds extends readonly OptionDeclaration[] = readonly OptionDeclaration[]> {
  /** Short name: the key of its port in the `ready` log line (`collector`), and in errors. */
  readonly name: string;
  /** Its own options; no two parts of one server declare the same name. */
  readonly options: Ds;
  /** The gRPC service it serves on its port, as health and reflection name it; none for a worker. */
  readonly grpcService?: PartGrpcService;
  /**
   * Throws ConfigError for config it cannot run with. What it did to its files (a key it
   * generated) it logs here: with `--workers`, the primary prepares once before any
   * worker, so such a line is logged once, by the process that did it.
   */
  prepare(config: ConfigValues<Ds>, store: StoreFacts, logger: Logger): PreparedPart;
}

export interface PartGrpcService {
  /** Full name, e.g. `collector.CollectorService`. */
  readonly name: string;
  /** It writes to the store: health shows it NOT_SERVING while the store refuses writes. */
  readonly writes: boolean;
}

/** What every part may know of the configured store before it opens. */
export interface StoreFacts {
  readonly kind: 'embedded' | 'etcd';
  /** The embedded store's folder (and where a generated key is kept). */
  readonly dataDir: string;
  /** How long raw sightings are kept. */
  readonly eventRetentionSeconds: number;
}

export interface PreparedPart {
  /**
   * Appends of sightings this much older than now mark them late; the store takes the
   * smallest any part asks for, or its own default.
   */
  readonly lateAfterSeconds?: number;
  start(host: PartHost): RunningPart | Promise<RunningPart>;
}

/** What the server gives a part to run with. */
export interface PartHost {
  readonly repository: Repository;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** Names this process among others sharing the store: `cqserver@host:1234`. */
  readonly processName: string;
  /**
   * Claims shared with other processes through the store (etcd locks); undefined when
   * this process is the store's only user (the embedded store), so claims can stay in memory.
   */
  sharedWorkLeases(): WorkLeases | undefined;
  /**
   * The gRPC port of a part started before this one (`query`), as bound, and the bearer
   * tokens it admits: the dashboard reads this process's own query service with them.
   * Undefined when no such part serves a port here.
   */
  localService(partName: string): LocalService | undefined;
  /** The service ports' TLS files (`tls.cert_file`), for a part serving a port of its own; undefined: plaintext. */
  readonly tls: TlsFiles | undefined;
}

export interface LocalService {
  readonly port: number;
  /** The bearer tokens the port admits; none: every client. */
  readonly tokens: readonly string[];
}

export interface RunningPart {
  /** What its gRPC port serves; present exactly when the part declares `grpcService`. */
  readonly service?: PartService;
  /**
   * Ports the part listens on itself (not gRPC: the dashboard's HTTP), by name, as bound;
   * the `ready` log line lists them with the others. Each serves TLS when the process has
   * TLS files (`PartHost.tls`), and the port security line names it `<name>_port`.
   */
  readonly listening?: Readonly<Record<string, number>>;
  /** Once every port listens and nothing else can fail: the worker starts here. */
  begin?(): void;
  /** On shutdown, before the ports stop: the worker hands its destinations back at once. */
  stopBeforePorts?(): Promise<void>;
  /** On shutdown, once in-flight calls are done: the collector commits acknowledged writes. */
  stopAfterPorts?(): Promise<void>;
}

export interface PartService {
  /** The option naming the port, for errors: `collector_port`. */
  readonly portOption: string;
  readonly address: Address;
  readonly registration: ServiceRegistration;
  /** The bearer tokens the port admits; none: every client. */
  readonly tokens: readonly string[];
}

/** Identity function that keeps a part's option literals, so `prepare` gets typed config. */
export function defineServerPart<const Ds extends readonly OptionDeclaration[]>(
  part: ServerPart<Ds>,
): ServerPart<Ds> {
  return part;
}
