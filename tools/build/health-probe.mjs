#!/usr/bin/env node
// The health probe shipped next to each app's main.js (tools/build/bundle-app.mjs copies it),
// run by the image's HEALTHCHECK (deployment/Dockerfile) inside the container:
//
//   node health-probe.mjs grpc   grpc.health.v1 Health/Check on HEALTHCHECK_PORT (default :5000);
//                                healthy when the answer is SERVING (the store's real state)
//   node health-probe.mjs http   GET /healthz on DASHBOARD_PORT (default :8080), the dashboard app
//
// It reads the same environment variables as the app (HTTPS / TLS when TLS_CERT_FILE /
// TLS_HEALTHCHECK say the port speaks it), prints the answer for `docker inspect`, and exits
// 0 when healthy, 1 otherwise, within 4 s (HEALTHCHECK's timeout is 5 s).
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import process from 'node:process';

const DEADLINE_MS = 4000;

/** The app's listen address as a local client reaches it: `:5000`, `0.0.0.0:5000` -> `127.0.0.1:5000`. */
function localAddress(listenAddress) {
  const address = /^\d+$/.test(listenAddress) ? `:${listenAddress}` : listenAddress;
  return address.replace(/^(0\.0\.0\.0)?:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
}

/** An option's boolean as the app's config reads it from the environment. */
function isTrue(value) {
  return ['true', '1', 'yes'].includes(String(value).toLowerCase());
}

function finish(healthy, message) {
  process.stdout.write(`${message}\n`);
  process.exit(healthy ? 0 : 1);
}

// Loaded only for grpc: the dashboard's deployable has no grpc-health-check.
async function probeGrpc() {
  const { default: grpc } = await import('@grpc/grpc-js');
  const { service } = (await import('grpc-health-check')).default;
  const address = localAddress(process.env.HEALTHCHECK_PORT || ':5000');
  // The probe talks to its own container and sends nothing secret: the certificate is not checked.
  const credentials = isTrue(process.env.TLS_HEALTHCHECK)
    ? grpc.credentials.createSsl(null, null, null, {
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      })
    : grpc.credentials.createInsecure();
  const Health = grpc.makeGenericClientConstructor(service, 'Health');
  const deadline = Date.now() + DEADLINE_MS;
  new Health(address, credentials).check({ service: '' }, { deadline }, (error, answer) => {
    if (error) finish(false, `${address}: ${error.details || error.message}`);
    else finish(answer.status === 'SERVING', answer.status);
  });
}

function probeHttp() {
  const tls = Boolean(process.env.TLS_CERT_FILE);
  const url = `${tls ? 'https' : 'http'}://${localAddress(process.env.DASHBOARD_PORT || ':8080')}/healthz`;
  const options = { timeout: DEADLINE_MS, rejectUnauthorized: false };
  const request = (tls ? httpsGet : httpGet)(url, options, (response) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk) => (body += chunk));
    response.on('end', () => finish(response.statusCode === 200, body.trim()));
  });
  request.on('timeout', () => request.destroy(new Error('no answer in time')));
  request.on('error', (error) => finish(false, `${url}: ${error.message}`));
}

const probes = { grpc: probeGrpc, http: probeHttp };
const probe = probes[process.argv[2]];
if (probe === undefined) finish(false, 'usage: health-probe.mjs grpc|http');
else await probe();
