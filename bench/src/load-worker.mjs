// A bounded HTTP load in a worker thread, so that the server under test has the main thread to
// itself: `total` GETs of `url`, `concurrency` at a time over keep-alive sockets (node:http).
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { url, total, concurrency } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

const get = () =>
  new Promise((resolve, reject) => {
    const request = http.get(url, { agent }, (response) => {
      response.on('data', () => {});
      response.on('end', () => resolve(response.statusCode));
      response.on('error', reject);
    });
    request.on('error', reject);
  });

let sent = 0;
let failed = 0;
const worker = async () => {
  while (sent < total) {
    sent++;
    if ((await get()) !== 200) failed++;
  }
};
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - started) / 1000;
agent.destroy();
parentPort.postMessage({ rate: total / seconds, failed });
