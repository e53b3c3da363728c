// Interoperability with an LwM2M implementation not written here: lwm2m-node-lib (Telefonica,
// Node.js) as the upstream LwM2M server and as the sensor, the real lwm2m-gatewayd between them:
//
//   lwm2m-node-lib client "node-sensor" ──► lwm2m-gatewayd ──► lwm2m-node-lib server
//
// Every assertion is about what the independent peer saw. Usage:
//   node test_lwm2m_node_lib.js GATEWAYD PLUGIN_DIR NODE_MODULES_PARENT
'use strict';
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const [gatewayd, pluginDir, modulesParent] = process.argv.slice(2);
module.paths.unshift(path.join(modulesParent, 'node_modules'));
const server = require('lwm2m-node-lib').server;

const gatewayEndpoint = 'gw-interop';
const sensorEndpoint = 'node-sensor';
const children = [];
const serverEvents = [];
const waiters = [];

function record(event) {
    serverEvents.push(event);
    for (const waiter of waiters.splice(0)) {
        waiter();
    }
}

// Resolves once `predicate` holds over the events seen so far, or rejects after `ms`.
function waitFor(what, events, predicate, ms = 10000) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
        const check = () => {
            const found = events.find(predicate);
            if (found) {
                clearTimeout(timer);
                resolve(found);
            } else {
                waiters.push(check);
            }
        };
        check();
    });
}

function freeUdpPort() {
    return new Promise((resolve) => {
        const socket = dgram.createSocket('udp4');
        socket.bind(0, '127.0.0.1', () => {
            const { port } = socket.address();
            socket.close(() => resolve(port));
        });
    });
}

function call(method, ...args) {
    return new Promise((resolve, reject) =>
        server[method](...args, (error, result) => (error ? reject(error) : resolve(result))));
}

function startServer(port) {
    const config = {
        port, lifetimeCheckInterval: 1000, udpWindow: 100, defaultType: 'Device', types: [],
        logLevel: 'FATAL', ipProtocol: 'udp4', serverProtocol: 'udp4',
        formats: [{ name: 'application-vnd-oma-lwm2m/text', value: 1541 }],
        writeFormat: 'application-vnd-oma-lwm2m/text', defaultAcceptFormat: 'text/plain',
    };
    return new Promise((resolve, reject) => {
        server.start(config, (error, info) => {
            if (error) {
                reject(error);
                return;
            }
            server.setHandler(info, 'registration', (endpoint, lifetime, version, binding, payload, done) => {
                record({ kind: 'register', endpoint, lifetime, version, binding, payload });
                done();
            });
            server.setHandler(info, 'updateRegistration', (device, payload, done) => {
                record({ kind: 'update', endpoint: device.name });
                done();
            });
            server.setHandler(info, 'unregistration', (device, done) => {
                record({ kind: 'deregister', endpoint: device.name });
                done();
            });
            resolve(info);
        });
    });
}

// A child process whose stdout lines (JSON or text) are collected into `events`.
function startChild(command, args, events, name) {
    const env = Object.assign({}, process.env,
        { NODE_PATH: path.join(modulesParent, 'node_modules'), NODE_NO_WARNINGS: '1' });
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    children.push(child);
    child.log = '';
    for (const stream of [child.stdout, child.stderr]) {
        readline.createInterface({ input: stream }).on('line', (line) => {
            child.log += line + '\n';
            try {
                events.push(JSON.parse(line));
            } catch {
                events.push({ line });
            }
            for (const waiter of waiters.splice(0)) {
                waiter();
            }
        });
    }
    child.on('exit', (code, signal) => {
        events.push({ exit: code, signal });
        for (const waiter of waiters.splice(0)) {
            waiter();
        }
    });
    child.label = name;
    return child;
}

