// An LwM2M client from lwm2m-node-lib (an implementation independent of this repository) that
// registers at the gateway. Driven by the test through stdin lines, reports on stdout as JSON.
'use strict';
const lwm2m = require('lwm2m-node-lib');

const [host, port, endpoint] = process.argv.slice(2);
const client = lwm2m.client;
let device = null;
let temperature = 20;

function report(event, fields) {
    process.stdout.write(JSON.stringify(Object.assign({ event }, fields)) + '\n');
}

function set(objectUri, resourceId, value) {
    return new Promise((resolve, reject) =>
        client.registry.setResource(objectUri, resourceId, value, (e) => (e ? reject(e) : resolve())));
}

function create(objectUri) {
    return new Promise((resolve, reject) =>
        client.registry.create(objectUri, (e) => (e ? reject(e) : resolve())));
}

async function main() {
    client.init({
        client: {
            lifetime: '300', version: '1.0', logLevel: 'FATAL', observe: { period: 200 },
            ipProtocol: 'udp4', serverProtocol: 'udp4',
            formats: [{ name: 'lightweightm2m/text', value: 1541 }],
            writeFormat: 'lightweightm2m/text',
        },
    });
    await create('/3/0');
    await set('/3/0', '0', 'Acme Sensors');
    await set('/3/0', '14', '+01:00');
    await create('/3303/0');
    await set('/3303/0', '5700', String(temperature));
    client.register(host, port, '', endpoint, (error, info) => {
        if (error) {
            report('register-failed', { error: String(error) });
            process.exit(1);
        }
        device = info;
        client.setHandler(info.serverInfo, 'execute', (objectType, objectId, resourceId, value, done) => {
            report('executed', { path: `/${objectType}/${objectId}/${resourceId}` });
            done();
        });
        client.setHandler(info.serverInfo, 'write', (objectType, objectId, resourceId, value, done) => {
            report('written', { path: `/${objectType}/${objectId}/${resourceId}`, value: String(value) });
            done();
        });
        report('registered', { location: info.location });
    });
}

// Commands: "temperature N", "get OBJECT RESOURCE", "update", "deregister".
require('readline').createInterface({ input: process.stdin }).on('line', async (line) => {
    const [command, ...args] = line.trim().split(/\s+/);
    if (command === 'temperature') {
        temperature = args[0];
        await set('/3303/0', '5700', String(temperature));
        report('temperature', { value: String(temperature) });
    } else if (command === 'get') {
        client.registry.get(args[0], (e, object) =>
            report('value', { path: args[0], resource: args[1], value: e ? null : String(object.attributes[args[1]]) }));
    } else if (command === 'update' && device) {
        client.update(device, (e) => report('updated', { error: e ? String(e) : null }));
    } else if (command === 'deregister' && device) {
        client.unregister(device, (e) => {
            report('deregistered', { error: e ? String(e) : null });
            process.exit(e ? 1 : 0);
        });
    }
});

main().catch((e) => {
    report('failed', { error: String(e) });
    process.exit(1);
});
