import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The wire contract of ARCHITECTURE.md, checked against the descriptors buf compiles
 * from proto/. The tables below are the contract: any change to a package, message,
 * field name, number, type, label, oneof, map, enum value, service or RPC fails here.
 * Extending the contract additively means adding a row.
 */

const workspaceRoot = resolve(__dirname, '../../..');
const bufCli = require.resolve('@bufbuild/buf/bin/buf');

/** The parts of google.protobuf.FileDescriptorProto (protojson form) the contract covers. */
interface FieldDescriptor {
  name: string;
  number: number;
  label: 'LABEL_OPTIONAL' | 'LABEL_REPEATED' | 'LABEL_REQUIRED';
  type: string;
  typeName?: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
  jsonName: string;
}
interface MessageDescriptor {
  name: string;
  field?: FieldDescriptor[];
  nestedType?: MessageDescriptor[];
  enumType?: EnumDescriptor[];
  oneofDecl?: { name: string }[];
  reservedRange?: { start: number; end: number }[];
  reservedName?: string[];
  options?: { mapEntry?: boolean };
}
interface EnumDescriptor {
  name: string;
  value: { name: string; number: number }[];
}
interface ServiceDescriptor {
  name: string;
  method?: {
    name: string;
    inputType: string;
    outputType: string;
    clientStreaming?: boolean;
    serverStreaming?: boolean;
  }[];
}
interface FileDescriptor {
  name: string;
  package: string;
  syntax?: string;
  dependency?: string[];
  messageType?: MessageDescriptor[];
  enumType?: EnumDescriptor[];
  service?: ServiceDescriptor[];
}

/** A proto file in the form of the tables below: one line per field, value or RPC, in proto syntax. */
interface ContractFile {
  package: string;
  syntax: string;
  imports: string[];
  enums: Record<string, string[]>;
  messages: Record<string, string[]>;
  reserved: Record<string, string[]>;
  services: Record<string, string[]>;
}