async function main() {
    const serverPort = await freeUdpPort();
    const gatewayPort = await freeUdpPort();
    await startServer(serverPort);

    // lwm2m-node-lib's server never acknowledges a confirmable notification (its proxy socket
    // forwards it internally and drops the ACK), so under RFC 7252's NSTART=1 every later message
    // on that session waits until the notification times out: keep that time short here.
    const configFile = path.join(os.tmpdir(), `lwm2m-interop-${process.pid}.ini`);
    fs.writeFileSync(configFile, '[coap]\nack_timeout_ms=1000\nmax_retransmit=1\n');
    const gatewayEvents = [];
    const gateway = startChild(gatewayd, [
        '--config', configFile, '--endpoint', gatewayEndpoint, '--listen', `coap://127.0.0.1:${gatewayPort}`,
        '--upstream', `coap://127.0.0.1:${serverPort}`, '--plugin-dir', pluginDir,
    ], gatewayEvents, 'lwm2m-gatewayd');

    // The gateway's own registration, as lwm2m-node-lib's server parsed it.
    const own = await waitFor('the gateway registration', serverEvents,
        (e) => e.kind === 'register' && e.endpoint === gatewayEndpoint);
    assert.match(own.payload, /<\/3\/0>/);

    const sensorEvents = [];
    const sensor = startChild(process.execPath,
        [path.join(__dirname, 'lwm2m_node_lib_sensor.js'), '127.0.0.1', String(gatewayPort), sensorEndpoint],
        sensorEvents, 'lwm2m-node-lib sensor');
    sensor.stdin.write('');
    const registeredDownstream = await waitFor('the sensor registration at the gateway', sensorEvents,
        (e) => e.event === 'registered' || e.event === 'register-failed' || 'exit' in e);
    assert.equal(registeredDownstream.event, 'registered', sensor.log);

    // Relayed upstream with the sensor's own name, lifetime, version and objects.
    const relayed = await waitFor('the relayed registration', serverEvents,
        (e) => e.kind === 'register' && e.endpoint === sensorEndpoint);
    assert.equal(relayed.lifetime, '300');
    assert.equal(relayed.version, '1.0');
    assert.match(relayed.payload, /<\/3\/0>/);
    assert.match(relayed.payload, /<\/3303\/0>/);
    const device = await call('getDevice', sensorEndpoint);

    // Read, Write then Read back, Execute, Discover: through the gateway to the sensor.
    const manufacturer = await call('read', device.id, '3', '0', '0');
    assert.equal(String(manufacturer), 'Acme Sensors');
    await call('write', device.id, '3', '0', '14', '+02:00');
    await waitFor('the write at the sensor', sensorEvents,
        (e) => e.event === 'written' && e.path === '/3/0/14' && e.value === '+02:00');
    assert.equal(String(await call('read', device.id, '3', '0', '14')), '+02:00');
    await call('execute', device.id, '3', '0', '4', null);
    await waitFor('the execute at the sensor', sensorEvents,
        (e) => e.event === 'executed' && e.path === '/3/0/4');
    const links = String(await call('discover', device.id, '3303', '0'));
    assert.match(links, /<\/3303\/0\/5700>/);
    // A resource the sensor does not have: the sensor's 4.04 reaches the server unchanged.
    await assert.rejects(call('read', device.id, '3', '0', '99'), (error) => {
        assert.match(JSON.stringify(error) + String(error), /4\.04/);
        return true;
    });

    // A registration Update, sent by this client from a new source port (which the gateway takes
    // as the sensor's new address, as a server must after a NAT rebinding), reaches the server.
    sensor.stdin.write('update\n');
    const updated = await waitFor('the Update at the sensor', sensorEvents, (e) => e.event === 'updated');
    assert.equal(updated.error, null);
    await waitFor('the relayed Update', serverEvents,
        (e) => e.kind === 'update' && e.endpoint === sensorEndpoint);
    assert.equal(String(await call('read', device.id, '3', '0', '0')), 'Acme Sensors');

    await call('writeAttributes', device.id, '3303', '0', '5700', { pmin: '0', pmax: '30' });

    // Observe: the first value, then a notification of the sensor's change (only one: see the
    // configuration above).
    const notifications = [];
    const first = await call('observe', device.id, '3303', '0', '5700', (value) => {
        notifications.push(String(value));
        for (const waiter of waiters.splice(0)) {
            waiter();
        }
    });
    assert.equal(String(first), '20');
    sensor.stdin.write('temperature 21.5\n');
    await waitFor('a notification of 21.5', notifications, (v) => v === '21.5');
    await call('cancelObserver', device.id, '3303', '0', '5700');

    // De-register at the gateway: the server sees the sensor leave, the gateway stays.
    sensor.stdin.write('deregister\n');
    // The notifications this server left unacknowledged go first (NSTART=1), each timing out.
    await waitFor('the sensor de-registration upstream', serverEvents,
        (e) => e.kind === 'deregister' && e.endpoint === sensorEndpoint, 40000);
    assert.ok(!serverEvents.some((e) => e.kind === 'deregister' && e.endpoint === gatewayEndpoint));

    // Stopping the gateway de-registers its own endpoint too.
    gateway.kill('SIGTERM');
    await waitFor('the gateway de-registration upstream', serverEvents,
        (e) => e.kind === 'deregister' && e.endpoint === gatewayEndpoint);
    const exit = await waitFor('the gateway exit', gatewayEvents, (e) => 'exit' in e);
    assert.equal(exit.exit, 0, gateway.log);
}

main().then(() => {
    console.log('PASS: lwm2m-node-lib client and server interoperate through lwm2m-gatewayd');
    process.exit(0);
}, (error) => {
    console.error('FAIL:', error && error.stack ? error.stack : error);
    for (const child of children) {
        console.error(`--- ${child.label} output ---\n${child.log}`);
    }
    process.exitCode = 1;
}).finally(() => {
    for (const child of children) {
        if (child.exitCode === null) {
            child.kill('SIGKILL');
        }
    }
    fs.rmSync(path.join(os.tmpdir(), `lwm2m-interop-${process.pid}.ini`), { force: true });
    setTimeout(() => process.exit(process.exitCode || 0), 100);
});
