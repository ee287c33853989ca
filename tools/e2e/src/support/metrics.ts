import { get } from 'node:http';

/** The Prometheus text a process serves at `http://<address>/metrics`. */
export function scrapeMetrics(address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get(`http://${address}/metrics`, { timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(body)
          : reject(new Error(`GET /metrics answered ${response.statusCode}: ${body}`)),
      );
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET http://${address}/metrics timed out`)));
    request.on('error', reject);
  });
}

/**
 * The sum of the samples of `name` whose labels include all of `labels`, in Prometheus
 * text; e.g. `metricValue(text, 'grpc_server_handled_total', { grpc_code: 'ResourceExhausted' })`.
 * 0 when there is none.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null || sample[1] !== name) continue;
    const present = new Map(
      [...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((label) => [
        label[1],
        label[2],
      ]),
    );
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) sum += Number(sample[3]);
  }
  return sum;
}