function buildDescriptors(): FileDescriptor[] {
  const json = execFileSync(
    process.execPath,
    [bufCli, 'build', 'proto', '--exclude-source-info', '--output', '-#format=json'],
    { cwd: workspaceRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return (JSON.parse(json) as { file: FileDescriptor[] }).file;
}

const typeName = (qualified: string): string => qualified.replace(/^\./, '');

function fieldType(field: FieldDescriptor): string {
  return field.typeName ? typeName(field.typeName) : field.type.replace(/^TYPE_/, '').toLowerCase();
}

function defaultJsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function fieldLine(
  field: FieldDescriptor,
  message: MessageDescriptor,
  entries: Map<string, MessageDescriptor>,
): string {
  const entry = field.typeName ? entries.get(typeName(field.typeName)) : undefined;
  let declaration: string;
  if (entry) {
    const [key, value] = entry.field ?? [];
    if (!key || !value) throw new Error(`map entry ${entry.name} lacks its key or value field`);
    declaration = `map<${fieldType(key)}, ${fieldType(value)}>`;
  } else if (field.label === 'LABEL_REPEATED') {
    declaration = `repeated ${fieldType(field)}`;
  } else if (field.proto3Optional) {
    declaration = `optional ${fieldType(field)}`;
  } else {
    declaration = fieldType(field);
  }
  const oneof =
    field.oneofIndex !== undefined && !field.proto3Optional
      ? `oneof ${message.oneofDecl?.[field.oneofIndex]?.name}: `
      : '';
  // A custom json_name changes the JSON encoding, which the contract also keeps.
  const jsonName = field.jsonName === defaultJsonName(field.name) ? '' : ` [json_name = "${field.jsonName}"]`;
  return `${oneof}${declaration} ${field.name} = ${field.number}${jsonName}`;
}

function enumLines(enumType: EnumDescriptor): string[] {
  return enumType.value.map((value) => `${value.name} = ${value.number}`);
}

function toContractFile(file: FileDescriptor): ContractFile {
  const contract: ContractFile = {
    package: file.package,
    syntax: file.syntax ?? 'proto2',
    imports: file.dependency ?? [],
    enums: {},
    messages: {},
    reserved: {},
    services: {},
  };
  const addMessage = (message: MessageDescriptor, scope: string): void => {
    const name = `${scope}${message.name}`;
    const entries = new Map<string, MessageDescriptor>();
    for (const nested of message.nestedType ?? []) {
      if (nested.options?.mapEntry) entries.set(`${file.package}.${name}.${nested.name}`, nested);
      else addMessage(nested, `${name}.`);
    }
    for (const nested of message.enumType ?? []) contract.enums[`${name}.${nested.name}`] = enumLines(nested);
    contract.messages[name] = (message.field ?? []).map((field) => fieldLine(field, message, entries));
    const reserved = [
      ...(message.reservedRange ?? []).map(({ start, end }) =>
        end - start === 1 ? `${start}` : `${start} to ${end - 1}`,
      ),
      ...(message.reservedName ?? []).map((reservedName) => `"${reservedName}"`),
    ];
    if (reserved.length > 0) contract.reserved[name] = reserved;
  };
  for (const message of file.messageType ?? []) addMessage(message, '');
  for (const enumType of file.enumType ?? []) contract.enums[enumType.name] = enumLines(enumType);
  for (const service of file.service ?? []) {
    contract.services[service.name] = (service.method ?? []).map((method) => {
      const input = `${method.clientStreaming ? 'stream ' : ''}${typeName(method.inputType)}`;
      const output = `${method.serverStreaming ? 'stream ' : ''}${typeName(method.outputType)}`;
      return `rpc ${method.name}(${input}) returns (${output})`;
    });
  }
  return contract;
}

const collectorContract: ContractFile = {
  package: 'collector',
  syntax: 'proto3',
  imports: ['google/protobuf/empty.proto', 'google/protobuf/timestamp.proto'],
  enums: {
    DEVICE: ['DEVICE_UNKNOWN = 0', 'MOBILE = 1', 'WIFI = 2', 'BLUETOOTH = 3'],
  },
  messages: {
    DetectorStatus: [
      'collector.Coordinates loc = 1',
      'repeated collector.DEVICE active_detectors = 2',
      'double battery_voltage = 3',
      'map<int32, int64> detection_count = 4',
      // The one addition to the original: the report time.
      'google.protobuf.Timestamp time = 5',
    ],
    DetectionEvent: [
      'repeated google.protobuf.Timestamp time = 1',
      'oneof device_id: string wifi = 2',
      'oneof device_id: string bluetooth = 3',
      'oneof device_id: string mobile = 4',
    ],
    Coordinates: ['string detector_id = 1', 'int64 latitude = 2', 'int64 longitude = 3'],
    EventLog: ['collector.Coordinates loc = 1', 'repeated collector.DetectionEvent events = 20'],
    SendStreamResponse: ['int64 mobile = 2', 'int64 bluetooth = 3', 'int64 wifi = 4'],
    DetectorLink: [
      'string dest_detector_id = 1',
      'repeated collector.DetectorLink.SourceDetector src_detectors = 2',
    ],
    'DetectorLink.SourceDetector': [
      'string detector_id = 1',
      'int64 max_seconds = 2',
      // Added by this implementation: the link's minimum plausible travel time.
      'int64 min_seconds = 3',
    ],
    // Added by this implementation: DeleteDetectorLink.
    DeleteDetectorLinkRequest: ['string dest_detector_id = 1', 'string src_detector_id = 2'],
    // Added for traffic products (issue 18): routes.
    Route: ['string name = 1', 'repeated string detector_ids = 2'],
    DeleteRouteRequest: ['string name = 1'],
  },
  reserved: {},
  services: {
    CollectorService: [
      'rpc CreateEventLog(collector.EventLog) returns (google.protobuf.Empty)',
      'rpc CreateDetectorLink(collector.DetectorLink) returns (google.protobuf.Empty)',
      'rpc StreamEventLog(stream collector.EventLog) returns (collector.SendStreamResponse)',
      'rpc CreateCoordinates(collector.Coordinates) returns (google.protobuf.Empty)',
      'rpc CreateDetectorStatus(collector.DetectorStatus) returns (google.protobuf.Empty)',
      // Added by this implementation.
      'rpc DeleteDetectorLink(collector.DeleteDetectorLinkRequest) returns (google.protobuf.Empty)',
      // Added for traffic products (issue 18).
      'rpc CreateRoute(collector.Route) returns (google.protobuf.Empty)',
      'rpc DeleteRoute(collector.DeleteRouteRequest) returns (google.protobuf.Empty)',
    ],
  },
};

const queryContract: ContractFile = {
  package: 'query',
  syntax: 'proto3',
  // collector.proto: the additive RPCs answer with the collector's own messages.
  imports: ['collector.proto', 'google/protobuf/timestamp.proto'],
  enums: {
    // Added by this implementation: the travel-time API.
    EstimateStatus: [
      'ESTIMATE_STATUS_UNSPECIFIED = 0',
      'ESTIMATE_STATUS_OK = 1',
      'ESTIMATE_STATUS_INSUFFICIENT_DATA = 2',
      'ESTIMATE_STATUS_STALE = 3',
      'ESTIMATE_STATUS_NO_SAMPLES = 4',
      'ESTIMATE_STATUS_ALL_REJECTED = 5',
    ],
    RouteEstimateMethod: [
      'ROUTE_ESTIMATE_METHOD_UNSPECIFIED = 0',
      'ROUTE_ESTIMATE_METHOD_MATCHED = 1',
      'ROUTE_ESTIMATE_METHOD_SUM_OF_LINKS = 2',
    ],
    CongestionLevel: [
      'CONGESTION_LEVEL_UNSPECIFIED = 0',
      'CONGESTION_LEVEL_FREE = 1',
      'CONGESTION_LEVEL_MODERATE = 2',
      'CONGESTION_LEVEL_HEAVY = 3',
      'CONGESTION_LEVEL_SEVERE = 4',
    ],
    AlertKind: [
      'ALERT_KIND_UNSPECIFIED = 0',
      'ALERT_KIND_CONGESTION = 1',
      'ALERT_KIND_DETECTOR_SILENT = 2',
      'ALERT_KIND_BATTERY_LOW = 3',
      'ALERT_KIND_CLOCK_SKEW = 4',
      'ALERT_KIND_NEVER_MATCHES = 5',
    ],
    AlertSeverity: [
      'ALERT_SEVERITY_UNSPECIFIED = 0',
      'ALERT_SEVERITY_INFO = 1',
      'ALERT_SEVERITY_WARNING = 2',
      'ALERT_SEVERITY_CRITICAL = 3',
    ],
  },
  messages: {
    DetectionEvent: [
      'repeated google.protobuf.Timestamp time = 1',
      'string device_id = 2',
      'string detector_id = 3',
    ],
    Range: ['google.protobuf.Timestamp after = 1', 'google.protobuf.Timestamp before = 2'],
    GetEventsRequest: ['repeated string detector_ids = 1', 'query.Range range = 2', 'int64 limit = 3'],
    GetEventsResponse: ['repeated query.DetectionEvent events = 1'],
    GetBatteryVoltageRequest: [
      'repeated string detector_ids = 1',
      'query.Range range = 2',
      'int64 limit = 3',
    ],
    GetBatteryVoltageResponse: ['repeated query.VoltageReport reports = 1'],
    VoltageReport: ['string detector_id = 1', 'repeated double voltage = 2'],
    // Added by this implementation: ListDetectors and ListLinks.
    DetectorSummary: [
      'collector.Coordinates loc = 1',
      'collector.DetectorStatus latest_status = 2',
      // Added for traffic products (issue 18).
      'query.DetectorHealth health = 3',
    ],
    // Paging, added to both after the RPCs (issue 16): fields under new numbers.
    ListDetectorsRequest: ['int32 page_size = 1', 'string page_token = 2'],
    ListDetectorsResponse: ['repeated query.DetectorSummary detectors = 1', 'string next_page_token = 2'],
    ListLinksRequest: ['string dest_detector_id = 1', 'int32 page_size = 2', 'string page_token = 3'],
    ListLinksResponse: ['repeated collector.DetectorLink links = 1', 'string next_page_token = 2'],
    // Added by this implementation: the travel-time API. `optional` gives the statistics
    // presence, so an absent median is not read as 0.
    TravelTimeEstimate: [
      'string source_detector_id = 1',
      'string dest_detector_id = 2',
      'google.protobuf.Timestamp interval_end = 3',
      'int64 window_seconds = 4',
      'optional double median_seconds = 5',
      'optional double p15_seconds = 6',
      'optional double p85_seconds = 7',
      'optional double mean_seconds = 8',
      'int64 valid_samples = 9',
      'int64 total_samples = 10',
      'optional double speed_kmh = 11',
      'query.EstimateStatus status = 12',
      // Added for traffic products (issue 18).
      'string route = 13',
      'query.RouteEstimateMethod route_method = 14',
      'optional double typical_seconds = 15',
      'optional double free_flow_seconds = 16',
      'optional double ratio_to_typical = 17',
      'optional double ratio_to_free_flow = 18',
      'query.CongestionLevel level = 19',
    ],
    LinkRef: ['string source_detector_id = 1', 'string dest_detector_id = 2'],
    LinkSelector: [
      'oneof selector: bool all = 1',
      'oneof selector: query.LinkRef link = 2',
      'oneof selector: string dest_detector_id = 3',
      // Added for traffic products (issue 18).
      'oneof selector: string route = 4',
      'oneof selector: bool all_routes = 5',
    ],
    GetTravelTimesRequest: ['query.LinkSelector links = 1', 'query.Range range = 2', 'int64 limit = 3'],
    GetTravelTimesResponse: ['repeated query.TravelTimeEstimate estimates = 1'],
    GetLatestTravelTimesRequest: ['query.LinkSelector links = 1'],
    StreamTravelTimesRequest: ['query.LinkSelector links = 1'],
    RecomputeTravelTimesRequest: ['query.LinkSelector links = 1', 'query.Range range = 2'],
    RecomputeTravelTimesProgress: [
      'int64 destinations = 1',
      'int64 destinations_done = 2',
      'int64 span_seconds = 3',
      'int64 span_seconds_done = 4',
      'bool done = 5',
    ],
    // Added for traffic products (issue 18): routes, origin-destination, profiles,
    // reliability, alerts and detector health.
    TrafficTarget: ['oneof target: query.LinkRef link = 1', 'oneof target: string route = 2'],
    ListRoutesRequest: ['int32 page_size = 1', 'string page_token = 2'],
    ListRoutesResponse: ['repeated collector.Route routes = 1', 'string next_page_token = 2'],
    GetOriginDestinationRequest: [
      'repeated string detector_ids = 1',
      'query.Range range = 2',
      'int64 trip_gap_seconds = 3',
    ],
    OriginDestinationCell: [
      'string origin_detector_id = 1',
      'string destination_detector_id = 2',
      'int64 trips = 3',
      'optional double median_seconds = 4',
    ],
    GetOriginDestinationResponse: [
      'repeated string detector_ids = 1',
      'repeated query.OriginDestinationCell cells = 2',
      'int64 single_detector_trips = 3',
    ],
    GetTypicalProfileRequest: ['query.TrafficTarget target = 1'],
    TypicalBin: [
      'int32 day_of_week = 1',
      'int32 minute_of_day = 2',
      'optional double median_seconds = 3',
      'optional double p15_seconds = 4',
      'optional double p85_seconds = 5',
      'int64 samples = 6',
    ],
    TypicalProfile: [
      'query.TrafficTarget target = 1',
      'google.protobuf.Timestamp computed_at = 2',
      'int32 weeks = 3',
      'int32 bin_minutes = 4',
      'string time_zone = 5',
      'optional double free_flow_seconds = 6',
      'repeated query.TypicalBin bins = 7',
    ],
    GetReliabilityRequest: ['query.TrafficTarget target = 1', 'query.Range range = 2'],
    Reliability: [
      'query.TrafficTarget target = 1',
      'query.Range range = 2',
      'int64 intervals = 3',
      'optional double mean_seconds = 4',
      'optional double p95_seconds = 5',
      'optional double free_flow_seconds = 6',
      'optional double travel_time_index = 7',
      'optional double planning_time_index = 8',
      'optional double buffer_index = 9',
    ],
    Alert: [
      'string id = 1',
      'query.AlertKind kind = 2',
      'query.AlertSeverity severity = 3',
      'google.protobuf.Timestamp start = 4',
      'google.protobuf.Timestamp end = 5',
      'oneof subject: query.LinkRef link = 6',
      'oneof subject: string route = 7',
      'oneof subject: string detector_id = 8',
      'string evidence = 9',
      'map<string, double> figures = 10',
      'google.protobuf.Timestamp updated = 11',
    ],
    ListAlertsRequest: [
      'query.Range range = 1',
      'repeated query.AlertKind kinds = 2',
      'query.AlertSeverity min_severity = 3',
      'bool open_only = 4',
      'int32 page_size = 5',
      'string page_token = 6',
    ],
    ListAlertsResponse: ['repeated query.Alert alerts = 1', 'string next_page_token = 2'],
    StreamAlertsRequest: ['repeated query.AlertKind kinds = 1', 'query.AlertSeverity min_severity = 2'],
    DetectorHealth: [
      'google.protobuf.Timestamp last_seen = 1',
      'repeated query.AlertKind problems = 2',
      'optional double clock_skew_seconds = 3',
      'optional double battery_volts_per_day = 4',
      'google.protobuf.Timestamp checked_at = 5',
    ],
  },
  // An earlier revision of the original had `int64 device_limit = 4` here.
  reserved: { GetEventsRequest: ['4', '"device_limit"'] },
  services: {
    QueryService: [
      'rpc GetEvents(query.GetEventsRequest) returns (query.GetEventsResponse)',
      'rpc StreamEvents(query.GetEventsRequest) returns (stream query.DetectionEvent)',
      'rpc GetBatteryVoltage(query.GetBatteryVoltageRequest) returns (query.GetBatteryVoltageResponse)',
      // Added by this implementation.
      'rpc ListDetectors(query.ListDetectorsRequest) returns (query.ListDetectorsResponse)',
      'rpc ListLinks(query.ListLinksRequest) returns (query.ListLinksResponse)',
      'rpc GetTravelTimes(query.GetTravelTimesRequest) returns (query.GetTravelTimesResponse)',
      'rpc GetLatestTravelTimes(query.GetLatestTravelTimesRequest) returns (query.GetTravelTimesResponse)',
      'rpc StreamTravelTimes(query.StreamTravelTimesRequest) returns (stream query.TravelTimeEstimate)',
      'rpc RecomputeTravelTimes(query.RecomputeTravelTimesRequest) returns (stream query.RecomputeTravelTimesProgress)',
      // Added for traffic products (issue 18).
      'rpc ListRoutes(query.ListRoutesRequest) returns (query.ListRoutesResponse)',
      'rpc GetOriginDestination(query.GetOriginDestinationRequest) returns (query.GetOriginDestinationResponse)',
      'rpc GetTypicalProfile(query.GetTypicalProfileRequest) returns (query.TypicalProfile)',
      'rpc GetReliability(query.GetReliabilityRequest) returns (query.Reliability)',
      'rpc ListAlerts(query.ListAlertsRequest) returns (query.ListAlertsResponse)',
      'rpc StreamAlerts(query.StreamAlertsRequest) returns (stream query.Alert)',
    ],
  },
};

describe('wire contract', () => {
  let files: FileDescriptor[];
  beforeAll(() => {
    files = buildDescriptors();
  });

  const contractFile = (name: string): ContractFile => {
    const file = files.find((candidate) => candidate.name === name);
    if (!file) throw new Error(`buf did not compile ${name}`);
    return toContractFile(file);
  };

  it('compiles exactly the two contract files, importing only built-in well-known types', () => {
    expect(files.map((file) => file.name).sort()).toEqual([
      'collector.proto',
      'google/protobuf/empty.proto',
      'google/protobuf/timestamp.proto',
      'query.proto',
    ]);
  });

  it('collector.proto is the collector contract', () => {
    expect(contractFile('collector.proto')).toEqual(collectorContract);
  });

  it('query.proto is the query contract', () => {
    expect(contractFile('query.proto')).toEqual(queryContract);
  });
});
