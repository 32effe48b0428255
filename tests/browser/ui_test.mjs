// The live view in a real browser: headless chromium, driven by playwright-core, against a
// running `gcsim serve --clock manual --port 0`. It must see the seed's bridge, the phantom leg
// after the naive PATCH, and the leg gone after {"state":"disconnected"} and a clock advance
// (clicked on the page). Every wait is for a condition, never for a fixed time.
//
//   node ui_test.mjs GCSIM_BINARY MODULES_DIR [SCREENSHOT.png]
//
// Exit status: 0 passed, 1 failed, 77 skipped (no playwright-core or no chromium here).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const SKIP = 77;
const WAIT_MS = 30_000;      // for any one condition: generous, a loaded 2-core box is slow
const DEADLINE_MS = 180_000; // for the whole test, so that it never hangs

const CONVERSATION = '5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01';
const SUPERVISOR = '9f8e7d6c-5b4a-3210-abcd-ef1234567890';
const NAIVE_BODY = { dispositionCode: 'no-answer', dropReason: 'timeout' };

const [gcsimBinary, modulesDir, screenshot] = process.argv.slice(2);
if (!gcsimBinary || !modulesDir) {
  console.error('usage: node ui_test.mjs GCSIM_BINARY MODULES_DIR [SCREENSHOT.png]');
  process.exit(2);
}

function skip(why) {
  console.log(`SKIPPED: ${why}`);
  process.exit(SKIP);
}

let chromium;
try {
  chromium = createRequire(path.join(path.resolve(modulesDir), 'node_modules', 'x.js'))('playwright-core').chromium;
} catch {
  skip(`playwright-core is not installed in ${modulesDir}/node_modules (scripts/setup installs it)`);
}
const browserPath = [process.env.GCSIM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']
  .find((candidate) => candidate && existsSync(candidate));
if (!browserPath) skip('chromium is not installed (scripts/setup installs the Debian package chromium)');

let server;
let browser;
const timer = setTimeout(() => fail(new Error(`not done after ${DEADLINE_MS / 1000}s`)), DEADLINE_MS);

async function cleanUp() {
  clearTimeout(timer);
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) server.kill('SIGTERM');
}

async function fail(error) {
  console.error(`FAILED: ${error.stack || error}`);
  await cleanUp();
  process.exit(1);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Starts gcsim and resolves with its base URL, read from "listening on http://...".
function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(gcsimBinary, ['serve', '--clock', 'manual', '--port', '0'],
                   { stdio: ['ignore', 'pipe', 'inherit'] });
    server.on('error', reject);
    server.on('exit', (code) => reject(new Error(`gcsim serve exited with ${code} before listening`)));
    readline.createInterface({ input: server.stdout }).on('line', (line) => {
      const match = /^listening on (http:\/\/\S+)$/.exec(line);
      if (match) resolve(match[1]);
    });
  });
}

async function main() {
  const base = await startServer();
  console.log(`gcsim at ${base}, chromium at ${browserPath}`);
  const api = async (method, apiPath, { token, body } = {}) => {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(base + apiPath, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return response;
  };
  const tokenResponse = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: 'Basic ' + Buffer.from('demo-client:demo-secret').toString('base64'),
               'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials' });
  check(tokenResponse.status === 200, `token: HTTP ${tokenResponse.status}`);
  const token = (await tokenResponse.json()).access_token;

  browser = await chromium.launch({ executablePath: browserPath, headless: true,
                                    args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(WAIT_MS);
  await page.goto(`${base}/sim/v1/ui/`);

  // The seed's bridge: three legs, the supervisor among them, and the dashboard counting two.
  const bridge = `[data-conversation-id="${CONVERSATION}"]`;
  const supervisor = `${bridge} tr.leg[data-leg-id="${SUPERVISOR}"]`;
  await page.waitForSelector(supervisor);
  check(await page.locator(`${bridge} tr.leg`).count() === 3, 'the seed bridge shows three legs');
  check((await page.textContent(supervisor)).includes('Sam Supervisor'), 'the supervisor is named');
  await page.waitForFunction(() => document.querySelector('.o-interacting')?.textContent === '2');
  check(await page.locator('tr.leg.phantom').count() === 0, 'no phantom leg before the PATCH');

  // Ten minutes of silence, clicked on the page.
  await page.click('#advance button[data-by="10m"]');
  await page.waitForFunction(() => document.body.dataset.now === '2026-01-01T09:10:00.000Z');
  check((await page.textContent(supervisor)).includes('10m'), 'the supervisor silent for 10m');

  // The seed's naive PATCH: a 2xx that changes nothing, so the leg is marked phantom.
  const naive = await api('PATCH', `/api/v2/conversations/calls/${CONVERSATION}/participants/${SUPERVISOR}`,
                          { token, body: NAIVE_BODY });
  check(naive.status === 204, `naive PATCH answered ${naive.status}, expected 204`);
  await page.waitForSelector(`${supervisor}.phantom`);
  const phantomText = await page.textContent(supervisor);
  for (const expected of ['PHANTOM', 'dispositionCode', 'dropReason', 'state', 'disconnected']) {
    check(phantomText.includes(expected), `the phantom leg row mentions ${expected}: ${phantomText}`);
  }
  await page.waitForSelector(`#phantoms [data-phantom-id="${SUPERVISOR}"]`);
  check(await page.isVisible('#phantoms-section'), 'the phantom panel is shown');
  check((await page.textContent('#journal')).includes('nothing changed'),
        'the journal tail shows the PATCH changed nothing');
  check(await page.textContent('.o-interacting') === '2', 'the dashboard still counts the phantom leg');
  if (screenshot) {
    await page.screenshot({ path: screenshot });
    console.log(`screenshot: ${screenshot}`);
  }

  // The right drop: accepted (202), the leg still there until the disconnect latency passes.
  const drop = await api('PATCH', `/api/v2/conversations/${CONVERSATION}/participants/${SUPERVISOR}`,
                         { token, body: { state: 'disconnected' } });
  check(drop.status === 202, `drop answered ${drop.status}, expected 202`);
  await page.waitForSelector(`${supervisor}:not(.phantom)`);
  check((await page.textContent(supervisor)).includes('drop accepted'), 'the drop shows as accepted');

  // One second later (clicked), the leg is gone, the bridge goes on with two people.
  await page.click('#advance button[data-by="1s"]');
  await page.waitForSelector(supervisor, { state: 'detached' });
  check(await page.locator(`${bridge} tr.leg`).count() === 2, 'two legs left on the bridge');
  check((await page.textContent(bridge)).includes('1 leg(s) gone'), 'the bridge counts the leg gone');
  await page.waitForFunction(() => document.querySelector('.o-interacting')?.textContent === '1');
  check(await page.isHidden('#phantoms-section'), 'no phantom left');
  check(pageErrors.length === 0, `errors on the page: ${pageErrors.join('; ')}`);
  console.log('PASSED: seed bridge seen, phantom leg marked, leg gone after the drop');
}

main().then(cleanUp, fail);
